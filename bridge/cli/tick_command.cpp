// `ato-bridge tick`: asks the running bridge, through its admin endpoint, to run a job now.
#include <fmt/format.h>

#include <memory>
#include <ostream>

#include "bridge/cli/command_context.hpp"
#include "bridge/cli/command_spec.hpp"
#include "bridge/cli/remote_calls.hpp"

namespace ato::bridge {

namespace {

struct TickArgs {
  std::string service, tenant;
};

int run_tick(CommandContext& c, const std::string& service, const std::string& tenant) {
  auto& out = c.out;
  auto& err = c.err;
  const BridgeConfig& config = c.config_without_secrets();
  const auto bridge = find_running_bridge(config.outbox.path);
  if (!bridge) {
    err << "ato-bridge tick: no running bridge uses the outbox " << config.outbox.path.string()
        << " (start one with ato-bridge run --config " << c.config_file << ")\n";
    return kExitFailure;
  }
  if (!tenant.empty() && !config.tenant(tenant)) {
    err << "ato-bridge tick: no tenant '" << tenant << "' in the configuration\n";
    return kExitUsage;
  }
  // (tenant names are letters, digits and ~ . _ -: nothing to encode in a query)
  const auto response =
      call_admin(*bridge, config, "POST", "/tick/" + service + (tenant.empty() ? "" : "?tenant=" + tenant));
  if (!response) {
    err << "ato-bridge tick: the bridge (pid " << bridge->pid << ") does not answer at " << bridge->admin_url
        << "\n";
    return kExitFailure;
  }
  if (response->status != 202) {
    err << "ato-bridge tick: " << response->body << "\n";
    return kExitFailure;
  }
  out << service << (tenant.empty() ? "" : " of tenant " + tenant) << ": job runs now\n";
  return kExitOk;
}

}  // namespace

CommandSpec tick_command() {
  auto a = std::make_shared<TickArgs>();
  return {
      {"tick"},
      "Ask the running bridge to run a service's job now",
      {config_option(), option("--tenant", &a->tenant, "Only this tenant's job (default: every tenant's)"),
       option("SERVICE", &a->service, "export, import, status_change or retry")
           .needed()
           .check(ValueCheck::one_of({"export", "import", "status_change", "retry"}))},
      [a](CommandContext& c) { return run_tick(c, a->service, a->tenant); },
      {}};
}

}  // namespace ato::bridge
