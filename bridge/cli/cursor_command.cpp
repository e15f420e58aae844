// `ato-bridge cursor show|set`: each tenant's event service cursors ("collected up to this sequence of
// the tenant's feed"), and an operator's correction of one after a feed reset; `ato-bridge tenant
// rename`, which hands an outbox tenant's events and cursors to another name. Setting takes the outbox's
// instance lock, so it is refused while a bridge runs (the running bridge would write its own cursor over
// it).
#include <fmt/format.h>

#include <algorithm>
#include <ostream>

#include "bridge/cli/commands.hpp"
#include "bridge/runtime/run_file.hpp"
#include "core/json_writer.hpp"
#include "core/log.hpp"

namespace ato::bridge {
namespace {

constexpr std::pair<std::string_view, Service> kCursorServices[] = {
    {"export", Service::Export}, {"import", Service::Import}, {"status_change", Service::StatusChange}};

// Every configured tenant's cursors, and those of tenants the outbox knows beyond them (a tenant
// dropped from the configuration, or 'default' of an outbox from before tenants).
// What the next run does for a service without a cursor: collect.backfill decides (a run with
// --backfill that found the feed empty leaves none, so the next run without it starts at the head).
std::string none_yet(const BridgeConfig& config) {
  return config.backfill ? "(none yet: the next run collects the feed from the beginning, collect.backfill)"
                         : "(none yet: the next run starts at the feed's head, no history; `run --backfill` "
                           "collects from the beginning)";
}

void show(const BridgeConfig& config, Outbox& outbox, bool json, std::ostream& out) {
  std::vector<std::string> names;
  for (const auto& t : config.tenants) names.push_back(t.name);
  for (const auto& known : outbox.tenants())
    if (std::find(names.begin(), names.end(), known) == names.end()) names.push_back(known);
  std::string text;
  JsonWriter writer(text);
  writer.begin_object();
  if (!json) out << fmt::format("{:<20}{:<15}{}\n", "tenant", "service", "cursor");
  for (const auto& name : names) {
    const bool configured = config.tenant(name) != nullptr;
    writer.key(name).begin_object();
    for (const auto& [service_name, service] : kCursorServices) {
      const auto cursor = outbox.cursor(name, service);
      writer.key(service_name);
      cursor ? writer.value(*cursor) : writer.null();
      if (!json)
        out << fmt::format("{:<20}{:<15}{}\n", name, service_name,
                           cursor
                               ? std::to_string(*cursor) + (configured ? "" : "  (not in the configuration)")
                               : none_yet(config));
    }
    writer.end_object();
  }
  writer.end_object();
  if (json) out << text << "\n";
}

// The tenant a `cursor set` is for: --tenant, or the only one configured.
std::optional<std::string> tenant_for_set(const BridgeConfig& config, const std::string& named,
                                          std::ostream& err) {
  if (!named.empty()) {
    if (config.tenant(named)) return named;
    std::string known;
    for (const auto& t : config.tenants) known += (known.empty() ? "" : ", ") + t.name;
    err << "ato-bridge cursor set: no tenant '" << named << "' in the configuration (tenants: " << known
        << ")\n";
    return std::nullopt;
  }
  if (config.tenants.size() == 1) return config.tenants.front().name;
  err << "ato-bridge cursor set: the configuration has " << config.tenants.size()
      << " tenants: name one with --tenant (each tenant's feed has its own sequence numbering)\n";
  return std::nullopt;
}

}  // namespace

std::optional<Service> service_named(std::string_view name) {
  for (const auto& [text, service] : kCursorServices)
    if (text == name) return service;
  return std::nullopt;
}

int run_cursor(const CursorCommand& c, std::ostream& out, std::ostream& err) {
  try {
    const BridgeConfig config = load_config_without_secrets(c.config_file);
    if (!c.set) {
      Outbox outbox(outbox_options(config, OutboxAccess::Read));
      show(config, outbox, c.json, out);
      return kExitOk;
    }
    const auto service = service_named(c.service);
    if (!service) {
      err << "ato-bridge cursor set: unknown service '" << c.service
          << "' (export, import or status_change)\n";
      return kExitUsage;
    }
    const auto tenant = tenant_for_set(config, c.tenant, err);
    if (!tenant) return kExitUsage;
    std::optional<InstanceLock> lock;
    try {
      lock.emplace(config.outbox_path);
    } catch (const std::exception& e) {
      err << "ato-bridge cursor set: refused: " << e.what()
          << "; stop the bridge first (it would overwrite the cursor)\n";
      return kExitFailure;
    }
    auto options = outbox_options(config);
    options.create = false;
    options.used_before = lock->existed_before() || options.used_before;
    Outbox outbox(options);
    const auto before = outbox.cursor(*tenant, *service);
    outbox.set_cursor(*tenant, *service, c.sequence, now_epoch_millis());
    out << fmt::format(
        "{} {}: cursor {} -> {}{}\n", *tenant, c.service, before ? std::to_string(*before) : "(none)",
        c.sequence,
        before && c.sequence < *before ? " (events above it are read again; those stored already are skipped)"
        : before && c.sequence > *before ? " (events up to it that were not collected are skipped)"
                                         : "");
    return kExitOk;
  } catch (const std::exception& e) {
    err << "ato-bridge cursor: error: " << redact(e.what()) << "\n";
    return kExitFailure;
  }
}

}  // namespace ato::bridge

namespace ato::bridge {

int run_tenant_rename(const TenantRenameCommand& c, std::ostream& out, std::ostream& err) {
  try {
    const BridgeConfig config = load_config_without_secrets(c.config_file);
    if (!is_valid_tenant_name(c.to)) {
      err << "ato-bridge tenant rename: '" << c.to << "': expected 1 to 64 letters, digits and ~ . _ -\n";
      return kExitUsage;
    }
    std::optional<InstanceLock> lock;
    try {
      lock.emplace(config.outbox_path);
    } catch (const std::exception& e) {
      err << "ato-bridge tenant rename: refused: " << e.what() << "; stop the bridge first\n";
      return kExitFailure;
    }
    auto options = outbox_options(config);
    options.create = false;
    options.used_before = lock->existed_before() || options.used_before;
    Outbox outbox(options);
    outbox.rename_tenant(c.from, c.to);
    out << fmt::format(
        "tenant {} is {} from now on: its events and cursors are kept{}\n", c.from, c.to,
        config.tenant(c.to) ? "" : fmt::format(" (the configuration names no tenant {} yet)", c.to));
    return kExitOk;
  } catch (const std::exception& e) {
    err << "ato-bridge tenant rename: error: " << redact(e.what()) << "\n";
    return kExitFailure;
  }
}

}  // namespace ato::bridge
