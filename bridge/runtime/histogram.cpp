#include "bridge/runtime/histogram.hpp"

#include <algorithm>
#include <cmath>

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

}  // namespace ato::bridge
