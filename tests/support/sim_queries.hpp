// Test support: what the simulator says, parsed: counters, the landscape's history, Cloud ALM's
// journal of accepted events, whether the generator is done. Shared by the end-to-end tests.
#pragma once

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

inline bool generator_done(SimProcess& sim) {
  return sim.call({.path = "/sim/ato/stats", .to_ato = true}).body.find("\"generator_done\":true") !=
         std::string::npos;
}

}  // namespace ato::test
