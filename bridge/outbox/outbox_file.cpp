#include "bridge/outbox/outbox_file.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include "core/files.hpp"

namespace ato::bridge {
namespace fs = std::filesystem;

namespace {

fs::path beside(const fs::path& outbox, const char* suffix) {
  return outbox.parent_path() / (outbox.filename().string() + suffix);
}

}  // namespace

std::optional<FileId> file_id(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

fs::path identity_file(const fs::path& outbox) {
  return beside(outbox, ".id");
}

std::optional<std::string> recorded_identity(const fs::path& outbox) {
  std::error_code ec;
  if (!fs::exists(identity_file(outbox), ec)) return std::nullopt;
  std::string text = read_text_file(identity_file(outbox), 4096);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

void record_identity(const fs::path& outbox, const std::string& identity) {
  write_file_atomically(identity_file(outbox), identity + "\n", 0600, Overwrite::Yes);
}

bool outbox_lived_here(const fs::path& outbox, bool used_before) {
  std::error_code ec;
  return used_before || fs::exists(identity_file(outbox), ec) || fs::exists(beside(outbox, ".run.json"), ec);
}

std::string damaged_outbox_advice(const fs::path& outbox) {
  return fmt::format(
      "stop the bridge, copy {0} (with {0}-wal if present) somewhere safe, run `ato-bridge outbox check`, "
      "then restore it from a backup or salvage its readable events with `ato-bridge outbox salvage --to "
      "NEW_FILE`",
      outbox.string());
}

}  // namespace ato::bridge
