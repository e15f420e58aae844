// `ato-bridge loadtest`: packages pushed through the bridge's own pusher (TLS, token cache,
// classification, 413 split) at a fixed arrival rate (open model: a package is due at its place in
// the schedule whatever the server does, and its latency counts from then, so a slow server cannot
// hide behind coordinated omission) or as fast as the connections allow. No outbox is touched:
// retryable answers are retried in memory (up to 3 times).
#include "bridge/loadtest/loadtest.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>
#include <ostream>

#include "bridge/config/client_options.hpp"
#include "bridge/loadtest/event_supply.hpp"
#include "bridge/loadtest/report.hpp"
#include "bridge/push/pusher.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "core/recording.hpp"

#include <algorithm>
#include <map>
#include "core/url.hpp"

namespace ato::bridge {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr int kMaxRetries = 3;

// The load test settles in memory: nothing to wait for.
asio::awaitable<void> counted_in_memory() {
  co_return;
}

struct Package {
  std::vector<ClaimedEvent> events;
  Clock::time_point intended;
  int attempt = 0;
};

// Packages due and not sent yet, the workers waiting for one, and how many are out (on the wire, or
// waiting to be retried): the load test is finished when dispatching is done and none is left.
struct PackageQueue {
  std::deque<Package> due;
  std::vector<asio::steady_timer*> waiting;
  int in_flight = 0, retrying = 0;
  bool dispatch_done = false;

  bool finished() const { return dispatch_done && due.empty() && in_flight == 0 && retrying == 0; }
  // Every change a waiter waits for (a package queued or taken, one finished, dispatching done) calls
  // wake(), so a wait needs no deadline of its own: a short one re-armed the kernel's timer (a
  // timerfd_settime call) for every other package.
  void wake() {
    for (auto* t : waiting) t->cancel();
  }
  asio::awaitable<void> wait_for_work(asio::io_context& context) {
    asio::steady_timer timer(context, asio::steady_timer::time_point::max());
    waiting.push_back(&timer);
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    waiting.erase(std::find(waiting.begin(), waiting.end(), &timer));
  }
};

// The progress line on stderr: rewritten in place on a terminal, one line per second otherwise.
struct ProgressLine {
  std::ostream& out;
  bool tty;
};

bool is_loopback(const std::string& host_url) {
  const auto parsed = parse_http_url(host_url);
  if (!std::holds_alternative<HttpUrl>(parsed)) return false;
  const auto& host = std::get<HttpUrl>(parsed).host;
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

class Runner {
 public:
  Runner(const LoadtestOptions& o, const BridgeConfig& config, std::ostream& progress_out)
      : options_(o),
        config_(config),
        progress_{progress_out, static_cast<bool>(::isatty(STDERR_FILENO))},
        client_(context_, client_options(config, o.connections)),
        tokens_(client_, config.cloud_alm, now_epoch_millis),
        pusher_(client_, tokens_, config, now_epoch_millis),
        supply_(o.from, *parse_system_ref(o.system)) {}

  LoadtestReport run() {
    report_.target = config_.cloud_alm.host;
    report_.started_at = format_iso8601_utc(now_epoch_millis());  // (started_at_ms below: the same instant)
    report_.source =
        supply_.synthetic() ? "synthetic exports of " + options_.system : "recording " + *options_.from;
    report_.started_at_ms = now_epoch_millis();
    report_.settings.rate = options_.rate;
    if (options_.rate) report_.settings.rate = *options_.rate / options_.shard_count;  // this shard's share
    report_.shard.index = options_.shard_index;
    report_.shard.count = options_.shard_count;
    report_.settings.package_size = options_.package_size;
    report_.settings.connections = options_.connections;
    if (options_.duration)
      report_.settings.duration_s = std::chrono::duration<double>(*options_.duration).count();
    report_.settings.events = options_.events;
    report_.settings.max_retries = kMaxRetries;
    report_.hosts = {this_host()};
    total_events_ =
        options_.events.value_or(options_.duration     ? -1
                                 : supply_.synthetic() ? 10'000
                                                       : static_cast<std::int64_t>(supply_.available()));
    start_ = Clock::now();
    spawn(dispatch());
    for (int i = 0; i < options_.connections; ++i) spawn(worker());
    spawn(progress());
    context_.run();
    if (failure_) std::rethrow_exception(failure_);
    report_.duration_s = std::chrono::duration<double>(finished_ - start_).count();
    return std::move(report_);
  }

 private:
  static net::ClientOptions client_options(const BridgeConfig& c, int connections) {
    net::ClientOptions options = client_options_of(c);
    options.max_idle_per_origin = static_cast<std::size_t>(connections) + 1;
    return options;
  }

  void spawn(asio::awaitable<void> task) {
    asio::co_spawn(context_, std::move(task), [this](std::exception_ptr e) {
      if (e && !failure_) {
        failure_ = e;
        context_.stop();
      }
    });
  }

  bool dispatching() const {
    if (total_events_ >= 0) return dispatched_ < total_events_;
    return Clock::now() - start_ < *options_.duration;
  }

  asio::awaitable<void> sleep_until(Clock::time_point when) {
    asio::steady_timer timer(context_, when);
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }

  std::int64_t next_package_size() const {
    return total_events_ >= 0 ? std::min<std::int64_t>(options_.package_size, total_events_ - dispatched_)
                              : options_.package_size;
  }

  Package make_package(Clock::time_point intended) {
    Package p;
    p.intended = intended;
    p.events = supply_.next_package(dispatched_, next_package_size());  // fewer where the service changes
    dispatched_ += static_cast<std::int64_t>(p.events.size());
    return p;
  }

  // Package k of the whole run's schedule belongs to this shard.
  bool own(std::int64_t k) const { return k % options_.shard_count == options_.shard_index; }

  // Open model: package k is due at start + k * package_size / rate, whatever happened before. A
  // shard walks the whole schedule and sends its own packages.
  asio::awaitable<void> dispatch() {
    std::int64_t k = 0;
    while (dispatching()) {
      if (!own(k)) {
        dispatched_ += supply_.skip_package(next_package_size());
      } else if (options_.rate) {
        const auto due = start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                      static_cast<double>(k) * options_.package_size / *options_.rate));
        co_await sleep_until(due);
        if (!dispatching()) break;
        packages_.due.push_back(make_package(due));
      } else {
        // As fast as possible: keep every connection busy, measure from when a package is queued.
        while (packages_.due.size() >= static_cast<std::size_t>(options_.connections))
          co_await packages_.wait_for_work(context_);
        packages_.due.push_back(make_package(Clock::now()));
      }
      ++k;
      packages_.wake();
    }
    packages_.dispatch_done = true;
    packages_.wake();
  }

  asio::awaitable<void> worker() {
    for (;;) {
      if (packages_.due.empty()) {
        if (packages_.finished()) break;
        co_await packages_.wait_for_work(context_);
        continue;
      }
      Package package = std::move(packages_.due.front());
      packages_.due.pop_front();
      packages_.wake();  // the dispatcher may be waiting for room in the queue (--rate max)
      ++packages_.in_flight;
      co_await send(std::move(package));
      --packages_.in_flight;
      if (packages_.finished()) {
        finished_ = Clock::now();
        packages_.wake();
      }
    }
    if (finished_ == Clock::time_point{}) finished_ = Clock::now();
  }

  asio::awaitable<void> send(Package package) {
    std::vector<ClaimedEvent> retry;
    std::int64_t accepted = 0, failed = 0;
    SettleFn settle = [&](const std::vector<ClaimedEvent>& events, const PushVerdict& verdict,
                          PushOutcome&) -> asio::awaitable<void> {
      std::int64_t dead = 0;
      for (std::size_t i = 0; i < verdict.settlements.size() && i < events.size(); ++i) {
        const auto kind = verdict.settlements[i].kind;
        if (kind == Settlement::Kind::Done)
          ++accepted;
        else if (kind == Settlement::Kind::Retry && package.attempt < kMaxRetries)
          retry.push_back(events[i]);
        else if (kind == Settlement::Kind::Dead)
          ++dead;
        else
          ++failed;  // released (401 twice, 403, a redirect) or retries used up
      }
      failed += dead - verdict.rejected;  // a whole package refused (400, 422, ...); rejections count apart
      return counted_in_memory();
    };
    const auto events = static_cast<std::int64_t>(package.events.size());
    const PushOutcome outcome = co_await pusher_.send("", std::move(package.events), std::move(settle));
    const auto now = Clock::now();
    account(package, events, outcome, accepted, failed, now);
    if (!retry.empty()) {
      ++packages_.retrying;
      spawn(requeue_later({std::move(retry), package.intended, package.attempt + 1},
                          now + milliseconds(200 << package.attempt)));
    }
  }

  // A retry waits in its own coroutine, so the connection serves other packages meanwhile.
  asio::awaitable<void> requeue_later(Package package, Clock::time_point when) {
    co_await sleep_until(when);
    --packages_.retrying;
    packages_.due.push_front(std::move(package));
    packages_.wake();
  }

  // `n`: the package's events (moved into the pusher by now).
  void account(const Package& package, std::int64_t n, const PushOutcome& outcome, std::int64_t accepted,
               std::int64_t failed, Clock::time_point now) {
    const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(now - package.intended);
    const auto second =
        static_cast<std::size_t>(std::chrono::duration_cast<std::chrono::seconds>(now - start_).count());
    if (report_.timeline.size() <= second) report_.timeline.resize(second + 1);
    auto& s = report_.timeline[second];
    // Per second as in the totals: events sent (first attempts), accepted (or duplicate), and given up
    // on (rejected or failed); events going back for a retry are neither yet.
    if (package.attempt == 0) s.sent += n;
    s.accepted += accepted;
    s.errors += failed + outcome.rejected;
    s.latency.record(latency);
    report_.latencies.corrected.record(latency);
    for (const auto service_time : outcome.request_latencies)
      report_.latencies.service_time.record(service_time);
    if (package.attempt > 0) {  // a retry: counted when sent again, in events and in requests
      s.retried_events += n;
      s.retry_requests += outcome.requests;
      report_.retries.events += n;
      report_.retries.requests += outcome.requests;
    }
    if (package.attempt == 0) {
      report_.sent.events += n;
      ++report_.sent.packages;
    }
    report_.sent.requests += outcome.requests;
    report_.results.accepted += outcome.accepted;
    report_.results.duplicates += outcome.duplicates;
    report_.results.rejected += outcome.rejected;
    report_.results.failed += failed;
    if ((failed > 0 || outcome.rejected > 0) && !outcome.problem.empty()) note_error(outcome.problem);
    const auto status = outcome.last_status ? std::to_string(outcome.last_status) : "none";
    report_.status_codes[status] += outcome.requests;
    s.status_codes[status] += outcome.requests;
    for (const auto& system : outcome.unregistered_systems)
      note_error(
          fmt::format("Cloud ALM's Landscape Management does not know system {} "
                      "(MSG_SLIS_NOT_FOUND_IN_LMS): register it first, `ato-bridge register --config "
                      "{} --system {} --role development`, and `ato-bridge unregister` it after the test",
                      system, options_.config_file, system));
  }

  void note_error(const std::string& reason) {
    if (report_.first_errors.size() < 5 && std::find(report_.first_errors.begin(), report_.first_errors.end(),
                                                     reason) == report_.first_errors.end())
      report_.first_errors.push_back(reason);
  }

  asio::awaitable<void> progress() {
    while (!packages_.finished()) {
      co_await sleep_until(Clock::now() + std::chrono::seconds(1));
      const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
      const auto line =
          fmt::format("sent {}, accepted {}, errors {}, {:.0f} events/s, p99 {:.1f} ms", report_.sent.events,
                      report_.results.accepted + report_.results.duplicates,
                      report_.results.rejected + report_.results.failed,
                      static_cast<double>(report_.sent.events) / seconds,
                      static_cast<double>(report_.latencies.corrected.quantile(0.99).count()) / 1000.0);
      progress_.out << (progress_.tty ? "\r" + line + "   " : line + "\n") << std::flush;
    }
    if (progress_.tty) progress_.out << "\n";
  }

  const LoadtestOptions& options_;
  const BridgeConfig& config_;
  ProgressLine progress_;
  asio::io_context context_;
  net::HttpClient client_;
  TokenCache tokens_;
  Pusher pusher_;
  EventSupply supply_;
  LoadtestReport report_;
  PackageQueue packages_;
  std::int64_t total_events_ = 0, dispatched_ = 0;
  Clock::time_point start_, finished_{};
  std::exception_ptr failure_;
};

bool known_report_kinds(const std::vector<std::string>& reports, std::string_view command,
                        std::ostream& err) {
  for (const auto& path : reports)
    if (!path.ends_with(".json") && !path.ends_with(".html") && !path.ends_with(".htm")) {
      err << "ato-bridge " << command << ": --report " << path
          << ": unknown kind of report; name it FILE.json (every figure) or FILE.html (charts)\n";
      return false;
    }
  return true;
}

// The summary, the report files, and an exit code that tells the truth: every event accepted, and
// the target rate held.
int report_and_judge(const LoadtestReport& report, const std::vector<std::string>& reports,
                     std::ostream& out) {
  out << summary_text(report);
  for (const auto& path : reports) {
    const bool html = path.ends_with(".html") || path.ends_with(".htm");
    write_file_atomically(path, html ? report_html(report) : report_json(report) + "\n", 0644,
                          Overwrite::Yes);
    out << "  report        " << path << "\n";
  }
  bool ok = true;
  if (const auto not_accepted = report.results.rejected + report.results.failed; not_accepted > 0) {
    out << fmt::format("FAILED: {} of {} events were not accepted ({} rejected, {} failed)\n", not_accepted,
                       report.sent.events, report.results.rejected, report.results.failed);
    ok = false;
  }
  if (report.rate_held() == false) {
    out << fmt::format("FAILED: the target rate of {:.0f} events/s was not held ({:.0f} achieved)\n",
                       *report.settings.rate, report.events_per_s());
    ok = false;
  }
  return ok ? kExitOk : kExitFailure;
}

}  // namespace

int run_loadtest_merge(const std::vector<std::string>& inputs, const std::vector<std::string>& reports,
                       std::ostream& out, std::ostream& err) {
  if (!known_report_kinds(reports, "loadtest merge", err)) return kExitUsage;
  std::vector<LoadtestReport> shards;
  for (const auto& path : inputs) {
    try {
      shards.push_back(read_loadtest_report(read_text_file(path, std::size_t{1} << 30)));
    } catch (const std::exception& e) {
      err << "ato-bridge loadtest merge: " << path << ": " << e.what() << "\n";
      return kExitUsage;
    }
  }
  LoadtestReport merged;
  try {
    merged = merge_loadtest_reports(shards);
  } catch (const std::invalid_argument& e) {
    err << "ato-bridge loadtest merge: " << e.what() << "\n";
    return kExitUsage;
  }
  try {
    return report_and_judge(merged, reports, out);
  } catch (const std::exception& e) {
    err << "ato-bridge loadtest merge: error: " << e.what() << "\n";
    return kExitFailure;
  }
}

int run_loadtest(LoadtestOptions o, std::ostream& out, std::ostream& err) {
  try {
    const BridgeConfig config = load_config_without_secrets(o.config_file);
    if (!is_loopback(config.cloud_alm.host)) {
      if (!o.allow_remote) {
        err << "ato-bridge loadtest: refusing to load-test " << config.cloud_alm.host
            << ": it is not on this machine, and a load test pushes synthetic events into that tenant. Add "
               "--allow-remote if that is what you want.\n";
        return kExitUsage;
      }
      err << "ato-bridge loadtest: WARNING: pushing synthetic events into the Cloud ALM tenant "
          << config.cloud_alm.host << " (--allow-remote)\n";
    }
    if (!known_report_kinds(o.reports, "loadtest", err)) return kExitUsage;
    if (auto problem = synthetic_system_problem(o.system, config)) {
      err << "ato-bridge loadtest: --system " << o.system << ": " << *problem << "\n";
      return kExitUsage;
    }
    if (o.package_size <= 0) o.package_size = config.tenants.front().export_service.package_size;
    if (o.connections <= 0) o.connections = config.push.connections;
    Runner runner(o, config, err);
    const int code = report_and_judge(runner.run(), o.reports, out);
    if (!o.from) out << left_behind(o.system);
    return code;
  } catch (const std::exception& e) {
    err << "ato-bridge loadtest: error: " << redact(e.what()) << "\n";
    return kExitFailure;
  }
}

}  // namespace ato::bridge
