// `ato-bridge config init` and `ato-bridge config check`: the logic behind the CLI, writing to the
// given streams and returning the process exit code, so tests can run them without a process.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "bridge/config.hpp"
#include "bridge/exit_codes.hpp"

namespace ato::bridge {

struct InitCommand {
  InitOptions options;
  bool force = false;  // overwrite --out
};
int run_config_init(const InitCommand& command, std::ostream& out, std::ostream& err);

// `config init --from-sim`: the tenants an ato-sim ready file lists, each password from the
// environment variable ATO_PASSWORD_<name, non-alphanumerics as _>.
std::vector<InitTenant> tenants_from_sim_ready_file(const std::filesystem::path& file);

struct CheckCommand {
  std::string config_file;
  bool json = false;
};
int run_config_check(const CheckCommand& command, std::ostream& out, std::ostream& err);

}  // namespace ato::bridge
