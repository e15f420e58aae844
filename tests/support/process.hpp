// Test support: run a real binary with a timeout and capture what it prints; temporary directories.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace ato::test {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal (see signal)
  int signal = 0;
  bool timed_out = false;
  std::string out;
  std::string err;
};

struct ProcessOptions {
  std::map<std::string, std::string> env;  // added to (or replacing in) the test's environment
  std::vector<std::string> unset_env;
  std::filesystem::path cwd;
  std::chrono::milliseconds timeout = std::chrono::seconds(60);
};

// Runs argv[0] with the arguments, waits for it (killing it with SIGKILL after the timeout).
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// A fresh directory under the system temp dir, removed with everything in it when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

void write_text(const std::filesystem::path& path, const std::string& text);
std::string read_text(const std::filesystem::path& path);

}  // namespace ato::test
