// `ato-bridge outbox check|salvage`: an operator's tools for a damaged outbox. check reads only
// (SQLite's integrity check and the outbox's invariants); salvage copies the readable events into a
// new file, never touching the damaged one (bridge/outbox/salvage.hpp).
#include <fmt/format.h>

#include <optional>
#include <ostream>

#include "bridge/cli/command_context.hpp"
#include "bridge/cli/command_spec.hpp"
#include "bridge/outbox/outbox_file.hpp"
#include "bridge/outbox/salvage.hpp"
#include "core/log.hpp"
#include "core/sqlite.hpp"

namespace ato::bridge {
namespace {

// SQLite's own integrity check on a file too damaged for the outbox to open.
std::vector<std::string> integrity_of(const std::filesystem::path& path, const std::string& why_not_opened) {
  std::vector<std::string> problems;
  try {
    sqlite::Database db(path, SQLITE_OPEN_READONLY);
    sqlite::Statement integrity(db, "PRAGMA integrity_check(20)");
    while (integrity.step())
      if (integrity.text(0) != "ok") problems.push_back("SQLite: " + std::string(integrity.text(0)));
  } catch (const sqlite::Error& e) {
    problems.push_back(std::string("SQLite: ") + e.what());
  }
  if (problems.empty()) problems.push_back(why_not_opened);
  return problems;
}

int check(const BridgeConfig& config, std::ostream& out) {
  std::optional<Outbox> outbox;
  std::vector<std::string> problems;
  try {
    outbox.emplace(outbox_options(config, OutboxAccess::Read));
    problems = outbox->check_integrity();
  } catch (const OutboxDamagedError& e) {
    problems = integrity_of(config.outbox.path, e.what());
  }
  for (const auto& problem : problems) out << "FAIL  " << problem << "\n";
  if (!problems.empty()) {
    out << fmt::format(
        "The outbox {0} is damaged. With the bridge stopped, keep a copy of it (with {0}-wal if present); "
        "restore it from a backup, or copy its readable events into a new file: ato-bridge outbox salvage "
        "--to NEW_FILE --config {1}\n",
        config.outbox.path.string(), config.config_file.string());
    return kExitFailure;
  }
  const auto counts = outbox->counts();
  out << fmt::format(
      "OK    {} (identity {}, schema {}): integrity and invariants hold; {} pending, {} retryable, "
      "{} in flight, {} delivered, {} dead letters\n",
      config.outbox.path.string(), outbox->identity(), outbox->schema_version(),
      counts.total(EventState::Pending), counts.total(EventState::Retryable),
      counts.total(EventState::InFlight), counts.total(EventState::Done), counts.total(EventState::Dead));
  return kExitOk;
}

int salvage(const BridgeConfig& config, const std::string& to, std::ostream& out) {
  const auto report = salvage_outbox(config.outbox.path, to);
  out << fmt::format("salvaged {} events from {} into {}\n", report.events, config.outbox.path.string(), to);
  if (report.unreadable_rows > 0)
    out << fmt::format("  {} rows could not be read at all (their events are lost here)\n",
                       report.unreadable_rows);
  if (report.without_payload > 0) {
    out << fmt::format("  {} events had no readable payload and were left out:", report.without_payload);
    for (const auto& id : report.lost_events) out << " " << id;
    out << "\n";
  }
  for (const auto& [service, cursor] : report.cursors)
    out << fmt::format("  cursor {}: {}\n", service, cursor);
  for (const auto& note : report.notes) out << "  note: " << note << "\n";
  out << fmt::format(
      "Next: with the bridge stopped, keep the damaged file, move {} to {}{}, then run `ato-bridge outbox "
      "check` "
      "and start the bridge.\n",
      to, config.outbox.path.string(), report.identity_kept ? "" : " (and start it with --new-outbox)");
  // The new file is usable either way; the exit code tells a script whether it holds everything.
  if (const auto lost = report.unreadable_rows + report.without_payload; lost > 0) {
    out << fmt::format(
        "LOST: {} events of the damaged outbox are not in {} (listed above); a backup of the damaged file, "
        "if "
        "there is one, may still have them\n",
        lost, to);
    return kExitFailure;
  }
  return kExitOk;
}

// Errors here are said without "error:": the outbox's own messages say what is damaged.
int on_outbox(CommandContext& c, const std::function<int(const BridgeConfig&)>& command) {
  try {
    return command(c.config_without_secrets());
  } catch (const std::exception& e) {
    c.err << "ato-bridge outbox: " << redact(e.what()) << "\n";
    return kExitFailure;
  }
}

}  // namespace

CommandSpec outbox_group() {
  return group({"outbox"}, "Check a damaged outbox, or salvage its readable events");
}

CommandSpec outbox_check_command() {
  return {{"outbox", "check"},
          "SQLite's integrity check and the outbox's invariants; exit 1 when damaged (reads only)",
          {config_option()},
          [](CommandContext& c) {
            return on_outbox(c, [&](const BridgeConfig& config) { return check(config, c.out); });
          },
          {}};
}

CommandSpec outbox_salvage_command() {
  auto to = std::make_shared<std::string>();
  return {{"outbox", "salvage"},
          "Copy every readable event of the outbox into a new file (the damaged one is only read). Exit code "
          "1\n"
          "when events could not be copied (the new file is still written; the lost ones are listed)",
          {config_option(), option("--to", to.get(), "The new outbox file (must not exist)").needed()},
          [to](CommandContext& c) {
            return on_outbox(c, [&](const BridgeConfig& config) { return salvage(config, *to, c.out); });
          },
          {}};
}

}  // namespace ato::bridge
