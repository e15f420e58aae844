// `ato-bridge config check`: validate a configuration and print the effective settings, secrets
// shown as ****.
#include <memory>
#include <ostream>

#include "bridge/cli/command_context.hpp"
#include "bridge/cli/command_spec.hpp"

namespace ato::bridge {

CommandSpec config_check_command() {
  auto json = std::make_shared<bool>(false);
  return {{"config", "check"},
          "Validate a configuration and print the effective settings, secrets shown as ****: the\n"
          "communication system derived from the service key (host without /api, port, token endpoint\n"
          "= uaa.url + /oauth/token), the ATO feed, the four outbound services and the rest.",
          {config_option(), option("--json", json.get(), "Print the effective configuration as JSON")},
          [json](CommandContext& c) {
            const BridgeConfig config = load_config(c.config_file);
            c.out << (*json ? effective_config_json(config) : effective_config_text(config));
            return kExitOk;
          },
          {}};
}

}  // namespace ato::bridge
