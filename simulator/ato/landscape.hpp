// A fake S/4HANA Cloud 3-system landscape whose Adaptation Transport Organizer produces transport
// events: development system (tenant 080 for ABAP work, 100 for customizing), test and production.
// Each transport runs its lifecycle (domain.md): release/export -> test import queue -> import
// (failed ones re-imported) -> optional quality approval -> forward -> production import. The
// whole history is a pure function of the settings: same seed and start time, same bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "core/event.hpp"
#include "simulator/ato/landscape_shares.hpp"

namespace ato::sim {

struct LandscapeSettings {
  std::string dev_sid = "S4D", test_sid = "S4T", prod_sid = "S4P";
  std::uint64_t seed = 1;
  EpochMillis start_time = 0;                   // landscape clock at start
  double transports_per_minute = 2;             // landscape time
  std::optional<std::int64_t> transport_count;  // stop after this many transports (--generate-count)
  LandscapeShares shares;
  // false: a transport's life stops at its export; imports come only from a feature's deploy in
  // the fake Cloud ALM (--imports on-deploy).
  bool auto_import = true;
  // SAP: in a 3-system landscape, collections are imported automatically, daily into test and
  // weekly into production (slots aligned to UTC midnight and to the epoch's week). 0: imported
  // by hand like other transports (--collection-imports).
  EpochMillis collection_test_import_every = 24 * 3'600'000;
  EpochMillis collection_production_import_every = 7 * 24 * 3'600'000;
  // An upgrade of the landscape (landscape time, start to end): SAP allows no export or import
  // during it, so what would fall inside waits until it ends (--upgrade-window).
  std::optional<std::pair<EpochMillis, EpochMillis>> upgrade_window;
};

// One event not yet released, with what decides its place in the total order.
struct ScheduledEvent {
  EpochMillis at = 0;
  std::int64_t transport_index = 0;
  int step = 0;
  AtoEvent event;  // sequence is assigned on release
};

class Landscape {
 public:
  explicit Landscape(LandscapeSettings settings);

  // Releases, in order, every event that has happened by landscape time `now`, with gap-free
  // sequences continuing from the last release.
  std::vector<AtoEvent> release_until(EpochMillis now);
  // True once a --generate-count landscape has released its last event.
  bool done() const;
  std::int64_t transports_started() const { return next_transport_; }
  const LandscapeSettings& settings() const { return settings_; }
  std::vector<SystemRef> systems() const;

 private:
  void plan_transport(std::int64_t index);
  void plan_until(EpochMillis now);
  struct Later {
    bool operator()(const ScheduledEvent& a, const ScheduledEvent& b) const;
  };
  LandscapeSettings settings_;
  std::priority_queue<ScheduledEvent, std::vector<ScheduledEvent>, Later> pending_;
  std::int64_t next_transport_ = 0;
  std::int64_t next_sequence_ = 1;
};

}  // namespace ato::sim
