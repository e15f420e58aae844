// NDJSON recordings: one ATO event per line exactly as the feed served it
// (schema/json/recording-line.schema.json). The simulator replays them through its fake feed; the
// bridge records what it collects and replays recordings into its outbox.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/event.hpp"

namespace ato {

class RecordingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class OnBadLine { Skip, Abort };

struct Recording {
  std::vector<AtoEvent> events;
  std::vector<std::string> problems;  // "line N: ..." for each line skipped
};

// Reads an NDJSON recording (schema/json/recording-line.schema.json) and returns its events in
// feed order: each tenant's (source system's) in its sequence order, the tenants' merged by
// occurredAt. A malformed line, or one repeating a sequence of its tenant, is reported with its line
// number and skipped, or aborts.
Recording read_recording(const std::filesystem::path& file, OnBadLine on_bad_line);
std::vector<AtoEvent> in_feed_order(std::vector<AtoEvent> events);

}  // namespace ato
