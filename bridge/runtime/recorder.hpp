// `ato-bridge run --record FILE`: every collected event appended to an NDJSON recording, exactly as
// stored (schema/json/recording-line.schema.json). The recording follows the outbox rather than the
// feed: lines are appended after the outbox committed them, and at start the recorder appends what
// the outbox stored after the recording's last line (a crash between the two). So the recording
// never holds an event the outbox lost, nor misses one it stored.
// It reads the outbox, so the running bridge calls it on the outbox thread (the one door).
#pragma once

#include <cstdint>
#include <filesystem>

#include "bridge/outbox/types.hpp"

namespace ato::bridge {

class Outbox;  // bridge/outbox/outbox.hpp: only its .cpp opens the outbox

class Recorder {
 public:
  // Opens (creating, mode 0600) the file, drops a torn last line, finds where it left off and
  // catches up. Throws std::runtime_error naming the file.
  Recorder(std::filesystem::path file, const Outbox& outbox);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Appends the events stored since the last call and flushes them to disk. Returns how many.
  std::int64_t catch_up();

 private:
  std::filesystem::path file_;
  const Outbox& outbox_;
  int fd_ = -1;
  std::int64_t last_id_ = 0;  // the outbox id of the last recorded event
};

}  // namespace ato::bridge
