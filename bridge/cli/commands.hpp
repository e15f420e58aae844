// The bridge's commands beyond `config`: run, check, status, tick, dead-letters. Each returns the
// process exit code (config_commands.hpp) and writes to the given streams.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/cli/config_commands.hpp"
#include "bridge/outbox/outbox.hpp"

namespace ato::bridge {

struct RunCommand {
  std::string config_file;
  bool backfill = false;              // overrides collect.backfill
  std::string log_level;              // overrides log.level when set
  std::optional<std::string> record;  // append every collected event to this NDJSON file
  bool new_outbox = false;            // accept a missing, empty or replaced outbox as a new start
};
// Foreground until SIGINT/SIGTERM; logs to stderr.
int run_bridge(const RunCommand& command);

// Configuration, token (and its scope), ATO feed, outbox: each printed OK/FAIL with the reason.
int run_check(const std::string& config_file, std::ostream& out, std::ostream& err);
// The same report as JSON ({"ok", "checks": [{"status": ok|warn|fail, "check", "detail"?}]}) when asked.
int run_check(const std::string& config_file, bool as_json, std::ostream& out, std::ostream& err);

int run_status(const std::string& config_file, bool json, std::ostream& out, std::ostream& err);

int run_tick(const std::string& config_file, const std::string& service, const std::string& tenant,
             std::ostream& out, std::ostream& err);

struct RegisterCommand {
  std::string config_file;
  std::vector<std::string> systems;  // SID~CLIENT; empty: the configuration's, else the ATO feed's list
  std::optional<std::string> role;   // development, test, production (for --system not otherwise known)
  std::optional<std::string> suffix;
  bool unregister = false;
};
// `register` / `unregister`: each system's service ID and what happened; exit 1 if any failed.
int run_register(const RegisterCommand& command, std::ostream& out, std::ostream& err);

struct ReplayCommand {
  std::string config_file;
  std::string file;
  std::string speed = "max";  // a factor (1 = original pace) or max
  bool fresh_ids = false;
  bool abort_on_bad_line = false;
  std::string tenant;  // every event to this tenant (default: the tenant named after its source system)
};
int run_replay(const ReplayCommand& command, std::ostream& out, std::ostream& err);

// An event service by the name the commands use (export, import, status_change), or none.
std::optional<Service> service_named(std::string_view name);
// The outbox as the configuration describes it.
// Read: for commands that only look (never creates or migrates; see OutboxAccess).
OutboxOptions outbox_options(const BridgeConfig& config, OutboxAccess access = OutboxAccess::Write);

struct DeadLettersCommand {
  enum class Action { List, Show, Requeue } action = Action::List;
  std::string config_file;
  std::optional<std::string> event_id;   // show, requeue one
  std::optional<std::string> service;    // list, requeue --all: filter
  std::optional<std::string> transport;  // list, requeue --all: filter
  std::optional<std::string> tenant;     // list, requeue --all: filter
  bool all = false;                      // requeue every matching dead letter
  int limit = 100;
  bool json = false;
};
int run_dead_letters(const DeadLettersCommand& command, std::ostream& out, std::ostream& err);

struct CursorCommand {
  std::string config_file;
  bool set = false;     // false: show
  bool json = false;    // show as JSON
  std::string service;  // set: export, import or status_change
  std::string tenant;   // set: which tenant (may be left out when the configuration has one)
  std::int64_t sequence = 0;
};
// `cursor show` prints every tenant's event service cursors; `cursor set [--tenant T] SERVICE N`
// changes one, refused while a bridge runs on the outbox.
int run_cursor(const CursorCommand& command, std::ostream& out, std::ostream& err);

struct TenantRenameCommand {
  std::string config_file;
  std::string from, to;
};
// `tenant rename OLD NEW`: the outbox's events and cursors of OLD belong to NEW (e.g. 'default' of an
// outbox written before tenants), refused while a bridge runs on the outbox.
int run_tenant_rename(const TenantRenameCommand& command, std::ostream& out, std::ostream& err);

struct OutboxCommand {
  std::string config_file;
  std::optional<std::string> salvage_to;  // salvage into this new file; none: check
};
// `outbox check` (exit 1 when damaged) and `outbox salvage --to FILE`.
int run_outbox_command(const OutboxCommand& command, std::ostream& out, std::ostream& err);

}  // namespace ato::bridge
