// A latency histogram with logarithmic buckets 5% wide from 1 µs to about 20 minutes: constant
// memory, quantiles within 5%, and the cumulative counts Prometheus wants at any bound.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <utility>
#include <vector>

namespace ato::bridge {

class LatencyHistogram {
 public:
  static constexpr int kBuckets = 430;  // 1.05^430 µs ≈ 20 min

  void record(std::chrono::microseconds value);
  std::int64_t count() const { return count_; }
  double sum_seconds() const { return static_cast<double>(sum_us_) / 1e6; }
  std::chrono::microseconds max() const { return std::chrono::microseconds(max_us_); }
  // The value below which `q` (0..1) of the records fall, to within one bucket.
  std::chrono::microseconds quantile(double q) const;
  // How many records are at most `bound` (exact at bucket edges, conservative between them).
  std::int64_t count_at_most(std::chrono::microseconds bound) const;

  // Adds another histogram's records: merged histograms give the quantiles of all records together
  // (averaging percentiles would not).
  void merge(const LatencyHistogram& other);

  // The raw form, for reports that are merged later: the buckets that hold records, the sum and the
  // maximum. from_raw refuses (std::invalid_argument) what no histogram could have produced.
  struct Raw {
    std::vector<std::pair<int, std::int64_t>> buckets;  // (bucket index, count), count > 0
    std::int64_t sum_us = 0, max_us = 0;
  };
  Raw raw() const;
  static LatencyHistogram from_raw(const Raw& raw);

 private:
  static int bucket_of(std::int64_t us);
  static std::int64_t upper_bound_us(int bucket);

  std::array<std::int64_t, kBuckets + 1> buckets_{};  // the last one: beyond the range
  std::int64_t count_ = 0;
  std::int64_t sum_us_ = 0;
  std::int64_t max_us_ = 0;
};

}  // namespace ato::bridge
