#include "bridge/cli/config_commands.hpp"

#include <ostream>

#include "core/files.hpp"
#include "core/log.hpp"

namespace ato::bridge {

int run_config_init(const InitCommand& command, std::ostream& out, std::ostream& err) {
  try {
    const std::string json = init_config_json(command.options);
    if (!command.options.out) {
      out << json;
      return kExitOk;
    }
    // The file holds no secret (the password comes from an environment variable), but it names
    // where secrets live: keep it private like the service key.
    write_file_atomically(*command.options.out, json, 0600, command.force ? Overwrite::Yes : Overwrite::No);
    err << "wrote " << command.options.out->string() << "\n"
        << "next: export " << command.options.ato_password_env
        << "=<the ATO communication user's password>, then ato-bridge config check --config "
        << command.options.out->string() << "\n";
    return kExitOk;
  } catch (const std::exception& e) {
    err << "ato-bridge config init: error: " << redact(e.what()) << "\n";
    return kExitFailure;
  }
}

int run_config_check(const CheckCommand& command, std::ostream& out, std::ostream& err) {
  try {
    const BridgeConfig config = load_config(command.config_file);
    out << (command.json ? effective_config_json(config) : effective_config_text(config));
    return kExitOk;
  } catch (const std::exception& e) {
    err << "ato-bridge config check: error: " << redact(e.what()) << "\n";
    return kExitFailure;
  }
}

}  // namespace ato::bridge
