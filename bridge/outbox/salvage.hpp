// Salvage: the readable events of a damaged outbox copied into a new one. SQLite has no recovery in
// the library Debian ships (the CLI's .recover needs sqlite_dbpage, which Debian's build lacks), so
// the damaged file is read in ranges of row ids; a range that cannot be read is read row by row,
// and a row that cannot be read is counted as lost. The new outbox keeps the damaged one's identity
// when it can be read, so it can be put back in its place and the bridge takes it as the same.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace ato::bridge {

struct SalvageReport {
  std::int64_t events = 0;                      // copied
  std::int64_t unreadable_rows = 0;             // row ids in the stored range whose event could not be read
  std::int64_t without_payload = 0;             // events whose payload could not be read: not copied
  std::vector<std::string> lost_events;         // eventIds of those (the first 100)
  std::map<std::string, std::int64_t> cursors;  // per service, as copied or rebuilt
  std::vector<std::string> notes;               // what was rebuilt or left out, in words
  bool identity_kept = false;
};

// Reads `damaged` (never writes it) and writes a new outbox at `target`, which must not exist.
// Throws std::runtime_error when the damaged file yields nothing at all.
SalvageReport salvage_outbox(const std::filesystem::path& damaged, const std::filesystem::path& target);

}  // namespace ato::bridge
