// ato-bridge: the command line. Only wiring lives here; each command's logic is in its own file.
#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

#include "bridge/cli/commands.hpp"
#include "bridge/cli/suggest.hpp"
#include "bridge/cli/version.hpp"
#include "bridge/loadtest/loadtest.hpp"
#include "core/cli_formatter.hpp"
#include "core/time.hpp"

namespace {

using namespace ato::bridge;

constexpr const char* kSystemConfig = "/etc/ato-bridge/bridge.json";

std::vector<std::string> subcommand_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    names.push_back(sub->get_name());
  return names;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// A bash completion script from the command line itself: for each command path, its subcommands and
// options, so the completion never tells anything the command line does not take.
// Values of positional arguments, where the command takes a fixed set (CLI11 does not list them).
std::string positional_values(const std::string& path) {
  if (path == "ato-bridge tick") return "export import status_change retry ";
  if (path == "ato-bridge cursor set") return "export import status_change ";
  if (path == "ato-bridge completion") return "bash zsh ";
  return "";
}

void completion_cases(const CLI::App& at, const std::string& path, std::string& out) {
  std::string words = positional_values(path);
  for (const auto* sub : at.get_subcommands([](const CLI::App*) { return true; }))
    words += sub->get_name() + " ";
  for (const auto* option : at.get_options())
    for (const auto& name : option->get_lnames()) words += "--" + name + " ";
  out += fmt::format("    \"{}\") words=\"{}\" ;;\n", path, words);
  for (const auto* sub : at.get_subcommands([](const CLI::App*) { return true; }))
    completion_cases(*sub, path + " " + sub->get_name(), out);
}

std::string bash_completion(const CLI::App& app) {
  std::string cases;
  completion_cases(app, "ato-bridge", cases);
  return fmt::format(R"bash(# bash completion for ato-bridge (ato-bridge completion bash)
_ato_bridge_words() {{
  local words=""
  case "$1" in
{}  esac
  echo "$words"
}}
_ato_bridge() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" path="ato-bridge" word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${{COMP_WORDS[i]}}"
    [[ "$word" != -* && " $(_ato_bridge_words "$path") " == *" $word "* ]] && path="$path $word"
  done
  COMPREPLY=($(compgen -W "$(_ato_bridge_words "$path")" -- "$cur"))
  if [[ "$cur" != -* && ${{#COMPREPLY[@]}} -eq 0 ]]; then COMPREPLY=($(compgen -f -- "$cur")); fi
}}
complete -F _ato_bridge ato-bridge
)bash",
                     cases);
}

// Every command's help, one after the other (`ato-bridge help --all`): the man page's COMMANDS section
// is made of it, so the page carries every command's options.
void all_help(const CLI::App& at, const std::string& path, std::ostream& out) {
  for (const auto* sub : at.get_subcommands([](const CLI::App*) { return true; })) {
    const std::string here = path + " " + sub->get_name();
    out << "\n" << here << "\n" << sub->help(path) << "\n";
    all_help(*sub, here, out);
  }
}

// zsh runs the same completion through its bash compatibility (bashcompinit), so the two never differ.
std::string zsh_completion(const CLI::App& app) {
  return "# zsh completion for ato-bridge (ato-bridge completion zsh): the bash completion, through zsh's\n"
         "# bashcompinit.  source <(ato-bridge completion zsh)   in ~/.zshrc, after compinit\n"
         "autoload -U +X compinit && compinit -u\n"
         "autoload -U +X bashcompinit && bashcompinit\n" +
         bash_completion(app);
}

// Walks the command words (`config init`, `dead-letters list`) and names the first that is no
// command where one is required, with the closest one; CLI11 would only say it was not expected.
std::optional<std::string> unknown_command_advice(const CLI::App& app, int argc, char** argv) {
  const CLI::App* at = &app;
  std::string path = "ato-bridge";
  for (int i = 1; i < argc; ++i) {
    const std::string_view word = argv[i];
    if (word.empty() || word.front() == '-') return std::nullopt;
    const auto names = subcommand_names(*at);
    if (names.empty()) return std::nullopt;
    if (std::find(names.begin(), names.end(), word) != names.end()) {
      at = at->get_subcommand(std::string(word));
      path += " " + std::string(word);
      continue;
    }
    if (at->get_require_subcommand_min() == 0) return std::nullopt;  // a positional argument
    const auto meant = closest(word, names);
    return meant ? fmt::format("unknown command '{}'; did you mean '{}'? ({} --help lists them)", word,
                               *meant, path)
                 : fmt::format("unknown command '{}' for {} (commands: {})", word, path, joined(names));
  }
  return std::nullopt;
}

// An option the command does not have: named, with the closest one it does have.
std::optional<std::string> unknown_option_advice(const CLI::App& app, const CLI::ParseError& e) {
  if (!dynamic_cast<const CLI::ExtrasError*>(&e)) return std::nullopt;
  const CLI::App* at = &app;
  for (;;) {
    const CLI::App* deeper = nullptr;
    for (const auto* sub : at->get_subcommands([](const CLI::App* s) { return s->parsed(); })) deeper = sub;
    if (!deeper) break;
    at = deeper;
  }
  std::vector<std::string> extras;
  for (const auto& extra : at->remaining()) extras.push_back(extra);
  if (extras.empty())
    for (const auto& extra : app.remaining()) extras.push_back(extra);
  for (const auto& extra : extras) {
    if (!extra.starts_with("--")) continue;
    const std::string typed = extra.substr(0, extra.find('='));
    std::vector<std::string> options;
    for (const auto* option : at->get_options())
      for (const auto& name : option->get_lnames()) options.push_back("--" + name);
    const auto meant = closest(typed, options);
    std::string where;  // the whole command path, e.g. "ato-bridge loadtest merge"
    for (const CLI::App* c = at; c != nullptr; c = c->get_parent())
      where = c->get_parent() ? " " + c->get_name() + where : "ato-bridge" + where;
    return meant
               ? fmt::format("unknown option '{}' for {}; did you mean '{}'?", typed, where, *meant)
               : fmt::format("unknown option '{}' for {} ({} --help lists its options)", typed, where, where);
  }
  return std::nullopt;
}

const CLI::Validator kDuration(
    [](std::string& text) {
      return ato::parse_duration(text) ? std::string()
                                       : "expected a duration like 5m, 30s or 1h, got '" + text + "'";
    },
    "DURATION");

constexpr const char* kFooter =
    "Exit codes: 0 success, 1 failure (the message says what and where), 2 wrong command line.\n"
    "Configuration reference and examples: README.md, section 'Configuration'.";

struct Cli {
  CLI::App app{
      "ato-bridge: connects S/4HANA Cloud's Adaptation Transport Organizer (ATO) to SAP Cloud ALM the way\n"
      "communication arrangement SAP_COM_0690 does: Export, Import, Status Change and Retry.",
      "ato-bridge"};
  InitCommand init;
  CheckCommand check;
  std::string init_out, init_ca, init_key, run_every = "5m";
  CLI::App* init_cmd = nullptr;
  CLI::App* check_cmd = nullptr;
  RunCommand run;
  std::string config_file, tick_service, tick_tenant;
  bool status_json = false;
  DeadLettersCommand dead;
  RegisterCommand reg, unreg;
  ReplayCommand replay;
  CLI::App* replay_cmd = nullptr;
  LoadtestOptions load;
  std::string load_rate = "max", load_duration;
  CLI::App* loadtest_cmd = nullptr;
  CLI::App* loadtest_merge_cmd = nullptr;
  std::string load_shard;
  std::vector<std::string> merge_inputs, merge_reports;
  CLI::App* register_cmd = nullptr;
  CLI::App* unregister_cmd = nullptr;
  CLI::App* run_cmd = nullptr;
  CLI::App* bridge_check_cmd = nullptr;
  bool check_json = false;
  CLI::App* status_cmd = nullptr;
  CLI::App* tick_cmd = nullptr;
  CLI::App* dead_list = nullptr;
  CLI::App* dead_show = nullptr;
  CLI::App* dead_requeue = nullptr;
  CursorCommand cursor;
  CLI::App* cursor_show = nullptr;
  CLI::App* cursor_set = nullptr;
  std::vector<std::string> init_tenants;
  std::string init_from_sim;
  InitTenant init_single{std::string(kDefaultTenant), "", "", ""};
  TenantRenameCommand rename;
  CLI::App* version_cmd = nullptr;
  CLI::App* completion_cmd = nullptr;
  std::string completion_shell;
  // Each command's --config and where it goes: filled from the default lookup when left out.
  std::vector<std::pair<CLI::App*, std::string*>> config_targets;

  void add_config(CLI::App* cmd, std::string& target) {
    cmd->add_option(
        "--config", target,
        "Bridge configuration file (default: $ATO_BRIDGE_CONFIG, else " + std::string(kSystemConfig) + ")");
    config_targets.emplace_back(cmd, &target);
  }

  // The configuration of the command that ran, when --config was left out; a problem in words.
  std::string default_config() {
    for (auto& [cmd, target] : config_targets) {
      // A command that only leads to a subcommand of its own (loadtest merge) needs no configuration.
      if (!cmd->parsed() || !target->empty() || !cmd->get_subcommands().empty()) continue;
      if (const char* env = std::getenv("ATO_BRIDGE_CONFIG"); env && *env) {
        *target = env;
      } else if (std::error_code ec; std::filesystem::exists(kSystemConfig, ec)) {
        *target = kSystemConfig;
      } else {
        return fmt::format(
            "{}: no configuration: give --config FILE, set ATO_BRIDGE_CONFIG, or put one at {} (ato-bridge "
            "config init writes one)",
            cmd->get_name(), kSystemConfig);
      }
    }
    return "";
  }
  CLI::App* tenant_rename = nullptr;
  OutboxCommand outbox_cmd;
  CLI::App* outbox_check = nullptr;
  CLI::App* outbox_salvage = nullptr;

  Cli() {
    ato::wrap_help_to_terminal(app);  // before any subcommand: they inherit it
    app.set_version_flag("--version,-V", [] { return version_text(); });
    version_cmd =
        app.add_subcommand("version", "Print the version and what it was built with (for bug reports)");
    completion_cmd = app.add_subcommand(
        "completion",
        "Print a completion script for every command and option (made from this very command line):\n"
        "  source <(ato-bridge completion bash)   or save it under /etc/bash_completion.d/\n"
        "  source <(ato-bridge completion zsh)    in ~/.zshrc");
    completion_cmd->add_option("SHELL", completion_shell, "bash or zsh")
        ->required()
        ->check(CLI::IsMember({"bash", "zsh"}));
    app.require_subcommand(1);
    app.footer(kFooter);
    auto* config = app.add_subcommand("config", "Write a starting configuration, or validate one");
    config->require_subcommand(1);

    init_cmd = config->add_subcommand(
        "init",
        "Write a complete bridge configuration, every default spelled out, from a Cloud ALM service key\n"
        "(the JSON downloaded from the SAP BTP cockpit) and the tenants: SAP's guide sets up SAP_COM_0690\n"
        "per tenant, so name each with --tenant (or all of a simulated landscape with --from-sim), or a\n"
        "single feed with --ato-url, --ato-user and --ato-password-env.");
    init_cmd->add_option("--service-key", init_key, "Cloud ALM API service key JSON, as downloaded")
        ->required()
        ->check(CLI::ExistingFile);
    init_cmd->add_option(
        "--tenant", init_tenants,
        "NAME,FEED_URL,USER,PASSWORD_ENV: one tenant's SAP_COM_0690 arrangement (its ATO feed,\n"
        "communication user, and the environment variable that will hold its password).\n"
        "Repeat it for every tenant of the landscape (development, test, production)");
    init_cmd
        ->add_option("--from-sim", init_from_sim,
                     "An ato-sim ready file: one tenant per simulated tenant, passwords from\n"
                     "ATO_PASSWORD_<NAME> (e.g. ATO_PASSWORD_S4D_080)")
        ->check(CLI::ExistingFile);
    init_cmd->add_option("--ato-url", init_single.feed_url,
                         "A single feed (one tenant named 'default'): URL of the ATO event feed");
    init_cmd->add_option("--ato-user", init_single.user, "With --ato-url: its communication user");
    init_cmd->add_option("--ato-password-env", init_single.password_env,
                         "With --ato-url: the environment variable that will hold that user's password");
    init_cmd->add_option("--ca-file", init_ca, "PEM file of CAs to trust (default: the system's CA store)")
        ->check(CLI::ExistingFile);
    init_cmd->add_option("--run-every", run_every, "Schedule of every outbound service's job (SAP: 5m)")
        ->check(kDuration)
        ->capture_default_str();
    init_cmd
        ->add_option(
            "--admin-listen", init.options.admin_listen,
            "The admin endpoint's address (health, status, metrics, tick); 127.0.0.1:0 takes any free "
            "port, which the run file names for status and tick")
        ->capture_default_str();
    init_cmd->add_option("--out", init_out, "Write here (mode 0600) instead of standard output");
    init_cmd->add_flag("--force", init.force, "Overwrite --out if it exists");

    check_cmd = config->add_subcommand(
        "check",
        "Validate a configuration and print the effective settings, secrets shown as ****: the\n"
        "communication system derived from the service key (host without /api, port, token endpoint\n"
        "= uaa.url + /oauth/token), the ATO feed, the four outbound services and the rest.");
    add_config(check_cmd, check.config_file);
    check_cmd->add_flag("--json", check.json, "Print the effective configuration as JSON");
    add_operations();
  }

  void add_operations() {
    run_cmd = app.add_subcommand(
        "run",
        "Run the bridge in the foreground: every active service's job collects the ATO feed on its schedule\n"
        "into the outbox, push workers send packages to Cloud ALM, the retry job re-sends failed events.\n"
        "Logs to stderr. SIGINT/SIGTERM: collecting stops, pushes in flight finish or go back to the outbox\n"
        "(no attempt spent), exit 0 within a few seconds.");
    add_config(run_cmd, run.config_file);
    run_cmd->add_flag(
        "--new-outbox", run.new_outbox,
        "Start with the outbox file as it is, though it is missing, empty or another outbox than "
        "the one that lived there (what that one held is not sent)");
    run_cmd->add_flag("--backfill", run.backfill,
                      "A service's first run collects the feed from the beginning (test landscapes)");
    run_cmd->add_option(
        "--record", run.record,
        "Append every collected event to this NDJSON recording (written after the outbox commit;\n"
        "continued, not overwritten, across restarts)");
    run_cmd->add_option("--log-level", run.log_level,
                        "Override log.level (trace, debug, info, warn, error, off)");

    bridge_check_cmd = app.add_subcommand(
        "check",
        "Check that the bridge can work: configuration valid, a Cloud ALM token obtained (scope shown), "
        "each\n"
        "tenant's ATO feed reachable with its user, the outbox usable. Each check prints OK or FAIL with\n"
        "the reason; exit 1 when any fails.");
    add_config(bridge_check_cmd, config_file);
    bridge_check_cmd->add_flag(
        "--json", check_json,
        "Print {\"ok\", \"checks\": [{\"status\": ok|warn|fail, \"check\", \"detail\"}]}");

    status_cmd = app.add_subcommand(
        "status",
        "Per outbound service: active, last and next run, cursor, collected and pushed counts, events per\n"
        "state, oldest waiting, dead letters, pause reason. From the running bridge when there is one, else\n"
        "from the outbox alone.");
    add_config(status_cmd, config_file);
    status_cmd->add_flag("--json", status_json, "Print the status as JSON (the admin endpoint's /status)");

    tick_cmd = app.add_subcommand("tick", "Ask the running bridge to run a service's job now");
    add_config(tick_cmd, config_file);
    tick_cmd->add_option("--tenant", tick_tenant, "Only this tenant's job (default: every tenant's)");
    tick_cmd->add_option("SERVICE", tick_service, "export, import, status_change or retry")
        ->required()
        ->check(CLI::IsMember({"export", "import", "status_change", "retry"}));

    register_cmd = app.add_subcommand(
        "register",
        "Register the landscape's systems in Cloud ALM's Landscape Management (same token and TLS as "
        "pushing),\n"
        "so Cloud ALM accepts their events: each appears there as ATO_<SID>_<client>[_<suffix>]. Without\n"
        "--system: the configuration's registration.systems, else the systems the ATO feed lists.\n"
        "Registering again changes nothing.");
    unregister_cmd = app.add_subcommand(
        "unregister",
        "Offboard systems from Landscape Management: Cloud ALM refuses their events from then on");
    for (auto [cmd, r] : {std::pair{register_cmd, &reg}, std::pair{unregister_cmd, &unreg}}) {
      add_config(cmd, r->config_file);
      cmd->add_option("--system", r->systems, "A system as SID~CLIENT, e.g. S4D~080 (repeatable)");
      if (cmd == register_cmd) {
        cmd->add_option("--role", r->role, "The systems' role: development, test or production")
            ->check(CLI::IsMember({"development", "test", "production"}));
        cmd->add_option("--suffix", r->suffix, "Appended to the service ID: ATO_<SID>_<client>_<suffix>");
      }
    }
    unreg.unregister = true;

    replay_cmd = app.add_subcommand(
        "replay",
        "Enqueue a recorded NDJSON file into the outbox as if collected (then `run` pushes it). eventIds "
        "are\n"
        "kept, so replaying twice changes nothing; --fresh-ids gives each event a new eventId and a new\n"
        "sequence. For an outbox of its own (a test setup): replay moves the services' cursors to cover the\n"
        "recording, which a bridge polling a live feed must not have.");
    replay_cmd->add_option("FILE", replay.file, "The recording (NDJSON, one event per line)")
        ->required()
        ->check(CLI::ExistingFile);
    add_config(replay_cmd, replay.config_file);
    replay_cmd->add_option(
        "--tenant", replay.tenant,
        "Enqueue every event for this tenant (default: the tenant named after the event's\n"
        "source system, SID~client, or the only tenant configured)");
    replay_cmd->add_option("--speed", replay.speed, "Original spacing of occurredAt divided by this, or max")
        ->capture_default_str();
    replay_cmd->add_flag("--fresh-ids", replay.fresh_ids,
                         "New eventIds and sequences: replaying again adds events");
    replay_cmd
        ->add_option_function<std::string>(
            "--on-bad-line", [this](const std::string& v) { replay.abort_on_bad_line = v == "abort"; },
            "A malformed line: skip it (reported with its line number) or abort (nothing is enqueued)")
        ->check(CLI::IsMember({"skip", "abort"}))
        ->default_str("skip");

    loadtest_cmd = app.add_subcommand(
        "loadtest",
        "Push packages to the configured Cloud ALM through the bridge's own pusher (TLS, token, "
        "classification,\n"
        "retries) and measure: events/s, packages/s, latency percentiles from each package's intended send\n"
        "time (open model: --rate R schedules arrivals whatever the server does), results per HTTP status "
        "and\n"
        "per event. Touches no outbox. Refuses a target outside this machine unless --allow-remote.");
    add_config(loadtest_cmd, load.config_file);
    loadtest_cmd
        ->add_option("--from", load.from, "Push the events of this recording (default: synthetic exports)")
        ->check(CLI::ExistingFile);
    loadtest_cmd
        ->add_option("--system", load.system,
                     "The system synthetic exports come from (SID~client), never one of the landscape's: "
                     "its transports <SID>K9NNNNN are the load test's own, and ato-sim drops them with "
                     "DELETE /sim/transports?system=SID~client")
        ->capture_default_str();
    auto* events_opt = loadtest_cmd->add_option("--events", load.events, "How many events (default 10000)")
                           ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000'000}));
    loadtest_cmd->add_option("--duration", load_duration, "Or: push for this long (e.g. 30s)")
        ->check(kDuration)
        ->excludes(events_opt);
    loadtest_cmd->add_option("--rate", load_rate, "Events/s as a fixed arrival schedule, or max")
        ->capture_default_str();
    loadtest_cmd
        ->add_option("--package-size", load.package_size,
                     "Events per package (default: the export service's)")
        ->check(CLI::Range(1, 10'000));
    loadtest_cmd
        ->add_option("--connections", load.connections, "Parallel connections (default: push.connections)")
        ->check(CLI::Range(1, 256));
    loadtest_cmd->add_option("--report", load.reports,
                             "Write a report: FILE.json (every figure, per-second timeline) "
                             "or FILE.html (charts); repeatable");
    loadtest_cmd->add_flag(
        "--allow-remote", load.allow_remote,
        "Allow a Cloud ALM that is not on this machine (synthetic events land in that tenant)");
    loadtest_cmd
        ->add_option("--shard", load_shard,
                     "I/N: send every N-th package of the whole run's schedule, from package I (0 <= I < N); "
                     "--rate and --events are the whole run's. Merge the N reports with loadtest merge")
        ->check([](const std::string& v) -> std::string {
          int i = -1, n = 0;
          char slash = 0, rest = 0;
          std::istringstream in(v);
          if (!(in >> i >> slash >> n) || slash != '/' || in >> rest || n < 1 || n > 10'000 || i < 0 ||
              i >= n)
            return "expected I/N with 0 <= I < N <= 10000 (e.g. 0/4), got '" + v + "'";
          return "";
        });
    loadtest_cmd->require_subcommand(0, 1);
    loadtest_merge_cmd = loadtest_cmd->add_subcommand(
        "merge",
        "Merge the JSON reports of a sharded run (loadtest --shard I/N, every I) into one: counts summed, "
        "latency histograms merged (not percentiles averaged), timelines aligned by start time");
    loadtest_merge_cmd->add_option("reports", merge_inputs, "The shards' JSON reports")
        ->required()
        ->check(CLI::ExistingFile);
    loadtest_merge_cmd->add_option("--report", merge_reports,
                                   "Write the merged report: FILE.json or FILE.html; repeatable");

    auto* dead_cmd = app.add_subcommand("dead-letters", "List, show and re-queue events given up on");
    dead_cmd->require_subcommand(1);
    auto filters = [this](CLI::App* cmd) {
      add_config(cmd, dead.config_file);
      cmd->add_option("--service", dead.service, "Only this service: export, import, status_change");
      cmd->add_option("--transport", dead.transport, "Only this transport (e.g. S4DK900123)");
      cmd->add_option("--tenant", dead.tenant, "Only this tenant's (e.g. S4T~100)");
    };
    dead_list = dead_cmd->add_subcommand("list", "List dead letters, newest first");
    filters(dead_list);
    dead_list->add_option("--limit", dead.limit, "At most this many")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    dead_list->add_flag("--json", dead.json, "Print JSON");
    dead_show =
        dead_cmd->add_subcommand("show", "Show one dead letter: reason, every failed attempt, the event");
    add_config(dead_show, dead.config_file);
    dead_show->add_option("EVENT_ID", dead.event_id, "The event's eventId")->required();
    dead_requeue = dead_cmd->add_subcommand(
        "requeue", "Give dead letters another chance: back to pending, attempts reset, history kept");
    filters(dead_requeue);
    auto* one = dead_requeue->add_option("EVENT_ID", dead.event_id, "The event's eventId");
    auto* all = dead_requeue->add_flag("--all", dead.all, "Every dead letter matching --service/--transport");
    one->excludes(all);
    dead_requeue->callback([this] {
      if (!dead.event_id && !dead.all) throw CLI::ValidationError("requeue", "give an EVENT_ID or --all");
    });

    auto* cursor_cmd = app.add_subcommand(
        "cursor",
        "Show each tenant's event service cursors (collected up to this sequence of the tenant's feed), or\n"
        "set one");
    cursor_cmd->require_subcommand(1);
    cursor_show = cursor_cmd->add_subcommand("show", "Print the cursors (works while a bridge runs)");
    add_config(cursor_show, cursor.config_file);
    cursor_show->add_flag("--json", cursor.json, "Print JSON");
    cursor_set = cursor_cmd->add_subcommand(
        "set", "Set a service's cursor after a feed reset; refused while a bridge runs on the outbox");
    add_config(cursor_set, cursor.config_file);
    cursor_set->add_option("--tenant", cursor.tenant,
                           "The tenant whose cursor it is (may be left out when the configuration has one)");
    cursor_set->add_option("SERVICE", cursor.service, "export, import or status_change")
        ->required()
        ->check(CLI::IsMember({"export", "import", "status_change"}));
    cursor_set
        ->add_option("SEQUENCE", cursor.sequence, "The feed sequence collected up to (0: from the start)")
        ->required()
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{9007199254740991}));

    auto* tenant_cmd = app.add_subcommand("tenant", "The outbox's tenants");
    tenant_cmd->require_subcommand(1);
    tenant_rename = tenant_cmd->add_subcommand(
        "rename",
        "Hand a tenant's stored events and cursors to another name (e.g. 'default', the tenant of an outbox\n"
        "written before tenants, to the name the configuration gives that feed's tenant). Refused while a\n"
        "bridge runs on the outbox.");
    add_config(tenant_rename, rename.config_file);
    tenant_rename->add_option("OLD", rename.from, "The tenant's name in the outbox")->required();
    tenant_rename->add_option("NEW", rename.to, "Its new name")->required();

    auto* outbox = app.add_subcommand("outbox", "Check a damaged outbox, or salvage its readable events");
    outbox->require_subcommand(1);
    outbox_check = outbox->add_subcommand(
        "check", "SQLite's integrity check and the outbox's invariants; exit 1 when damaged (reads only)");
    add_config(outbox_check, outbox_cmd.config_file);
    outbox_salvage = outbox->add_subcommand(
        "salvage",
        "Copy every readable event of the outbox into a new file (the damaged one is only read). Exit code "
        "1\n"
        "when events could not be copied (the new file is still written; the lost ones are listed)");
    add_config(outbox_salvage, outbox_cmd.config_file);
    outbox_salvage->add_option("--to", outbox_cmd.salvage_to, "The new outbox file (must not exist)")
        ->required();
  }

  // The tenants of `config init`, from --tenant, --from-sim or the single-feed options; a problem in words.
  std::string init_tenants_from_options() {
    const bool single =
        !init_single.feed_url.empty() || !init_single.user.empty() || !init_single.password_env.empty();
    if (single + !init_tenants.empty() + !init_from_sim.empty() != 1)
      return "name the tenants one way: --tenant (repeated), --from-sim READY_FILE, or --ato-url with "
             "--ato-user and --ato-password-env";
    if (single) {
      if (init_single.feed_url.empty() || init_single.user.empty() || init_single.password_env.empty())
        return "--ato-url, --ato-user and --ato-password-env go together";
      init.options.tenants.push_back(init_single);
      return "";
    }
    for (const auto& spec : init_tenants) {
      std::vector<std::string> parts;
      std::string_view rest = spec;
      while (true) {
        const auto comma = rest.find(',');
        parts.emplace_back(rest.substr(0, comma));
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
      }
      if (parts.size() != 4) return "--tenant '" + spec + "': expected NAME,FEED_URL,USER,PASSWORD_ENV";
      init.options.tenants.push_back({parts[0], parts[1], parts[2], parts[3]});
    }
    if (!init_from_sim.empty()) {
      try {
        init.options.tenants = ato::bridge::tenants_from_sim_ready_file(init_from_sim);
      } catch (const std::exception& e) {
        return std::string("--from-sim: ") + e.what();
      }
    }
    return "";
  }

  int dispatch() {
    if (*version_cmd) {
      std::cout << version_text();
      return kExitOk;
    }
    if (*completion_cmd) {
      std::cout << (completion_shell == "zsh" ? zsh_completion(app) : bash_completion(app));
      return kExitOk;
    }
    if (*init_cmd) {
      init.options.service_key_file = init_key;
      if (!init_ca.empty()) init.options.ca_file = init_ca;
      if (!init_out.empty()) init.options.out = init_out;
      init.options.run_every = *ato::parse_duration(run_every);
      if (const auto problem = init_tenants_from_options(); !problem.empty()) {
        std::cerr << "ato-bridge config init: " << problem << "\n";
        return kExitUsage;
      }
      return run_config_init(init, std::cout, std::cerr);
    }
    if (*check_cmd) return run_config_check(check, std::cout, std::cerr);
    if (*run_cmd) return run_bridge(run);
    if (*bridge_check_cmd) return run_check(config_file, check_json, std::cout, std::cerr);
    if (*status_cmd) return run_status(config_file, status_json, std::cout, std::cerr);
    if (*tick_cmd) return run_tick(config_file, tick_service, tick_tenant, std::cout, std::cerr);
    if (*register_cmd) return run_register(reg, std::cout, std::cerr);
    if (*replay_cmd) return run_replay(replay, std::cout, std::cerr);
    if (*loadtest_merge_cmd) return run_loadtest_merge(merge_inputs, merge_reports, std::cout, std::cerr);
    if (*loadtest_cmd) {
      if (!load_shard.empty()) {
        const auto slash = load_shard.find('/');
        load.shard_index = std::stoi(load_shard.substr(0, slash));
        load.shard_count = std::stoi(load_shard.substr(slash + 1));
      }
      if (load_rate != "max") {
        try {
          std::size_t used = 0;
          load.rate = std::stod(load_rate, &used);
          if (used != load_rate.size() || *load.rate <= 0) throw std::invalid_argument(load_rate);
        } catch (const std::exception&) {
          std::cerr << "ato-bridge loadtest: --rate: expected events per second above 0, or max (got '"
                    << load_rate << "')\n";
          return kExitUsage;
        }
      }
      if (!load_duration.empty()) load.duration = *ato::parse_duration(load_duration);
      return run_loadtest(load, std::cout, std::cerr);
    }
    if (*unregister_cmd) return run_register(unreg, std::cout, std::cerr);
    if (outbox_check->parsed() || outbox_salvage->parsed()) {
      if (!outbox_salvage->parsed()) outbox_cmd.salvage_to.reset();
      return run_outbox_command(outbox_cmd, std::cout, std::cerr);
    }
    if (*tenant_rename) return run_tenant_rename(rename, std::cout, std::cerr);
    if (*cursor_show || *cursor_set) {
      cursor.set = cursor_set->parsed();
      return run_cursor(cursor, std::cout, std::cerr);
    }
    if (*dead_list || *dead_show || *dead_requeue) {
      dead.action = *dead_list   ? DeadLettersCommand::Action::List
                    : *dead_show ? DeadLettersCommand::Action::Show
                                 : DeadLettersCommand::Action::Requeue;
      if (dead.all) dead.limit = 1'000'000'000;
      return run_dead_letters(dead, std::cout, std::cerr);
    }
    return kExitUsage;
  }
};

}  // namespace

int main(int argc, char** argv) {
  Cli cli;
  if (argc == 3 && std::string_view(argv[1]) == "help" && std::string_view(argv[2]) == "--all") {
    all_help(cli.app, "ato-bridge", std::cout);
    return kExitOk;
  }
  // `ato-bridge help [COMMAND...]` is `ato-bridge [COMMAND...] --help`, as git and kubectl take it.
  std::vector<char*> args(argv, argv + argc);
  static char help_flag[] = "--help";
  if (argc >= 2 && std::string_view(argv[1]) == "help") {
    args.erase(args.begin() + 1);
    args.push_back(help_flag);
    argc = static_cast<int>(args.size());
    argv = args.data();
  }
  if (const auto unknown = unknown_command_advice(cli.app, argc, argv)) {
    std::cerr << "ato-bridge: " << *unknown << "\n";
    return kExitUsage;
  }
  try {
    cli.app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (const auto advice = unknown_option_advice(cli.app, e)) {
      std::cerr << "ato-bridge: " << *advice << "\n";
      return kExitUsage;
    }
    const int code = cli.app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (const auto problem = cli.default_config(); !problem.empty()) {
    std::cerr << "ato-bridge " << problem << "\n";
    return kExitUsage;
  }
  return cli.dispatch();
}
