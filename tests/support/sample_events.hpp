// Events and push packages the simulator's tests send the fake Cloud ALM by hand: an export, an
// import, a status change of a transport, in one-event packages (tests/integration/).
#pragma once

#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/wire.hpp"
#include "tests/support/sim_process.hpp"

namespace ato::test {

inline std::string uuid(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012x", n);
  return buf;
}

inline AtoEvent base_event(Service service, std::int64_t sequence, const std::string& transport,
                           SystemRef source) {
  AtoEvent e;
  e.event_id = uuid(static_cast<int>(sequence));
  e.service = service;
  e.sequence = sequence;
  e.occurred_at = 1795313841000 + sequence * 1000;
  e.source = std::move(source);
  e.transport_id = transport;
  return e;
}

inline AtoEvent exported(std::int64_t seq, const std::string& transport) {
  auto e = base_event(Service::Export, seq, transport, {"S4D", "080"});
  e.details = ExportDetails{
      RequestKind::Workbench, "Delivery block in sales orders", "CB9980000123", e.occurred_at, {}};
  return e;
}

inline AtoEvent imported(std::int64_t seq, const std::string& transport, SystemRef target,
                         ImportResult result = ImportResult::Success) {
  auto e = base_event(Service::Import, seq, transport, target);
  e.details = ImportDetails{
      target,       ImportType::Manual, result, result == ImportResult::Error ? 8 : 0, e.occurred_at - 500,
      e.occurred_at};
  return e;
}

inline AtoEvent status_change(std::int64_t seq, const std::string& transport, StatusType type,
                              std::string status, SystemRef target) {
  auto e = base_event(Service::StatusChange, seq, transport, target);
  e.details = StatusChangeDetails{type, std::nullopt, std::move(status), "CB9980000789", target};
  return e;
}

inline std::string package(std::vector<AtoEvent> events) {
  PushPackage p{uuid(900000 + static_cast<int>(events.front().sequence)), events.front().service,
                1795313841000, std::move(events)};
  return to_json(p);
}

inline std::string path_for(Service s) {
  switch (s) {
    case Service::Export:
      return SimProcess::export_path();
    case Service::Import:
      return SimProcess::import_path();
    default:
      return SimProcess::status_change_path();
  }
}

// Pushes one event's package and returns its single result.
inline EventResult push_one(SimProcess& sim, const std::string& token, const AtoEvent& event) {
  auto r = sim.call({.method = "POST",
                     .path = path_for(event.service),
                     .body = package({event}),
                     .headers = {"Authorization: Bearer " + token},
                     .schema = "push-response"});
  REQUIRE_MESSAGE(r.status == 200, r.body);
  auto response = parse_push_response(r.body);
  REQUIRE(response.results.size() == 1);
  return response.results[0];
}

}  // namespace ato::test
