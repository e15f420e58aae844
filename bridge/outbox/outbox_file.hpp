// The outbox's file as the filesystem sees it: the identity recorded beside it (`<outbox>.id`), the
// traces an earlier bridge leaves at a path, and which file (device and inode) a path names. With
// these an outbox that was deleted, emptied or swapped is told from a fresh start (schema/outbox/008).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace ato::bridge {

struct FileId {
  dev_t device = 0;
  ino_t inode = 0;
  friend bool operator==(const FileId&, const FileId&) = default;
};

// The file `path` names now; nullopt when there is none.
std::optional<FileId> file_id(const std::filesystem::path& path);

// `<outbox>.id`: the identity of the outbox that lives at this path.
std::filesystem::path identity_file(const std::filesystem::path& outbox);
std::optional<std::string> recorded_identity(const std::filesystem::path& outbox);
void record_identity(const std::filesystem::path& outbox, const std::string& identity);

// Whether an outbox lived at this path before: its identity or a run file is beside it, or
// `used_before` (the caller found the bridge's lock file there before it made one).
bool outbox_lived_here(const std::filesystem::path& outbox, bool used_before);

// What an operator should do with a damaged or vanished outbox, for error messages.
std::string damaged_outbox_advice(const std::filesystem::path& outbox);

}  // namespace ato::bridge
