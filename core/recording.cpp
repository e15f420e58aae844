#include "core/recording.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "core/wire.hpp"

namespace ato {

Recording read_recording(const std::filesystem::path& file, OnBadLine on_bad_line) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw RecordingError(fmt::format("cannot read recording {}", file.string()));
  Recording recording;
  std::string line;
  std::int64_t line_number = 0;
  std::map<std::int64_t, std::int64_t> line_of_sequence;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank lines carry nothing
    std::string problem;
    try {
      AtoEvent event = parse_recording_line(line);
      const auto [at, fresh] = line_of_sequence.emplace(event.sequence, line_number);
      if (!fresh) {
        problem = fmt::format("sequence {} appears again (first on line {})", event.sequence, at->second);
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
  // Feed order. A bridge's recording is in the order the events were stored: service by service
  // within a poll.
  std::stable_sort(recording.events.begin(), recording.events.end(),
                   [](const AtoEvent& a, const AtoEvent& b) { return a.sequence < b.sequence; });
  return recording;
}

}  // namespace ato
