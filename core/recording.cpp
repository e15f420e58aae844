#include "core/recording.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "core/json_reader.hpp"
#include "core/wire.hpp"

namespace ato {

// Each tenant's events in its sequence order (a bridge's recording is in the order the events were
// stored: service by service within a poll), the tenants' streams merged by occurredAt: a replay
// paces by occurredAt and must never put a tenant's event before an earlier one of that tenant.
std::vector<AtoEvent> in_feed_order(std::vector<AtoEvent> events) {
  struct Placed {
    std::size_t line;  // place in the file: breaks ties of occurredAt as the file has them
    AtoEvent event;
  };
  std::map<std::string, std::vector<Placed>> streams;
  for (std::size_t i = 0; i < events.size(); ++i)
    streams[events[i].source.key()].push_back({i, std::move(events[i])});
  for (auto& [tenant, stream] : streams)
    std::stable_sort(stream.begin(), stream.end(),
                     [](const Placed& a, const Placed& b) { return a.event.sequence < b.event.sequence; });
  std::vector<AtoEvent> merged;
  merged.reserve(events.size());
  std::map<std::string, std::size_t> next;
  const auto earlier = [](const Placed& a, const Placed& b) {
    return a.event.occurred_at != b.event.occurred_at ? a.event.occurred_at < b.event.occurred_at
                                                      : a.line < b.line;
  };
  for (std::size_t taken = 0; taken < events.size(); ++taken) {
    Placed* first = nullptr;
    std::size_t* first_next = nullptr;
    for (auto& [tenant, stream] : streams) {
      std::size_t& at = next[tenant];
      if (at < stream.size() && (!first || earlier(stream[at], *first))) {
        first = &stream[at];
        first_next = &at;
      }
    }
    merged.push_back(std::move(first->event));
    ++*first_next;
  }
  return merged;
}

Recording read_recording(const std::filesystem::path& file, OnBadLine on_bad_line) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw RecordingError(fmt::format("cannot read recording {}", file.string()));
  Recording recording;
  std::string line;
  std::int64_t line_number = 0;
  std::map<std::pair<std::string, std::int64_t>, std::int64_t> line_of_sequence;  // per tenant (source)
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank lines carry nothing
    std::string problem;
    try {
      AtoEvent event = parse_recording_line(line);
      const auto [at, fresh] =
          line_of_sequence.emplace(std::pair{event.source.key(), event.sequence}, line_number);
      if (!fresh) {
        problem = fmt::format("sequence {} of {} appears again (first on line {})", event.sequence,
                              event.source.key(), at->second);
      } else {
        recording.events.push_back(std::move(event));
        continue;
      }
    } catch (const JsonError& e) {
      problem = e.what();
    }
    const std::string message = fmt::format("{} line {}: {}", file.string(), line_number, problem);
    if (on_bad_line == OnBadLine::Abort) throw RecordingError(message + " (--on-bad-line abort)");
    recording.problems.push_back(message);
  }
  recording.events = in_feed_order(std::move(recording.events));
  return recording;
}

}  // namespace ato
