#include "bridge/runtime/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace ato::bridge {

namespace {
const double kLogBase = std::log(1.05);
}

int LatencyHistogram::bucket_of(std::int64_t us) {
  if (us <= 1) return 0;
  const int b = static_cast<int>(std::ceil(std::log(static_cast<double>(us)) / kLogBase - 1e-9));
  return std::clamp(b, 0, kBuckets);
}

std::int64_t LatencyHistogram::upper_bound_us(int bucket) {
  return static_cast<std::int64_t>(std::floor(std::pow(1.05, bucket) + 1e-9));
}

void LatencyHistogram::record(std::chrono::microseconds value) {
  const std::int64_t us = std::max<std::int64_t>(0, value.count());
  ++buckets_[static_cast<std::size_t>(bucket_of(us))];
  ++count_;
  sum_us_ += us;
  max_us_ = std::max(max_us_, us);
}

std::chrono::microseconds LatencyHistogram::quantile(double q) const {
  if (count_ == 0) return std::chrono::microseconds(0);
  const auto rank =
      static_cast<std::int64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(count_)));
  std::int64_t seen = 0;
  for (int b = 0; b <= kBuckets; ++b) {
    seen += buckets_[static_cast<std::size_t>(b)];
    if (seen >= std::max<std::int64_t>(rank, 1))
      return std::chrono::microseconds(std::min(upper_bound_us(b), max_us_));
  }
  return std::chrono::microseconds(max_us_);
}

std::int64_t LatencyHistogram::count_at_most(std::chrono::microseconds bound) const {
  std::int64_t total = 0;
  for (int b = 0; b < kBuckets && upper_bound_us(b) <= bound.count(); ++b)
    total += buckets_[static_cast<std::size_t>(b)];
  return total;
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t b = 0; b < buckets_.size(); ++b) buckets_[b] += other.buckets_[b];
  count_ += other.count_;
  sum_us_ += other.sum_us_;
  max_us_ = std::max(max_us_, other.max_us_);
}

LatencyHistogram::Raw LatencyHistogram::raw() const {
  Raw out;
  for (std::size_t b = 0; b < buckets_.size(); ++b)
    if (buckets_[b] > 0) out.buckets.emplace_back(static_cast<int>(b), buckets_[b]);
  out.sum_us = sum_us_;
  out.max_us = max_us_;
  return out;
}

LatencyHistogram LatencyHistogram::from_raw(const Raw& raw) {
  LatencyHistogram h;
  if (raw.sum_us < 0 || raw.max_us < 0) throw std::invalid_argument("negative latency sum or maximum");
  for (const auto& [bucket, count] : raw.buckets) {
    if (bucket < 0 || bucket > kBuckets || count <= 0)
      throw std::invalid_argument("latency bucket " + std::to_string(bucket) + " with count " +
                                  std::to_string(count) + " is out of range");
    h.buckets_[static_cast<std::size_t>(bucket)] += count;
    h.count_ += count;
  }
  h.sum_us_ = raw.sum_us;
  h.max_us_ = raw.max_us;
  return h;
}

}  // namespace ato::bridge
