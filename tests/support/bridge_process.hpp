// Test support: a real `ato-bridge run` against a SimProcess, configured in a temporary directory
// (admin on port 0, short schedules), started, killed and restarted; its CLI and admin endpoint.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/sim_process.hpp"

namespace ato::test {

struct BridgeOptions {
  std::string run_every = "1s";
  std::string retry_every = "1s";
  std::map<std::string, bool> active;  // export, import, status_change, retry (default: all)
  int package_size = 100;
  bool backfill = true;
  std::string retry_base = "100ms", retry_cap = "1s";
  int max_attempts = 50;
  int connections = 2;
  std::string timeout = "5s";
  std::optional<std::string> ca_file;           // default: the simulator's CA
  std::optional<std::string> alm_host;          // override cloud_alm.host
  std::optional<std::string> token_endpoint;    // override cloud_alm.token_endpoint
  std::optional<std::string> client_secret;     // override the key's secret (cloud_alm.client_secret)
  std::optional<std::string> service_key_file;  // default: the simulator's
  std::string log_level = "info";
  bool register_first = true;  // `ato-bridge register` (every system the feed lists) before the first start
  std::optional<std::string> outbox_path;  // default: outbox.db in the bridge's directory
  // The simulator's tenants to configure (default: all), each as the ready file names it.
  std::vector<std::string> tenants;
  // Per tenant and service (export, import, status_change): its own schedule instead of run_every.
  std::map<std::string, std::map<std::string, std::string>> tenant_run_every;
  // One `ato` section (tenant 'default') reading this tenant's feed, instead of a `tenants` list.
  std::optional<std::string> single_feed_of;
  // Tenants whose password the bridge is given wrong (their feed answers 401).
  std::set<std::string> wrong_password;
  // More environment for `ato-bridge run` (e.g. what systemd sets: NOTIFY_SOCKET, JOURNAL_STREAM).
  std::map<std::string, std::string> run_env;
};

class BridgeProcess {
 public:
  BridgeProcess(SimProcess& sim, BridgeOptions options = {}, std::string name = "bridge");
  ~BridgeProcess();

  // Starts `ato-bridge run` and waits (bounded) until its run file names the new process.
  void start(std::vector<std::string> extra_args = {});
  void kill(int signal);
  // Waits for the process to end; returns its result (exit code or signal).
  ProcessResult wait(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  bool running();

  // GET (or POST) on the admin endpoint.
  HttpResult admin(const std::string& path, const std::string& method = "GET");
  // `ato-bridge <args> --config <file>` with the ATO password in the environment.
  ProcessResult cli(std::vector<std::string> args);
  // From the next start on, the tenants in `wrong` get a wrong password, the others the right one.
  void set_wrong_passwords(std::set<std::string> wrong) { wrong_password_ = std::move(wrong); }
  // From the next start on, `ato-bridge run` also gets this environment variable.
  void set_run_env(const std::string& name, const std::string& value) { run_env_[name] = value; }

  const std::filesystem::path& config_file() const { return config_; }
  std::filesystem::path outbox_file() const { return outbox_path_ ? *outbox_path_ : dir_ / "outbox.db"; }
  std::string log() const;
  std::filesystem::path log_file() const { return dir_ / "bridge.log"; }

 private:
  std::map<std::string, std::string> password_env() const;  // variable -> the tenant's password

  SimProcess& sim_;
  std::set<std::string> wrong_password_;
  std::vector<SimTenant> tenants_;  // configured, in order: ATO_TEST_PASSWORD_<index> each
  std::filesystem::path dir_, config_;
  std::unique_ptr<ChildProcess> process_;
  std::string admin_url_;
  bool register_first_ = true;
  std::optional<std::filesystem::path> outbox_path_;
  std::map<std::string, std::string> run_env_;
};

// Polls `done` every 50 ms until it is true or `limit` passes; returns whether it became true.
template <typename F>
bool eventually(F done, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace ato::test
