// One bridge per outbox: `run` holds an exclusive lock on `<outbox>.lock` for its lifetime (the
// kernel releases it when the process dies, even by SIGKILL), and writes `<outbox>.run.json`
// (pid, admin URL) so `status` and `tick` find the running bridge even when the admin port was 0.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace ato::bridge {

class InstanceLock {
 public:
  // Throws std::runtime_error naming the other process when the outbox is already in use.
  explicit InstanceLock(const std::filesystem::path& outbox_path);
  ~InstanceLock();
  // Whether the lock file was there before: a bridge used this outbox path before.
  bool existed_before() const { return existed_before_; }
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

 private:
  int fd_ = -1;
  bool existed_before_ = false;
};

std::filesystem::path lock_file_path(const std::filesystem::path& outbox_path);

struct RunInfo {
  int pid = 0;
  std::string admin_url;  // http://127.0.0.1:PORT
};

std::filesystem::path run_file_path(const std::filesystem::path& outbox_path);
void write_run_file(const std::filesystem::path& outbox_path, const RunInfo& info);
void remove_run_file(const std::filesystem::path& outbox_path);
// The running bridge of this outbox, if its run file names a live process.
std::optional<RunInfo> find_running_bridge(const std::filesystem::path& outbox_path);

}  // namespace ato::bridge
