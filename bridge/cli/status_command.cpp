// `ato-bridge status`: per outbound service what the running bridge reports, or, without one, what
// the outbox says.
#include <fmt/format.h>

#include <memory>
#include <ostream>

#include "bridge/cli/command_context.hpp"
#include "bridge/cli/command_spec.hpp"
#include "bridge/cli/remote_calls.hpp"
#include "bridge/outbox/outbox_file.hpp"
#include "bridge/runtime/outbox_view.hpp"
#include "bridge/runtime/status.hpp"
#include "core/json_writer.hpp"

namespace ato::bridge {

namespace {

int run_status(CommandContext& c, bool json) {
  auto& out = c.out;
  auto& err = c.err;
  const BridgeConfig& config = c.config_without_secrets();
  std::string document;
  if (auto bridge = find_running_bridge(config.outbox.path)) {
    auto response = call_admin(*bridge, config, "GET", "/status");
    if (response && response->status == 401)
      err << "ato-bridge status: the running bridge refused the admin token (" << config.admin.token_source
          << "): showing what the outbox says\n";
    if (response && response->status == 200) document = response->body;
  }
  const auto options = outbox_options(config, OutboxAccess::Read);
  if (document.empty() && !std::filesystem::exists(config.outbox.path) &&
      !outbox_lived_here(config.outbox.path, options.used_before)) {  // read-only: nothing is created
    const std::string note = fmt::format(
        "no outbox yet at {}: no bridge has run with this configuration (`ato-bridge run` creates it)",
        config.outbox.path.string());
    if (json) {
      std::string text;
      JsonWriter writer(text);
      writer.begin_object().key("outbox").null().field("note", note).end_object();
      out << text << "\n";
    } else {
      out << note << "\n";
    }
    return kExitOk;
  }
  if (document.empty()) {
    Outbox outbox(options);
    const EpochMillis now = now_epoch_millis();
    document = status_json(config, view_of_outbox(outbox, config, now), nullptr, now);
  }
  out << (json ? document + "\n" : status_text(document));
  return kExitOk;
}

}  // namespace

CommandSpec status_command() {
  auto json = std::make_shared<bool>(false);
  return {
      {"status"},
      "Per outbound service: active, last and next run, cursor, collected and pushed counts, events per\n"
      "state, oldest waiting, dead letters, pause reason. From the running bridge when there is one, else\n"
      "from the outbox alone.",
      {config_option(),
       option("--json", json.get(), "Print the status as JSON (the admin endpoint's /status)")},
      [json](CommandContext& c) { return run_status(c, *json); },
      {}};
}

}  // namespace ato::bridge
