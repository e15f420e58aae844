#include "bridge/outbox/memory.hpp"

#include <fmt/format.h>

#include <set>
#include <tuple>

#include "bridge/outbox/sql.hpp"
#include "core/sqlite.hpp"

namespace ato::bridge {

using sqlite::Statement;

void OutboxMemory::forget() {
  for (auto& [tenant, window] : windows) window->clear();
  in_flight.forget();
  tally.reset();
  cursors.reset();
  tenants.loaded = false;  // a rolled-back store may have named a tenant
}

void OutboxMemory::count(int tenant, Service service, EventState state, std::int64_t n) {
  if (tally) (*tally)[tenant][service][state] += n;
}

void OutboxMemory::count_move(int tenant, Service service, EventState from, EventState to) {
  count(tenant, service, from, -1);
  count(tenant, service, to, +1);
}

namespace {

Service service_from(std::string_view text) {
  return value_of(kServiceNames, text).value_or(Service::Export);
}
EventState state_from(std::string_view text) {
  return value_of(kEventStateNames, text).value_or(EventState::Pending);
}

struct Leased {
  std::int64_t token;
  EventState state;
  EpochMillis next_attempt_at;
  Service service;
  int tenant;
  bool operator==(const Leased&) const = default;
};

std::map<std::int64_t, Leased> leased_in_file(const sqlite::Database& db) {
  std::map<std::int64_t, Leased> out;
  Statement load(db, sql::load_leases);
  while (load.step())
    out[load.int64(1)] = Leased{load.int64(0), state_from(load.text(2)), load.int64(3),
                                service_from(load.text(4)), static_cast<int>(load.int64(5))};
  return out;
}

void check_window(const sqlite::Database& db, int tenant, const ClaimWindow& window,
                  const std::map<std::int64_t, Leased>& leased, std::vector<std::string>& problems) {
  if (!window.loaded()) return;
  struct Open {
    std::int64_t sequence;
    EventState state;
    EpochMillis next_attempt_at;
  };
  std::map<std::int64_t, Open> open;  // by row
  std::int64_t open_within = 0;
  Statement rows(db, sql::open_events_of_tenant);
  rows.bind(1, tenant);
  while (rows.step()) {
    open[rows.int64(0)] = Open{rows.int64(1), state_from(rows.text(2)), rows.int64(3)};
    if (window.complete() || rows.int64(1) <= window.horizon()) ++open_within;
  }
  const auto held = window.events();
  if (static_cast<std::int64_t>(held.size()) != open_within)
    problems.push_back(fmt::format(
        "tenant {}: the claim window holds {} events, the file has {} open{}", tenant, held.size(),
        open_within, window.complete() ? "" : fmt::format(" up to sequence {}", window.horizon())));
  for (const auto& e : held) {
    const auto row = open.find(e.id);
    if (row == open.end()) {
      problems.push_back(
          fmt::format("tenant {}: the claim window holds row {}, which is not open", tenant, e.id));
      continue;
    }
    if (row->second.sequence != e.sequence)
      problems.push_back(fmt::format("row {}: sequence {} in the window, {} in the file", e.id, e.sequence,
                                     row->second.sequence));
    if (e.state == EventState::InFlight) {
      if (!leased.contains(e.id))
        problems.push_back(fmt::format("row {}: in flight in the window, but no lease lists it", e.id));
    } else if (leased.contains(e.id) || e.state != row->second.state ||
               e.next_attempt_at != row->second.next_attempt_at) {
      problems.push_back(fmt::format(
          "row {}: {} due at {} in the window, {} due at {}{} in the file", e.id,
          name_of(kEventStateNames, e.state), e.next_attempt_at, name_of(kEventStateNames, row->second.state),
          row->second.next_attempt_at, leased.contains(e.id) ? " and leased" : ""));
    }
  }
}

}  // namespace

std::vector<std::string> OutboxMemory::check(const sqlite::Database& db) const {
  std::vector<std::string> problems;
  if (tenants.loaded) {
    std::map<int, std::string> in_file;
    Statement load(db, sql::load_tenants);
    while (load.step()) in_file[static_cast<int>(load.int64(0))] = std::string(load.text(1));
    if (in_file != tenants.names || in_file.size() != tenants.numbers.size())
      problems.push_back("tenants: memory and the tenants table differ");
  }
  const auto leased = leased_in_file(db);
  if (in_flight.loaded()) {
    std::map<std::int64_t, Leased> in_memory;
    for (const auto& [id, e] : in_flight.events())
      in_memory[id] = Leased{e.token, e.state, e.next_attempt_at, e.service, e.tenant};
    if (in_memory != leased)
      problems.push_back(fmt::format("in flight: memory lists {} events, the leases {} (or they differ)",
                                     in_memory.size(), leased.size()));
  }
  for (const auto& [tenant, window] : windows) check_window(db, tenant, *window, leased, problems);
  if (tally) {
    Tally in_file;
    Statement count(db, sql::count_by_state);
    while (count.step())
      in_file[static_cast<int>(count.int64(0))][service_from(count.text(1))][state_from(count.text(2))] =
          count.int64(3);
    std::set<std::tuple<int, Service, EventState>> keys;
    for (const Tally* of : {&*tally, static_cast<const Tally*>(&in_file)})
      for (const auto& [t, by_service] : *of)
        for (const auto& [s, states] : by_service)
          for (const auto& [state, n] : states) keys.emplace(t, s, state);
    const auto at = [](const Tally& of, int t, Service s, EventState state) -> std::int64_t {
      const auto a = of.find(t);
      if (a == of.end()) return 0;
      const auto b = a->second.find(s);
      if (b == a->second.end()) return 0;
      const auto c = b->second.find(state);
      return c == b->second.end() ? 0 : c->second;
    };
    for (const auto& [t, s, state] : keys)
      if (at(*tally, t, s, state) != at(in_file, t, s, state))
        problems.push_back(fmt::format("tally: tenant {} {} {}: {} in memory, {} rows", t, to_string(s),
                                       name_of(kEventStateNames, state), at(*tally, t, s, state),
                                       at(in_file, t, s, state)));
  }
  if (cursors) {
    Cursors in_file;
    Statement load(db, sql::load_cursors);
    while (load.step())
      in_file[{static_cast<int>(load.int64(0)), service_from(load.text(1))}] = load.int64(2);
    if (in_file != *cursors) problems.push_back("cursors: memory and the cursors table differ");
  }
  if (event_ids.loaded) {
    Statement scan(db, sql::all_event_ids);
    while (scan.step())
      if (!event_ids.index.find(scan.text(0))) {
        problems.push_back(
            fmt::format("event ids: {} (row {}) is stored but not indexed", scan.text(0), scan.int64(1)));
        break;
      }
  }
  return problems;
}

}  // namespace ato::bridge
