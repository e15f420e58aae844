// `ato-bridge cursor show|set`: each event service's cursor ("collected up to this feed sequence"),
// and an operator's correction of one after a feed reset. Setting takes the outbox's instance lock,
// so it is refused while a bridge runs (the running bridge would write its own cursor over it).
#include <fmt/format.h>

#include <ostream>

#include "bridge/cli/commands.hpp"
#include "bridge/runtime/run_file.hpp"
#include "core/json_writer.hpp"
#include "core/log.hpp"

namespace ato::bridge {
namespace {

constexpr std::pair<std::string_view, Service> kCursorServices[] = {
    {"export", Service::Export}, {"import", Service::Import}, {"status_change", Service::StatusChange}};

std::optional<Service> service_named(std::string_view name) {
  for (const auto& [text, service] : kCursorServices)
    if (text == name) return service;
  return std::nullopt;
}

void show(Outbox& outbox, bool json, std::ostream& out) {
  std::string text;
  JsonWriter writer(text);
  writer.begin_object();
  for (const auto& [name, service] : kCursorServices) {
    const auto cursor = outbox.cursor(service);
    writer.key(name);
    cursor ? writer.value(*cursor) : writer.null();
    if (!json)
      out << fmt::format(
          "{:<15}{}\n", name,
          cursor ? std::to_string(*cursor) : "(none: the first run starts at the feed's head)");
  }
  writer.end_object();
  if (json) out << text << "\n";
}

}  // namespace

int run_cursor(const CursorCommand& c, std::ostream& out, std::ostream& err) {
  try {
    const BridgeConfig config = load_config_without_secrets(c.config_file);
    if (!c.set) {
      Outbox outbox(outbox_options(config, OutboxAccess::Read));
      show(outbox, c.json, out);
      return kExitOk;
    }
    const auto service = service_named(c.service);
    if (!service) {
      err << "ato-bridge cursor set: unknown service '" << c.service
          << "' (export, import or status_change)\n";
      return kExitUsage;
    }
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
    const auto before = outbox.cursor(*service);
    outbox.set_cursor(*service, c.sequence, now_epoch_millis());
    out << fmt::format(
        "{}: cursor {} -> {}{}\n", c.service, before ? std::to_string(*before) : "(none)", c.sequence,
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
