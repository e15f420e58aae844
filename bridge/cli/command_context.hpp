// What every command of ato-bridge shares: where it writes, its configuration (from --config or the
// default lookup), the outbox opened to look or held alone, and errors said with secrets redacted.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bridge/config.hpp"
#include "bridge/exit_codes.hpp"
#include "bridge/outbox/outbox.hpp"
#include "bridge/runtime/run_file.hpp"

namespace ato::bridge {

// The outbox held by this command alone: no bridge runs on it meanwhile.
struct HeldOutbox {
  std::unique_ptr<InstanceLock> lock;
  std::unique_ptr<Outbox> outbox;
};

struct CommandContext {
  CommandContext(std::ostream& out, std::ostream& err, std::string config_file = {},
                 std::function<std::string(const std::string& shell)> completion_script = {})
      : out(out),
        err(err),
        config_file(std::move(config_file)),
        completion_script(std::move(completion_script)) {}

  std::ostream& out;
  std::ostream& err;
  std::string config_file;  // empty for the commands that take none
  // The command line's completion script for a shell (bash, zsh), made from the command line itself.
  std::function<std::string(const std::string& shell)> completion_script;

  // The configuration without the secrets' values (commands that talk to neither Cloud ALM nor a
  // feed); read once. Throws as load_config does.
  const BridgeConfig& config_without_secrets();
  // The outbox to look at: never created or migrated. Throws the outbox's errors.
  Outbox outbox_to_read();
  // The outbox held alone (never created), or nothing when a bridge runs on it: said on err as
  // "ato-bridge <command>: refused: <who holds it>; stop the bridge first<why>". Throws the
  // outbox's errors.
  std::optional<HeldOutbox> hold_outbox(std::string_view command, std::string_view why = {});
  // "ato-bridge <command>: error: <what, secrets redacted>"; returns exit code 1.
  int failed(std::string_view command, const std::exception& e);

 private:
  std::optional<BridgeConfig> config_;
};

// The outbox as the configuration describes it.
// Read: for commands that only look (never creates or migrates; see OutboxAccess).
OutboxOptions outbox_options(const BridgeConfig& config, OutboxAccess access = OutboxAccess::Write);

// The event services by the names the commands use.
inline constexpr std::pair<std::string_view, Service> kServicesByName[] = {
    {"export", Service::Export}, {"import", Service::Import}, {"status_change", Service::StatusChange}};
// An event service by the name the commands use (export, import, status_change), or none.
std::optional<Service> service_named(std::string_view name);

}  // namespace ato::bridge
