// `ato-bridge cursor show|set`: each tenant's event service cursors ("collected up to this sequence of
// the tenant's feed"), and an operator's correction of one after a feed reset. Setting holds the
// outbox alone, so it is refused while a bridge runs (the running bridge would write its own cursor
// over it).
#include <fmt/format.h>

#include <algorithm>
#include <ostream>

#include "bridge/cli/command_context.hpp"
#include "bridge/cli/command_spec.hpp"
#include "core/json_writer.hpp"
#include "core/log.hpp"

namespace ato::bridge {
namespace {

struct CursorCommand {
  bool json = false;    // show as JSON
  std::string service;  // set: export, import or status_change
  std::string tenant;   // set: which tenant (may be left out when the configuration has one)
  std::int64_t sequence = 0;
};

// Every configured tenant's cursors, and those of tenants the outbox knows beyond them (a tenant
// dropped from the configuration, or 'default' of an outbox from before tenants).
// What the next run does for a service without a cursor: collect.backfill decides (a run with
// --backfill that found the feed empty leaves none, so the next run without it starts at the head).
std::string none_yet(const BridgeConfig& config) {
  return config.collect.backfill
             ? "(none yet: the next run collects the feed from the beginning, collect.backfill)"
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
    for (const auto& [service_name, service] : kServicesByName) {
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

int show_cursors(const CursorCommand& c, CommandContext& context) {
  const BridgeConfig& config = context.config_without_secrets();
  Outbox outbox = context.outbox_to_read();
  show(config, outbox, c.json, context.out);
  return kExitOk;
}

int set_cursor(const CursorCommand& c, CommandContext& context) {
  auto& out = context.out;
  auto& err = context.err;
  const BridgeConfig& config = context.config_without_secrets();
  const auto service = service_named(c.service);
  if (!service) {
    err << "ato-bridge cursor set: unknown service '" << c.service << "' (export, import or status_change)\n";
    return kExitUsage;
  }
  const auto tenant = tenant_for_set(config, c.tenant, err);
  if (!tenant) return kExitUsage;
  const auto held = context.hold_outbox("cursor set", " (it would overwrite the cursor)");
  if (!held) return kExitFailure;
  Outbox& outbox = *held->outbox;
  const auto before = outbox.cursor(*tenant, *service);
  outbox.set_cursor(*tenant, *service, c.sequence, now_epoch_millis());
  out << fmt::format(
      "{} {}: cursor {} -> {}{}\n", *tenant, c.service, before ? std::to_string(*before) : "(none)",
      c.sequence,
      before && c.sequence < *before   ? " (events above it are read again; those stored already are skipped)"
      : before && c.sequence > *before ? " (events up to it that were not collected are skipped)"
                                       : "");
  return kExitOk;
}

}  // namespace

CommandSpec cursor_group() {
  return group(
      {"cursor"},
      "Show each tenant's event service cursors (collected up to this sequence of the tenant's feed), or\n"
      "set one");
}

CommandSpec cursor_show_command() {
  auto a = std::make_shared<CursorCommand>();
  return {{"cursor", "show"},
          "Print the cursors (works while a bridge runs)",
          {config_option(), option("--json", &a->json, "Print JSON")},
          [a](CommandContext& c) { return show_cursors(*a, c); },
          {}};
}

CommandSpec cursor_set_command() {
  auto a = std::make_shared<CursorCommand>();
  return {{"cursor", "set"},
          "Set a service's cursor after a feed reset; refused while a bridge runs on the outbox",
          {config_option(),
           option("--tenant", &a->tenant,
                  "The tenant whose cursor it is (may be left out when the configuration has one)"),
           option("SERVICE", &a->service, "export, import or status_change")
               .needed()
               .check(ValueCheck::one_of({"export", "import", "status_change"})),
           option("SEQUENCE", &a->sequence, "The feed sequence collected up to (0: from the start)")
               .needed()
               .check(ValueCheck::range(0, 9007199254740991))},
          [a](CommandContext& c) { return set_cursor(*a, c); },
          {}};
}

}  // namespace ato::bridge
