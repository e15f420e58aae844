#include "bridge/cli/command_context.hpp"

#include <filesystem>
#include <ostream>

#include "bridge/cli/command_spec.hpp"
#include "core/log.hpp"
#include "core/time.hpp"

namespace ato::bridge {

ValueCheck duration_check() {
  return ValueCheck::custom("DURATION", [](const std::string& text) {
    return parse_duration(text) ? std::string()
                                : "expected a duration like 5m, 30s or 1h, got '" + text + "'";
  });
}

OptionSpec config_option() {
  return option(kConfigOption, static_cast<std::string*>(nullptr), "");  // bound by the command line
}

OutboxOptions outbox_options(const BridgeConfig& config, OutboxAccess access) {
  OutboxOptions options;
  options.path = config.outbox.path;
  options.access = access;
  options.durability_full = config.outbox.durability == Durability::Full;
  std::error_code ec;
  options.used_before = std::filesystem::exists(lock_file_path(config.outbox.path), ec);
  return options;
}

std::optional<Service> service_named(std::string_view name) {
  for (const auto& [text, service] : kServicesByName)
    if (text == name) return service;
  return std::nullopt;
}

const BridgeConfig& CommandContext::config_without_secrets() {
  if (!config_) config_ = load_config_without_secrets(config_file);
  return *config_;
}

Outbox CommandContext::outbox_to_read() {
  return Outbox(outbox_options(config_without_secrets(), OutboxAccess::Read));
}

std::optional<HeldOutbox> CommandContext::hold_outbox(std::string_view command, std::string_view why) {
  const auto& config = config_without_secrets();
  HeldOutbox held;
  try {
    held.lock = std::make_unique<InstanceLock>(config.outbox.path);
  } catch (const std::exception& e) {
    err << "ato-bridge " << command << ": refused: " << e.what() << "; stop the bridge first" << why << "\n";
    return std::nullopt;
  }
  auto options = outbox_options(config);
  options.create = false;
  options.used_before = held.lock->existed_before() || options.used_before;
  held.outbox = std::make_unique<Outbox>(options);
  return held;
}

int CommandContext::failed(std::string_view command, const std::exception& e) {
  err << "ato-bridge " << command << ": error: " << redact(e.what()) << "\n";
  return kExitFailure;
}

}  // namespace ato::bridge
