// Test support: what the simulator says, parsed: counters, the landscape's history, Cloud ALM's
// journal of accepted events, whether the generator is done. Shared by the end-to-end tests.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/wire.hpp"
#include "tests/support/sim_process.hpp"

namespace ato::test {

inline SimStats sim_stats(SimProcess& sim) {
  return parse_sim_stats(sim.call({.path = "/sim/stats"}).body);
}

// One event per NDJSON line.
inline std::vector<AtoEvent> ndjson_events(std::string_view text) {
  std::vector<AtoEvent> events;
  for (std::size_t pos = 0; pos < text.size();) {
    auto eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    if (eol > pos) events.push_back(parse_recording_line(text.substr(pos, eol - pos)));
    pos = eol + 1;
  }
  return events;
}

// Everything the fake ATO produced so far, in feed order.
inline std::vector<AtoEvent> landscape_history(SimProcess& sim) {
  return ndjson_events(sim.call({.path = "/sim/ato/history.ndjson", .to_ato = true}).body);
}

// Every event the fake Cloud ALM accepted, in acceptance order.
inline std::vector<AtoEvent> accepted_journal(SimProcess& sim) {
  return ndjson_events(sim.call({.path = "/sim/journal?after=0"}).body);
}

// The status Cloud ALM should show for each transport the landscape recorded, worked out here on its
// own (the test's oracle): that of the latest status-changing event by what happened (occurredAt,
// then the step: export, queued, imported), whatever order the tenants sent them in; a running
// import changes nothing; deployed where an earlier import had failed shows Repaired.
inline std::map<std::string, std::string> expected_statuses(const std::vector<AtoEvent>& history) {
  struct Latest {
    EpochMillis at = 0;
    int step = -1;
    std::string status;
  };
  std::map<std::string, Latest> latest;
  std::set<std::string> exported;
  std::multimap<std::string, std::pair<std::string, EpochMillis>> failures;  // transport: system, when
  for (const auto& e : history) {
    std::optional<std::string> status;
    int step = 0;
    if (e.service == Service::Export) {
      exported.insert(e.transport_id);
      status = "Released";
    } else if (const auto* i = std::get_if<ImportDetails>(&e.details)) {
      if (i->import_type == ImportType::Forecast) continue;  // a check: it changes no status
      status = (i->result == ImportResult::Error ? "Failed in " : "Deployed in ") + i->target.key();
      step = 3;
      if (i->result == ImportResult::Error)
        failures.emplace(e.transport_id, std::pair(i->target.key(), e.occurred_at));
    } else if (const auto* s = std::get_if<StatusChangeDetails>(&e.details);
               s && s->status_type == StatusType::ImportQueue && s->target) {
      if (s->new_status == "READY_FOR_IMPORT") status = "Scheduled In " + s->target->key(), step = 1;
      if (s->new_status == "IMPORTED" || s->new_status == "IMPORTED_WITH_WARNINGS")
        status = "Deployed in " + s->target->key(), step = 3;
      if (s->new_status == "FAILED") {
        status = "Failed in " + s->target->key(), step = 3;
        failures.emplace(e.transport_id, std::pair(s->target->key(), e.occurred_at));
      }
    }
    if (!status) continue;
    auto& l = latest[e.transport_id];
    if (std::pair(e.occurred_at, step) > std::pair(l.at, l.step)) l = {e.occurred_at, step, *status};
  }
  std::map<std::string, std::string> out;
  for (auto& [id, l] : latest) {
    if (!exported.count(id)) continue;  // Cloud ALM knows a transport from its export on
    const auto [first, last] = failures.equal_range(id);
    for (auto f = first; f != last; ++f)
      if (l.status == "Deployed in " + f->second.first && f->second.second < l.at) l.status = "Repaired";
    out[id] = l.status;
  }
  return out;
}

// What the fake Cloud ALM shows: every transport's status (its view with history, /sim/transports).
inline std::map<std::string, std::string> shown_statuses(SimProcess& sim) {
  std::map<std::string, std::string> out;
  std::string next = "/sim/transports?$top=1000";
  for (int page = 0; page < 1000 && !next.empty(); ++page) {
    const auto r = sim.call({.path = next});
    if (r.status != 200) break;
    const auto parsed = parse_transports_page(r.body);
    for (const auto& t : parsed.transports) out[t.id] = t.status;
    next = parsed.next_link.value_or("");
  }
  return out;
}

inline bool generator_done(SimProcess& sim) {
  return sim.call({.path = "/sim/ato/stats", .to_ato = true}).body.find("\"generator_done\":true") !=
         std::string::npos;
}

// The landscape produced all it will, and the fake Cloud ALM accepted every event of it.
inline bool all_delivered(SimProcess& sim) {
  return generator_done(sim) &&
         sim_stats(sim).total.events_accepted == static_cast<std::int64_t>(landscape_history(sim).size());
}

}  // namespace ato::test
