// What `ato-bridge loadtest` sends: a recording's events, or synthetic exports of fresh transports
// from a system of the load test's own, never one of the landscape's (so a load test into a Cloud
// ALM that a bridge also delivers to cannot collide with real transports: README, "What a load test
// leaves behind").
#pragma once

#include <boost/uuid/random_generator.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bridge/config.hpp"
#include "bridge/outbox/types.hpp"
#include "core/event.hpp"

namespace ato::bridge {

// Events to push: a recording's, or synthetic exports of fresh transports from the load test's own
// system (LoadtestOptions::system, never one of the landscape's: see loadtest.hpp). A package
// holds events of one service (it goes to that service's path): a recording is read in its order,
// and a package ends where the service changes, so a transport's events keep their order (within
// what parallel connections allow).
class EventSupply {
 public:
  EventSupply(const std::optional<std::string>& from, SystemRef system);
  bool synthetic() const { return recorded_.empty(); }
  std::size_t available() const { return recorded_.size(); }

  // Passes over the next package without building it (another shard sends it): how many events it has.
  std::int64_t skip_package(std::int64_t n);
  // `n` events of one service, numbered from `first_index`.
  std::vector<ClaimedEvent> next_package(std::int64_t first_index, std::int64_t n);

 private:
  static ClaimedEvent recorded_event(const NewEvent& e, std::int64_t index);
  // An export of transport <SID>K9NNNNN of the load test's system: its sequences continue from the
  // start time (a later run's are higher), its title and owner say it is a load test's.
  ClaimedEvent synthetic_event(std::int64_t index);

  std::vector<NewEvent> recorded_;
  std::size_t position_ = 0;  // the next event of the recording (it wraps around)
  std::int64_t base_sequence_ = 0;
  SystemRef system_;
  boost::uuids::random_generator_mt19937 generate_;  // seeded once: no getrandom call per eventId
};

// Why the synthetic events must not come from `system` (malformed, or a tenant or registered system of
// the configuration), or nothing.
std::optional<std::string> synthetic_system_problem(const std::string& system, const BridgeConfig& config);

// What a synthetic load test leaves in the Cloud ALM it pushed to, and how to drop it: a summary line.
std::string left_behind(const std::string& system);

}  // namespace ato::bridge
