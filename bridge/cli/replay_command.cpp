// `ato-bridge replay`: a recording enqueued into the outbox as if collected, keeping its eventIds
// (replaying twice changes nothing) unless --fresh-ids gives every event a new one and a new
// sequence after everything the outbox has seen. The original spacing of occurredAt is kept,
// scaled by --speed (or none: max).
#include <fmt/format.h>

#include <unistd.h>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <map>

#include <atomic>
#include <chrono>
#include <csignal>
#include <optional>
#include <ostream>
#include <thread>

#include "bridge/cli/command_context.hpp"
#include "bridge/cli/command_spec.hpp"
#include "bridge/outbox/outbox.hpp"
#include "bridge/runtime/run_file.hpp"
#include "core/log.hpp"
#include "core/recording.hpp"

namespace ato::bridge {

namespace {

struct ReplayCommand {
  std::string config_file;
  std::string file;
  std::string speed = "max";  // a factor (1 = original pace) or max
  bool fresh_ids = false;
  bool abort_on_bad_line = false;
  std::string tenant;  // every event to this tenant (default: the tenant named after its source system)
};

using Clock = std::chrono::steady_clock;

// SIGINT/SIGTERM while replaying: stop between batches (a batch is stored whole or not at all).
std::atomic<bool> interrupted{false};
extern "C" void on_interrupt(int) {
  interrupted = true;
}

// A progress bar on a terminal; plain lines every few seconds otherwise (logs, CI). At --speed N
// the time left follows the recording's own clock (what remains of it, divided by N); at max, the
// rate so far.
class Progress {
 public:
  Progress(std::ostream& out, std::int64_t total) : out_(out), total_(total), tty_(::isatty(STDERR_FILENO)) {}

  void update(std::int64_t done, std::optional<double> seconds_left_by_recording, bool final = false) {
    const auto now = Clock::now();
    if (!final && now - last_ < (tty_ ? std::chrono::milliseconds(200) : std::chrono::seconds(2))) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
    const double eta = seconds_left_by_recording ? *seconds_left_by_recording
                       : rate > 0                ? static_cast<double>(total_ - done) / rate
                                                 : 0;
    if (tty_) {
      const int width = 30;
      const int filled = total_ ? static_cast<int>(width * done / total_) : width;
      out_ << fmt::format("\r[{}{}] {}/{} events  {:.0f}/s  ETA {:.0f}s  ", std::string(filled, '#'),
                          std::string(width - filled, '.'), done, total_, rate, eta)
           << (final ? "\n" : "") << std::flush;
    } else {
      out_ << fmt::format("replay: {} of {} events, {:.0f}/s, ETA {:.0f} s\n", done, total_, rate, eta);
    }
  }

 private:
  std::ostream& out_;
  std::int64_t total_;
  bool tty_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_{};
};

std::optional<double> parse_speed(const std::string& text) {
  if (text == "max") return 0.0;
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && v > 0) return v;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// New eventIds, and sequences after each tenant's highest cursor.
void renumber(std::vector<AtoEvent>& events, const std::vector<std::string>& tenant_of,
              std::map<std::string, std::int64_t> after) {
  boost::uuids::random_generator generate;
  for (std::size_t i = 0; i < events.size(); ++i) {
    events[i].event_id = boost::uuids::to_string(generate());
    events[i].sequence = ++after[tenant_of[i]];
  }
}

// The tenant each event goes to: --tenant, else the tenant named after its source system
// (SID~client), else the only tenant configured. Throws naming an event no tenant takes.
std::vector<std::string> tenants_of(const BridgeConfig& config, const std::vector<AtoEvent>& events,
                                    const std::string& forced) {
  if (!forced.empty() && !config.tenant(forced))
    throw std::invalid_argument("--tenant " + forced + ": the configuration names no such tenant");
  std::vector<std::string> out;
  out.reserve(events.size());
  for (const auto& e : events) {
    const std::string source = e.source.key();
    if (!forced.empty())
      out.push_back(forced);
    else if (config.tenant(source))
      out.push_back(source);
    else if (config.tenants.size() == 1)
      out.push_back(config.tenants.front().name);
    else
      throw std::invalid_argument(fmt::format(
          "event {} comes from {}, and no tenant of the configuration is named so: name the tenant with "
          "--tenant, or name the configuration's tenants after their systems (SID~client)",
          e.event_id, source));
  }
  return out;
}

int run_replay(const ReplayCommand& c, std::ostream& out, std::ostream& err) {
  const auto speed = parse_speed(c.speed);
  if (!speed) {
    err << "ato-bridge replay: --speed: expected a factor above 0 (1 = original pace, 10 = ten times faster) "
           "or "
           "max, got '"
        << c.speed << "'\n";
    return kExitUsage;
  }
  try {
    const BridgeConfig config = load_config_without_secrets(c.config_file);
    Recording recording = read_recording(c.file, c.abort_on_bad_line ? OnBadLine::Abort : OnBadLine::Skip);
    for (const auto& problem : recording.problems) err << "skipped " << problem << "\n";
    auto& events = recording.events;
    const std::vector<std::string> tenant_of = tenants_of(config, events, c.tenant);
    Outbox outbox(outbox_options(config));
    if (c.fresh_ids) {
      std::map<std::string, std::int64_t> highest;
      for (const auto& t : config.tenants)
        for (Service s : {Service::Export, Service::Import, Service::StatusChange})
          highest[t.name] = std::max(highest[t.name], outbox.cursor(t.name, s).value_or(0));
      renumber(events, tenant_of, highest);
    }
    Progress progress(err, static_cast<std::int64_t>(events.size()));
    const auto start = Clock::now();
    const EpochMillis first = events.empty() ? 0 : events.front().occurred_at;
    const EpochMillis last = events.empty() ? 0 : events.back().occurred_at;
    const auto seconds_left = [&](std::size_t next) -> std::optional<double> {
      if (*speed == 0 || next >= events.size()) return std::nullopt;
      const auto due = start + std::chrono::milliseconds(
                                   static_cast<std::int64_t>(static_cast<double>(last - first) / *speed));
      return std::max(0.0, std::chrono::duration<double>(due - Clock::now()).count());
    };
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    EnqueueResult total;
    std::size_t i = 0;
    while (i < events.size() && !interrupted) {
      if (*speed > 0) {  // wait for this event's moment, scaled; a signal ends the wait
        const auto due = start + std::chrono::milliseconds(static_cast<std::int64_t>(
                                     static_cast<double>(events[i].occurred_at - first) / *speed));
        while (!interrupted && Clock::now() < due)
          std::this_thread::sleep_for(
              std::min<Clock::duration>(due - Clock::now(), std::chrono::milliseconds(100)));
        if (interrupted) break;
      }
      // One batch: consecutive events of one tenant and service that are due, at most 1000.
      const Service service = events[i].service;
      const std::string tenant = tenant_of[i];
      std::vector<NewEvent> batch;
      std::int64_t highest = 0;
      const auto now = Clock::now();
      while (i < events.size() && events[i].service == service && tenant_of[i] == tenant &&
             batch.size() < 1000 &&
             (*speed == 0 || start + std::chrono::milliseconds(static_cast<std::int64_t>(
                                         static_cast<double>(events[i].occurred_at - first) / *speed)) <=
                                 now)) {
        highest = std::max(highest, events[i].sequence);
        batch.push_back(to_new_event(events[i++]));
      }
      const std::int64_t cursor = std::max(outbox.cursor(tenant, service).value_or(0), highest);
      const auto stored = outbox.enqueue(tenant, service, batch, cursor, now_epoch_millis());
      total += stored;
      progress.update(static_cast<std::int64_t>(i), seconds_left(i));
    }
    if (interrupted) {
      progress.update(static_cast<std::int64_t>(i), std::nullopt, true);
      out << fmt::format(
          "interrupted: {} of {} events enqueued ({} new, {} already there); the rest were not.\n", i,
          events.size(), total.inserted, total.duplicates);
      if (c.fresh_ids)
        out << fmt::format(
            "To go on: replay a copy of the recording without its first {} events; running it all again with "
            "--fresh-ids would enqueue those a second time, under new ids.\n",
            i);
      else
        out << "To go on: run the same command again; what is enqueued already is recognised by its eventId "
               "and "
               "skipped.\n";
      return 130;  // as a shell reports SIGINT
    }
    // As if every active service had collected up to the recording's end: the low watermark lets
    // the replayed events leave.
    std::map<std::string, std::int64_t> end;
    for (std::size_t e = 0; e < events.size(); ++e)
      end[tenant_of[e]] = std::max(end[tenant_of[e]], events[e].sequence);
    for (const auto& [tenant_name, last] : end) {
      const TenantConfig& t = *config.tenant(tenant_name);
      for (auto [service, settings] :
           {std::pair{Service::Export, &t.export_service}, std::pair{Service::Import, &t.import_service},
            std::pair{Service::StatusChange, &t.status_change_service}})
        if (settings->active && outbox.cursor(tenant_name, service).value_or(0) < last)
          outbox.enqueue(tenant_name, service, {}, last, now_epoch_millis());
    }
    progress.update(static_cast<std::int64_t>(events.size()), std::nullopt, true);
    out << fmt::format(
        "replayed {} events from {}: {} new in the outbox, {} already there (same eventId){}\n",
        events.size(), c.file, total.inserted, total.duplicates,
        recording.problems.empty() ? "" : fmt::format("; {} bad lines skipped", recording.problems.size()));
    if (find_running_bridge(config.outbox.path))
      out << "the running bridge pushes them with its next packages\n";
    else
      out << "start the bridge (ato-bridge run --config " << c.config_file << ") to push them\n";
    return kExitOk;
  } catch (const SequenceConflictError& e) {
    err << "ato-bridge replay: the recording has other events under sequences the outbox holds already ("
        << redact(e.what()) << "); replay it with --fresh-ids to give its events new ids and sequences\n";
    return kExitFailure;
  } catch (const RecordingError& e) {
    err << "ato-bridge replay: error: " << e.what() << "; nothing was enqueued\n";
    return kExitFailure;
  } catch (const std::exception& e) {
    err << "ato-bridge replay: error: " << redact(e.what()) << "\n";
    return kExitFailure;
  }
}

}  // namespace

CommandSpec replay_command() {
  auto a = std::make_shared<ReplayCommand>();
  return {
      {"replay"},
      "Enqueue a recorded NDJSON file into the outbox as if collected (then `run` pushes it). eventIds "
      "are\n"
      "kept, so replaying twice changes nothing; --fresh-ids gives each event a new eventId and a new\n"
      "sequence. For an outbox of its own (a test setup): replay moves the services' cursors to cover the\n"
      "recording, which a bridge polling a live feed must not have.",
      {option("FILE", &a->file, "The recording (NDJSON, one event per line)")
           .needed()
           .check(ValueCheck::existing_file()),
       config_option(),
       option("--tenant", &a->tenant,
              "Enqueue every event for this tenant (default: the tenant named after the event's\n"
              "source system, SID~client, or the only tenant configured)"),
       option("--speed", &a->speed, "Original spacing of occurredAt divided by this, or max").with_default(),
       option("--fresh-ids", &a->fresh_ids, "New eventIds and sequences: replaying again adds events"),
       option(
           "--on-bad-line", [a](const std::string& v) { a->abort_on_bad_line = v == "abort"; },
           "A malformed line: skip it (reported with its line number) or abort (nothing is enqueued)")
           .check(ValueCheck::one_of({"skip", "abort"}))
           .shown_default("skip")},
      [a](CommandContext& c) {
        a->config_file = c.config_file;
        return run_replay(*a, c.out, c.err);
      },
      {}};
}

}  // namespace ato::bridge
