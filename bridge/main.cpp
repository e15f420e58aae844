// ato-bridge: the command line. Only wiring lives here; each command's logic is in its own file.
#include <CLI/CLI.hpp>

#include <iostream>

#include "bridge/config_commands.hpp"
#include "core/time.hpp"

namespace {

using namespace ato::bridge;

const CLI::Validator kDuration(
    [](std::string& text) {
      return ato::parse_duration(text) ? std::string()
                                       : "expected a duration like 5m, 30s or 1h, got '" + text + "'";
    },
    "DURATION");

constexpr const char* kFooter =
    "Exit codes: 0 success, 1 failure (the message says what and where), 2 wrong command line.\n"
    "Configuration reference and examples: README.md, section 'Configuration'.";

struct Cli {
  CLI::App app{
      "ato-bridge: connects S/4HANA Cloud's Adaptation Transport Organizer (ATO) to SAP Cloud ALM the way\n"
      "communication arrangement SAP_COM_0690 does: Export, Import, Status Change and Retry.",
      "ato-bridge"};
  InitCommand init;
  CheckCommand check;
  std::string init_out, init_ca, init_key, run_every = "5m";
  CLI::App* init_cmd = nullptr;
  CLI::App* check_cmd = nullptr;

  Cli() {
    app.set_version_flag("--version", ATO_VERSION);
    app.require_subcommand(1);
    app.footer(kFooter);
    auto* config = app.add_subcommand("config", "Write a starting configuration, or validate one");
    config->require_subcommand(1);

    init_cmd = config->add_subcommand(
        "init",
        "Write a complete bridge configuration, every default spelled out, from a Cloud ALM service key\n"
        "(the JSON downloaded from the SAP BTP cockpit) and the ATO feed's address and user.");
    init_cmd->add_option("--service-key", init_key, "Cloud ALM API service key JSON, as downloaded")
        ->required()
        ->check(CLI::ExistingFile);
    init_cmd->add_option("--ato-url", init.options.ato_url, "URL of the ATO event feed (OData entity set)")
        ->required();
    init_cmd->add_option("--ato-user", init.options.ato_user, "ATO communication user")->required();
    init_cmd
        ->add_option("--ato-password-env", init.options.ato_password_env,
                     "Name of the environment variable that will hold that user's password")
        ->required();
    init_cmd->add_option("--ca-file", init_ca, "PEM file of CAs to trust (default: the system's CA store)")
        ->check(CLI::ExistingFile);
    init_cmd->add_option("--run-every", run_every, "Schedule of every outbound service's job (SAP: 5m)")
        ->check(kDuration)
        ->capture_default_str();
    init_cmd->add_option("--out", init_out, "Write here (mode 0600) instead of standard output");
    init_cmd->add_flag("--force", init.force, "Overwrite --out if it exists");

    check_cmd = config->add_subcommand(
        "check",
        "Validate a configuration and print the effective settings, secrets shown as ****: the\n"
        "communication system derived from the service key (host without /api, port, token endpoint\n"
        "= uaa.url + /oauth/token), the ATO feed, the four outbound services and the rest.");
    check_cmd->add_option("--config", check.config_file, "Bridge configuration file")->required();
    check_cmd->add_flag("--json", check.json, "Print the effective configuration as JSON");
  }

  int dispatch() {
    if (*init_cmd) {
      init.options.service_key_file = init_key;
      if (!init_ca.empty()) init.options.ca_file = init_ca;
      if (!init_out.empty()) init.options.out = init_out;
      init.options.run_every = *ato::parse_duration(run_every);
      return run_config_init(init, std::cout, std::cerr);
    }
    if (*check_cmd) return run_config_check(check, std::cout, std::cerr);
    return kExitUsage;
  }
};

}  // namespace

int main(int argc, char** argv) {
  Cli cli;
  try {
    cli.app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = cli.app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  return cli.dispatch();
}
