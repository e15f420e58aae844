#include "tests/support/bridge_process.hpp"

#include <simdjson.h>

#include <csignal>
#include <thread>

namespace ato::test {

namespace {

std::string json_text(const std::string& s) {
  return "\"" + s + "\"";
}

std::string service_json(const BridgeOptions& o, const std::string& name, const std::string& run_every) {
  const auto it = o.active.find(name);
  const bool active = it == o.active.end() || it->second;
  std::string json = "{\"active\": " + std::string(active ? "true" : "false") +
                     ", \"run_every\": " + json_text(run_every) +
                     ", \"package_size\": " + std::to_string(o.package_size) + "}";
  return json;
}

std::string service_json(const BridgeOptions& o, const std::string& name) {
  return service_json(o, name, name == "retry" ? o.retry_every : o.run_every);
}

// A tenant's own services, when the options give it a schedule of its own.
std::string tenant_services_json(const BridgeOptions& o, const std::string& tenant) {
  const auto own = o.tenant_run_every.find(tenant);
  if (own == o.tenant_run_every.end()) return "";
  std::string json = ", \"services\": {";
  bool first = true;
  for (const auto& [service, every] : own->second) {
    json += (first ? "\"" : ", \"") + service + "\": " + service_json(o, service, every);
    first = false;
  }
  return json + "}";
}

}  // namespace

BridgeProcess::BridgeProcess(SimProcess& sim, BridgeOptions o, std::string name)
    : sim_(sim), wrong_password_(o.wrong_password), register_first_(o.register_first) {
  if (o.outbox_path) outbox_path_ = *o.outbox_path;
  run_env_ = o.run_env;
  dir_ = sim.path(name);
  std::filesystem::create_directories(dir_);
  config_ = dir_ / "bridge.json";
  if (o.single_feed_of) {
    tenants_.push_back(sim.tenant(*o.single_feed_of));
  } else if (o.tenants.empty()) {
    tenants_ = sim.tenants();
  } else {
    for (const auto& name : o.tenants) tenants_.push_back(sim.tenant(name));
  }
  std::string tenants_json;
  if (o.single_feed_of) {
    tenants_json = "  \"ato\": {\"feed_url\": " + json_text(tenants_.front().feed_url) +
                   ", \"user\": " + json_text(tenants_.front().user) +
                   ", \"password_env\": \"ATO_TEST_PASSWORD_0\"},\n";
  } else {
    tenants_json = "  \"tenants\": [\n";
    for (std::size_t i = 0; i < tenants_.size(); ++i)
      tenants_json += std::string(i ? ",\n" : "") + "    {\"name\": " + json_text(tenants_[i].name) +
                      ", \"feed_url\": " + json_text(tenants_[i].feed_url) +
                      ", \"user\": " + json_text(tenants_[i].user) +
                      ", \"password_env\": \"ATO_TEST_PASSWORD_" + std::to_string(i) + "\"" +
                      tenant_services_json(o, tenants_[i].name) + "}";
    tenants_json += "\n  ],\n";
  }
  std::string alm =
      "\"service_key_file\": " + json_text(o.service_key_file.value_or(sim.service_key_file().string()));
  if (o.alm_host) alm += ", \"host\": " + json_text(*o.alm_host);
  if (o.token_endpoint) alm += ", \"token_endpoint\": " + json_text(*o.token_endpoint);
  if (o.client_secret) alm += ", \"client_secret\": " + json_text(*o.client_secret);
  const std::string json =
      "{\n"
      "  \"cloud_alm\": {" +
      alm + "},\n" + tenants_json + "  \"services\": {\"export\": " + service_json(o, "export") +
      ", \"import\": " + service_json(o, "import") +
      ", \"status_change\": " + service_json(o, "status_change") +
      ", \"retry\": " + service_json(o, "retry") +
      "},\n"
      "  \"outbox\": {\"path\": " +
      json_text(o.outbox_path.value_or("outbox.db")) +
      "},\n"
      "  \"retry_policy\": {\"base\": " +
      json_text(o.retry_base) + ", \"cap\": " + json_text(o.retry_cap) +
      ", \"max_attempts\": " + std::to_string(o.max_attempts) +
      "},\n"
      "  \"tls\": {\"ca_file\": " +
      json_text(o.ca_file.value_or(sim.ca_file())) +
      "},\n"
      "  \"push\": {\"connections\": " +
      std::to_string(o.connections) + ", \"timeout\": " + json_text(o.timeout) +
      "},\n"
      "  \"admin\": {\"listen\": \"127.0.0.1:0\"},\n"
      "  \"log\": {\"level\": " +
      json_text(o.log_level) +
      "},\n"
      "  \"collect\": {\"backfill\": " +
      (o.backfill ? "true" : "false") +
      "}\n"
      "}\n";
  write_text(config_, json);
}

std::map<std::string, std::string> BridgeProcess::password_env() const {
  std::map<std::string, std::string> env;
  for (std::size_t i = 0; i < tenants_.size(); ++i)
    env["ATO_TEST_PASSWORD_" + std::to_string(i)] =
        wrong_password_.count(tenants_[i].name) ? "not-" + tenants_[i].password : tenants_[i].password;
  return env;
}

BridgeProcess::~BridgeProcess() {
  if (process_ && process_->running()) {
    process_->kill(SIGKILL);
    process_->wait();
  }
}

void BridgeProcess::start(std::vector<std::string> extra_args) {
  if (register_first_) {
    register_first_ = false;
    const auto r = cli({"register"});
    if (r.exit_code != 0) throw std::runtime_error("ato-bridge register failed:\n" + r.out + r.err);
  }
  std::vector<std::string> argv = {ATO_BRIDGE_BIN, "run", "--config", config_.string()};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  auto env = password_env();
  env.insert(run_env_.begin(), run_env_.end());
  process_ = std::make_unique<ChildProcess>(argv, log_file(), ProcessOptions{.env = env});
  const auto run_file = outbox_file().string() + ".run.json";
  const bool up = eventually(
      [&] {
        if (!process_->running()) throw std::runtime_error("ato-bridge exited at start:\n" + log());
        if (!std::filesystem::exists(run_file)) return false;
        simdjson::dom::parser parser;
        const std::string text = read_text(run_file);
        auto root = parser.parse(text);
        if (root.error()) return false;
        if (std::int64_t(root.value()["pid"]) != process_->pid()) return false;
        admin_url_ = std::string(std::string_view(root.value()["admin_url"]));
        return true;
      },
      std::chrono::seconds(20));
  if (!up) throw std::runtime_error("ato-bridge not up in 20 s:\n" + log());
}

void BridgeProcess::kill(int signal) {
  process_->kill(signal);
}

ProcessResult BridgeProcess::wait(std::chrono::milliseconds timeout) {
  return process_->wait(timeout);
}

bool BridgeProcess::running() {
  return process_ && process_->running();
}

HttpResult BridgeProcess::admin(const std::string& path, const std::string& method) {
  return sim_.call({.method = method, .path = admin_url_ + path, .max_time = std::chrono::seconds(5)});
}

ProcessResult BridgeProcess::cli(std::vector<std::string> args) {
  std::vector<std::string> argv = {ATO_BRIDGE_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--config", config_.string()});
  return run_process(argv, {.env = password_env(), .timeout = std::chrono::seconds(30)});
}

std::string BridgeProcess::log() const {
  try {
    return read_text(dir_ / "bridge.log");
  } catch (...) {
    return "(no log)";
  }
}

}  // namespace ato::test
