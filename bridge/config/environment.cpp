// Where a configuration's secrets come from: the process environment, or nowhere for the commands
// that do not need them.
#include <cstdlib>

#include "bridge/config.hpp"

namespace ato::bridge {

std::optional<std::string> process_env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (!value) return std::nullopt;
  return std::string(value);
}

BridgeConfig load_config_without_secrets(const std::filesystem::path& file) {
  return load_config(file, [](const std::string& name) -> std::optional<std::string> {
    auto value = process_env(name);
    return value && !value->empty() ? value : std::optional<std::string>("(not needed by this command)");
  });
}

}  // namespace ato::bridge
