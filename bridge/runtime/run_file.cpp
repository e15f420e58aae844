#include "bridge/runtime/run_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/files.hpp"
#include "core/json_writer.hpp"

namespace ato::bridge {
namespace fs = std::filesystem;

namespace {
fs::path with_suffix(const fs::path& p, const char* suffix) {
  return fs::path(p.string() + suffix);
}
}  // namespace

fs::path lock_file_path(const fs::path& outbox_path) {
  return with_suffix(outbox_path, ".lock");
}

InstanceLock::InstanceLock(const fs::path& outbox_path) {
  const auto path = lock_file_path(outbox_path);
  std::error_code ec;
  existed_before_ = fs::exists(path, ec);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0)
    throw std::runtime_error(fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    const auto running = find_running_bridge(outbox_path);
    throw std::runtime_error(fmt::format(
        "another ato-bridge{} is running with the outbox {}: one bridge per outbox (stop it, or use another "
        "outbox.path)",
        running ? fmt::format(" (pid {})", running->pid) : "", outbox_path.string()));
  }
}

InstanceLock::~InstanceLock() {
  if (fd_ >= 0) ::close(fd_);
}

fs::path run_file_path(const fs::path& outbox_path) {
  return with_suffix(outbox_path, ".run.json");
}

void write_run_file(const fs::path& outbox_path, const RunInfo& info) {
  std::string json;
  JsonWriter(json).begin_object().field("pid", info.pid).field("admin_url", info.admin_url).end_object();
  write_file_atomically(run_file_path(outbox_path), json + "\n", 0600, Overwrite::Yes);
}

void remove_run_file(const fs::path& outbox_path) {
  std::error_code ignored;
  fs::remove(run_file_path(outbox_path), ignored);
}

std::optional<RunInfo> find_running_bridge(const fs::path& outbox_path) {
  try {
    const std::string text = read_text_file(run_file_path(outbox_path));
    simdjson::dom::parser parser;
    simdjson::padded_string padded(text);
    const auto root = parser.parse(padded);
    RunInfo info;
    info.pid = static_cast<int>(std::int64_t(root["pid"]));
    info.admin_url = std::string(std::string_view(root["admin_url"]));
    if (info.pid <= 0 || (::kill(info.pid, 0) != 0 && errno == ESRCH)) return std::nullopt;  // a stale file
    return info;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace ato::bridge
