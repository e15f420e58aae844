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

// A child process left running; killed with SIGKILL when destroyed if still alive.
class ChildProcess {
 public:
  // Starts argv[0]; its standard output and error go to `log_file` (appended), input is /dev/null.
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& log_file,
               const ProcessOptions& options = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  int pid() const { return pid_; }
  void kill(int signal);
  // Waits for the child to end (at most `timeout`, then SIGKILL). Returns its result without output.
  ProcessResult wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  bool running();

 private:
  int pid_ = -1;
  bool reaped_ = false;
  ProcessResult result_;
};

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
