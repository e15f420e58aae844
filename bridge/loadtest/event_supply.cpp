#include "bridge/loadtest/event_supply.hpp"

#include <fmt/format.h>
#include <boost/uuid/uuid_io.hpp>

#include "bridge/loadtest/loadtest.hpp"
#include "core/recording.hpp"
#include "core/time.hpp"
#include "core/wire.hpp"

namespace ato::bridge {

EventSupply::EventSupply(const std::optional<std::string>& from, SystemRef system)
    : system_(std::move(system)) {
  if (from) {
    auto recording = read_recording(*from, OnBadLine::Skip);
    for (auto& e : recording.events) recorded_.push_back(to_new_event(e));
  }
  base_sequence_ = now_epoch_millis() * 100;
}

std::int64_t EventSupply::skip_package(std::int64_t n) {
  if (synthetic()) return n;
  const Service service = recorded_[position_ % recorded_.size()].service;
  std::int64_t skipped = 0;
  while (skipped < n && recorded_[position_ % recorded_.size()].service == service) ++skipped, ++position_;
  return skipped;
}

std::vector<ClaimedEvent> EventSupply::next_package(std::int64_t first_index, std::int64_t n) {
  std::vector<ClaimedEvent> out;
  if (synthetic()) {
    for (std::int64_t i = 0; i < n; ++i) out.push_back(synthetic_event(first_index + i));
    return out;
  }
  const Service service = recorded_[position_ % recorded_.size()].service;
  for (std::int64_t i = 0; i < n; ++i) {
    const NewEvent& e = recorded_[position_ % recorded_.size()];
    if (e.service != service) break;
    out.push_back(recorded_event(e, first_index + i));
    ++position_;
  }
  return out;
}

ClaimedEvent EventSupply::recorded_event(const NewEvent& e, std::int64_t index) {
  ClaimedEvent out;
  out.id = index;
  out.event_id = e.event_id;
  out.service = e.service;
  out.sequence = e.sequence;
  out.transport_id = e.transport_id;
  out.source_system = e.source_system;
  out.payload = e.payload;
  return out;
}

ClaimedEvent EventSupply::synthetic_event(std::int64_t index) {
  ClaimedEvent out;
  out.id = index;
  AtoEvent e;
  e.event_id = boost::uuids::to_string(generate_());
  e.service = Service::Export;
  e.sequence = base_sequence_ + index;
  e.occurred_at = now_epoch_millis();
  e.source = system_;
  e.transport_id = fmt::format("{}K9{:05}", system_.sid, index % 100000);
  e.details = ExportDetails{
      RequestKind::Workbench, fmt::format("ato-bridge load test {}", index), "LOADTEST", e.occurred_at, {}};
  out.event_id = e.event_id;
  out.service = e.service;
  out.sequence = e.sequence;
  out.transport_id = e.transport_id;
  out.source_system = e.source.key();
  out.payload = to_json(e);
  return out;
}

std::optional<std::string> synthetic_system_problem(const std::string& system, const BridgeConfig& config) {
  const auto ref = parse_system_ref(system);
  if (!ref) return "expected SID~client, e.g. " + std::string(kLoadtestSystem);
  for (const auto& t : config.tenants)
    if (t.name == system)
      return "that is a tenant of this configuration; synthetic events would mix with its real transports. "
             "Choose a system of no landscape (default " +
             std::string(kLoadtestSystem) + ")";
  for (const auto& [registered, role] : config.registration.systems)
    if (registered.key() == system)
      return "that is one of the landscape's systems (registration.systems); choose a system of no "
             "landscape (default " +
             std::string(kLoadtestSystem) + ")";
  return std::nullopt;
}

std::string left_behind(const std::string& system) {
  const auto sid = system.substr(0, system.find('~'));
  return fmt::format(
      "  left behind   synthetic transports {}K9NNNNN of system {} (exports only) in the target, and its "
      "registration if you made one (`ato-bridge unregister --system {}`); on ato-sim `curl -X DELETE "
      "'<alm_url>/sim/transports?system={}'` drops the transports\n",
      sid, system, system, system);
}

}  // namespace ato::bridge
