// `ato-bridge tenant rename OLD NEW`: the outbox's events and cursors of OLD belong to NEW (e.g.
// 'default' of an outbox written before tenants). Holds the outbox alone: refused while a bridge runs.
#include <fmt/format.h>

#include <memory>
#include <ostream>

#include "bridge/cli/command_context.hpp"
#include "bridge/cli/command_spec.hpp"

namespace ato::bridge {

namespace {

struct TenantRenameCommand {
  std::string from, to;
};

int run_tenant_rename(const TenantRenameCommand& c, CommandContext& context) {
  auto& out = context.out;
  auto& err = context.err;
  const BridgeConfig& config = context.config_without_secrets();
  if (!is_valid_tenant_name(c.to)) {
    err << "ato-bridge tenant rename: '" << c.to << "': expected 1 to 64 letters, digits and ~ . _ -\n";
    return kExitUsage;
  }
  const auto held = context.hold_outbox("tenant rename");
  if (!held) return kExitFailure;
  held->outbox->rename_tenant(c.from, c.to);
  out << fmt::format(
      "tenant {} is {} from now on: its events and cursors are kept{}\n", c.from, c.to,
      config.tenant(c.to) ? "" : fmt::format(" (the configuration names no tenant {} yet)", c.to));
  return kExitOk;
}

}  // namespace

CommandSpec tenant_group() {
  return group({"tenant"}, "The outbox's tenants");
}

CommandSpec tenant_rename_command() {
  auto a = std::make_shared<TenantRenameCommand>();
  return {
      {"tenant", "rename"},
      "Hand a tenant's stored events and cursors to another name (e.g. 'default', the tenant of an outbox\n"
      "written before tenants, to the name the configuration gives that feed's tenant). Refused while a\n"
      "bridge runs on the outbox.",
      {config_option(), option("OLD", &a->from, "The tenant's name in the outbox").needed(),
       option("NEW", &a->to, "Its new name").needed()},
      [a](CommandContext& c) { return run_tenant_rename(*a, c); },
      {}};
}

}  // namespace ato::bridge
