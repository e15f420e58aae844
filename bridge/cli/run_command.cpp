// `ato-bridge run`: the bridge in the foreground, on one io_context thread.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

#include "bridge/cli/command_context.hpp"
#include "bridge/cli/command_spec.hpp"
#include "bridge/runtime/admin.hpp"
#include "bridge/runtime/engine.hpp"
#include "bridge/runtime/run_file.hpp"
#include "bridge/runtime/service_manager.hpp"
#include "core/log.hpp"
#include "core/net/http_server.hpp"
#include "core/url.hpp"

namespace ato::bridge {

namespace {

struct RunCommand {
  std::string config_file;
  bool backfill = false;              // overrides collect.backfill
  std::string log_level;              // overrides log.level when set
  std::optional<std::string> record;  // append every collected event to this NDJSON file
  bool new_outbox = false;            // accept a missing, empty or replaced outbox as a new start
};

constexpr std::chrono::seconds kShutdownGrace{3};

net::ListenOptions admin_listen_options(const std::string& listen) {
  const auto address = std::get<ListenAddress>(parse_listen_address(listen));  // the configuration checked it
  net::ListenOptions options;
  options.address = address.host == "localhost" ? "127.0.0.1" : address.host;
  options.port = address.port;
  options.idle_timeout = std::chrono::seconds(10);
  options.write_timeout = std::chrono::seconds(10);
  options.max_body_bytes = 64 * 1024;
  return options;
}

// A second signal ends run() with the engine's coroutines still suspended. Destroyed with the
// io_context they would touch the engine after it is gone, so they are cancelled and run to their
// end first (what was on the wire goes back to the outbox). Should that take more than two seconds,
// the process leaves without tearing anything down: what is stored is durable, and the leases of
// what was in flight make the next start send it again.
// Returns how many events were being pushed when it began (their pushes are the ones cancelled).
// The engine's count, not the outbox's: the outbox thread may still be at work.
std::int64_t unwind(net::HttpServers& servers, Engine& engine) {
  if (!engine.busy()) return 0;
  const std::int64_t in_flight = engine.state().events_being_pushed;
  engine.abort();
  if (servers.drain([&] { return !engine.busy(); }, std::chrono::seconds(2))) return in_flight;
  spdlog::warn(
      "stopped at once: some work did not end within 2 s; events still in flight are sent again at the "
      "next start (Cloud ALM deduplicates)");
  spdlog::shutdown();
  std::_Exit(kExitOk);
}

// Foreground until SIGINT/SIGTERM; logs to stderr.
int run_bridge(const RunCommand& command) {
  BridgeConfig config;
  try {
    config = load_config(command.config_file);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ato-bridge run: error: %s\n", redact(e.what()).c_str());
    return kExitFailure;
  }
  if (command.backfill) config.collect.backfill = true;
  if (!command.log_level.empty()) config.log.level = command.log_level;
  config.log.name = "bridge";
  setup_logging(config.log);
  for (const auto& warning : config.warnings) spdlog::warn("configuration: {}", warning);
  try {
    InstanceLock lock(config.outbox.path);
    auto options = outbox_options(config);
    options.used_before = lock.existed_before();
    options.accept_new = command.new_outbox;
    Outbox outbox(options);
    net::HttpServers servers(1);
    std::optional<std::filesystem::path> record;
    if (command.record) record = *command.record;
    Engine engine(servers.context(), config, outbox, record);
    const auto admin = admin_listen_options(config.admin.listen);
    std::uint16_t port = 0;
    try {
      port = servers.listen_deferred(admin, [&](const net::HttpRequest& request, net::Answer answer) {
        handle_admin(request, config, engine, std::move(answer));
      });
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format(
          "{} (admin.listen {}): another bridge or program holds it; choose another port with admin.listen "
          "in "
          "{}, e.g. \"127.0.0.1:8691\", or \"127.0.0.1:0\" for any free one (the run file beside the outbox "
          "names it, and status and tick find it there)",
          e.what(), config.admin.listen, config.config_file.string()));
    }
    const std::string admin_url = "http://" + admin.address + ":" + std::to_string(port);
    std::string tenants;
    for (const auto& t : config.tenants) tenants += (tenants.empty() ? "" : ", ") + t.name;
    spdlog::info("ato-bridge {} starting: outbox {}, Cloud ALM {}, {} tenant(s) ({}), admin {}{}",
                 ATO_VERSION, config.outbox.path.string(), config.cloud_alm.host, config.tenants.size(),
                 tenants, admin_url, config.collect.backfill ? ", backfill (history is collected)" : "");
    engine.start();
    write_run_file(config.outbox.path, {static_cast<int>(::getpid()), admin_url});
    notify_ready(fmt::format("{} tenant(s), admin {}", config.tenants.size(), admin_url));
    servers.run(
        [&](int signal) {
          notify_stopping("stopping: pushes in flight finish or go back to the outbox");
          spdlog::info(
              "{}: stopping: no more collecting; pushes in flight get {} s, then their events go back "
              "to the outbox (a second signal stops at once)",
              signal == SIGINT ? "SIGINT" : "SIGTERM", kShutdownGrace.count());
          engine.stop(kShutdownGrace, [&] { servers.stop(); });
        },
        false);
    const std::int64_t cancelled = unwind(servers, engine);
    remove_run_file(config.outbox.path);
    if (const auto& damaged = engine.state().outbox_damaged) {
      spdlog::error(
          "stopped: the outbox is damaged ({}); what was in flight is sent again once a sound outbox is "
          "in place",
          *damaged);
      return kExitFailure;
    }
    const auto counts = outbox.counts();
    const auto in_flight = counts.total(EventState::InFlight);
    if (in_flight > 0)  // a second signal, or a full disk, kept answers from being settled
      spdlog::warn(
          "stopped: outbox holds {} pending, {} retryable, {} dead letters, and {} events that were in "
          "flight "
          "whose answers were not stored (a second signal, or a full disk): the next start sends them again "
          "(Cloud ALM deduplicates); nothing is lost",
          counts.total(EventState::Pending), counts.total(EventState::Retryable),
          counts.total(EventState::Dead), in_flight);
    else if (cancelled > 0)  // a second signal: the pushes on the wire were cancelled, not answered
      spdlog::warn(
          "stopped: the pushes of {} events were cancelled by the second signal; those events went back to "
          "the outbox and go again at the next start (Cloud ALM deduplicates what it already took). "
          "Outbox holds {} pending, {} retryable, {} dead letters",
          cancelled, counts.total(EventState::Pending), counts.total(EventState::Retryable),
          counts.total(EventState::Dead));
    else
      spdlog::info("stopped: outbox holds {} pending, {} retryable, {} dead letters; nothing was in flight",
                   counts.total(EventState::Pending), counts.total(EventState::Retryable),
                   counts.total(EventState::Dead));
    return kExitOk;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kExitFailure;
  }
}

}  // namespace

CommandSpec run_command() {
  auto a = std::make_shared<RunCommand>();
  return {
      {"run"},
      "Run the bridge in the foreground: every active service's job collects the ATO feed on its schedule\n"
      "into the outbox, push workers send packages to Cloud ALM, the retry job re-sends failed events.\n"
      "Logs to stderr. SIGINT/SIGTERM: collecting stops, pushes in flight finish or go back to the outbox\n"
      "(no attempt spent), exit 0 within a few seconds.",
      {config_option(),
       option("--new-outbox", &a->new_outbox,
              "Start with the outbox file as it is, though it is missing, empty or another outbox than "
              "the one that lived there (what that one held is not sent)"),
       option("--backfill", &a->backfill,
              "A service's first run collects the feed from the beginning (test landscapes)"),
       option("--record", &a->record,
              "Append every collected event to this NDJSON recording (written after the outbox commit;\n"
              "continued, not overwritten, across restarts)"),
       option("--log-level", &a->log_level, "Override log.level (trace, debug, info, warn, error, off)")},
      [a](CommandContext& c) {
        a->config_file = c.config_file;
        return run_bridge(*a);
      },
      {}};
}

}  // namespace ato::bridge
