// The fake ATO's event sources: the generated landscape on its own clock, or a recording replayed
// at its original pace (or faster).
#pragma once

#include <filesystem>
#include <stdexcept>

#include "core/recording.hpp"
#include "simulator/ato/feed.hpp"
#include "simulator/ato/landscape.hpp"

namespace ato::sim {

class GeneratedSource : public EventSource {
 public:
  // The landscape clock runs `time_scale` times faster than the wall clock from `wall_start`.
  GeneratedSource(LandscapeSettings settings, double time_scale, EpochMillis wall_start);
  std::vector<AtoEvent> due(EpochMillis wall_now) override;
  bool done() const override { return landscape_.done(); }
  bool keeps_sequences() const override { return false; }
  std::string describe() const override;
  std::vector<SystemRef> systems() const override;
  EpochMillis start_time() const override { return landscape_.settings().start_time; }
  bool upgrading(EpochMillis wall_now) const override;

 private:
  EpochMillis landscape_time(EpochMillis wall_now) const;
  Landscape landscape_;
  double time_scale_;
  EpochMillis wall_start_;
};

class ReplaySource : public EventSource {
 public:
  // speed 1 keeps the original spacing of occurredAt, 10 plays ten times faster, 0 as fast as possible.
  ReplaySource(std::vector<AtoEvent> events, double speed, EpochMillis wall_start, std::string name);
  std::vector<AtoEvent> due(EpochMillis wall_now) override;
  bool done() const override { return next_ == events_.size(); }
  bool keeps_sequences() const override { return true; }
  std::string describe() const override;
  std::vector<SystemRef> systems() const override;
  EpochMillis start_time() const override { return events_.empty() ? 0 : events_.front().occurred_at; }

 private:
  std::vector<AtoEvent> events_;
  std::size_t next_ = 0;
  double speed_;
  EpochMillis wall_start_;
  std::string name_;
};

}  // namespace ato::sim
