#include "simulator/ato/sources.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <fstream>

#include "core/json_reader.hpp"
#include "core/wire.hpp"

namespace ato::sim {

GeneratedSource::GeneratedSource(LandscapeSettings settings, double time_scale, EpochMillis wall_start)
    : landscape_(std::move(settings)), time_scale_(time_scale), wall_start_(wall_start) {}

std::vector<SystemRef> GeneratedSource::systems() const {
  const auto& s = landscape_.settings();
  // Development: client 080 for ABAP work, 100 for customizing; test and production: client 100.
  return {{s.dev_sid, "080"}, {s.dev_sid, "100"}, {s.test_sid, "100"}, {s.prod_sid, "100"}};
}

std::vector<SystemRef> ReplaySource::systems() const {
  std::vector<SystemRef> out;
  for (const auto& e : events_)
    if (std::find(out.begin(), out.end(), e.source) == out.end()) out.push_back(e.source);
  return out;
}

EpochMillis GeneratedSource::landscape_time(EpochMillis wall_now) const {
  const auto elapsed = static_cast<double>(wall_now - wall_start_) * time_scale_;
  return landscape_.settings().start_time + static_cast<EpochMillis>(elapsed);
}

std::vector<AtoEvent> GeneratedSource::due(EpochMillis wall_now) {
  return landscape_.release_until(landscape_time(wall_now));
}

bool GeneratedSource::upgrading(EpochMillis wall_now) const {
  const auto& window = landscape_.settings().upgrade_window;
  const auto now = landscape_time(wall_now);
  return window && now >= window->first && now < window->second;
}

std::string GeneratedSource::describe() const {
  const auto& s = landscape_.settings();
  return fmt::format("generator: seed {}, start {}, x{} time scale, {} transports/min{}", s.seed,
                     format_iso8601_utc(s.start_time), time_scale_, s.transports_per_minute,
                     s.transport_count ? fmt::format(", {} transports", *s.transport_count) : std::string());
}

ReplaySource::ReplaySource(std::vector<AtoEvent> events, double speed, EpochMillis wall_start,
                           std::string name)
    : events_(std::move(events)), speed_(speed), wall_start_(wall_start), name_(std::move(name)) {}

std::vector<AtoEvent> ReplaySource::due(EpochMillis wall_now) {
  std::vector<AtoEvent> out;
  if (events_.empty()) return out;
  const EpochMillis first = events_.front().occurred_at;
  while (next_ < events_.size()) {
    const auto& e = events_[next_];
    if (speed_ > 0 &&
        static_cast<double>(e.occurred_at - first) / speed_ > static_cast<double>(wall_now - wall_start_))
      break;
    out.push_back(e);
    ++next_;
  }
  return out;
}

std::string ReplaySource::describe() const {
  return fmt::format("replay of {} ({} events, speed {})", name_, events_.size(),
                     speed_ > 0 ? fmt::format("x{}", speed_) : std::string("max"));
}

}  // namespace ato::sim
