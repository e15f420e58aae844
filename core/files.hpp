// Reading and writing the small files the project deals with (configuration, service keys,
// certificates), with errors that name the file and the reason.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

namespace ato {

class FileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The most read_text_file reads by default: configuration, service keys and certificates are a few
// kilobytes, and a wrong path (a log, a database) must not be read into memory whole.
inline constexpr std::size_t kMaxSmallFileBytes = 1024 * 1024;

// Whole file as text. Throws FileError("cannot read <path>: <reason>"), also when the file is larger
// than `max_bytes` (naming the limit).
std::string read_text_file(const std::filesystem::path& path, std::size_t max_bytes = kMaxSmallFileBytes);

enum class Overwrite { No, Yes };

// Writes to a temporary file in the same directory with `mode`, fsyncs it and renames it into place,
// so readers see the old file or the new one, never half of one. With Overwrite::No an existing
// file is an error (FileError naming it).
void write_file_atomically(const std::filesystem::path& path, const std::string& content, mode_t mode,
                           Overwrite overwrite);

// Who besides its owner can read a secret file, as a warning's advice, or nothing when none but
// the owner and this process's own groups can: 0640 root:ato-bridge is how the service is meant to
// read its key (README, "Running as a service"), so the check and the advice agree with that.
std::optional<std::string> secret_file_exposure(const std::filesystem::path& path);

}  // namespace ato
