// The bridge end to end: the real ato-bridge between the real ato-sim's fake ATO and fake Cloud
// ALM, on 127.0.0.1 with TLS verified against the simulator's CA. Each test checks what reached
// the receiver (the simulator's journal and counters) against what the landscape produced.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "core/wire.hpp"
#include "tests/support/bridge_process.hpp"
#include "tests/support/sim_queries.hpp"

using namespace ato;
using namespace ato::test;
using namespace std::chrono_literals;

namespace {

// A landscape of `transports` whose lifecycles run `time_scale` times faster than real time.
std::vector<std::string> landscape(int transports, const std::string& time_scale = "200000",
                                   std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {
      "--generate-count", std::to_string(transports), "--time-scale", time_scale, "--seed", "7",
      "--start-time",     "2026-11-20T08:00:00Z"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// Every produced event was accepted exactly once (the journal holds accepted events only; a re-sent
// one is answered `duplicate` and not journaled again).
void check_exactly_once(const std::vector<AtoEvent>& produced, const std::vector<AtoEvent>& accepted) {
  std::map<std::string, int> seen;
  for (const auto& e : accepted) ++seen[e.event_id];
  for (const auto& [id, n] : seen) CHECK_MESSAGE(n == 1, id << " accepted " << n << " times");
  std::set<std::string> produced_ids;
  for (const auto& e : produced) produced_ids.insert(e.event_id);
  for (const auto& id : produced_ids) CHECK_MESSAGE(seen.count(id) == 1, id << " never accepted");
  CHECK(accepted.size() == produced.size());
}

// Every transport shows the status of what happened last to it, whatever order its tenants' events
// arrived in (schema/README.md, "Tenants, and order without a shared sequence").
void check_statuses(SimProcess& sim) {
  const auto expected = expected_statuses(landscape_history(sim));
  const auto shown = shown_statuses(sim);
  CHECK(shown.size() == expected.size());
  for (const auto& [id, status] : expected) {
    CAPTURE(id);
    CHECK(shown.count(id) == 1);
    if (shown.count(id)) CHECK(shown.at(id) == status);
  }
}

// The outbox's totals per state, from `ato-bridge status --json`.
std::map<std::string, std::int64_t> outbox_states(BridgeProcess& bridge) {
  const auto r = bridge.cli({"status", "--json"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  simdjson::dom::parser parser;
  const auto root = parser.parse(r.out).value();
  std::map<std::string, std::int64_t> out;
  for (auto [key, value] : simdjson::dom::object(root["outbox"]["states"]))
    out[std::string(key)] = int64_t(value);
  return out;
}

void check_no_secrets(const std::string& log, SimProcess& sim) {
  CHECK(log.find(sim.client_secret()) == std::string::npos);
  CHECK(log.find(sim.ato_password()) == std::string::npos);
  CHECK(log.find("eyJ") == std::string::npos);  // no JWT (tokens start with a base64 '{"')
}

std::string promtool_path() {
  const std::filesystem::path local = std::filesystem::path(ATO_TOOLS_DIR) / "promtool";
  return std::filesystem::exists(local) ? local.string() : "promtool";  // else from PATH
}

// Prometheus's own linter on a live exposition: format, HELP and TYPE, counter and unit naming.
void check_with_promtool(const std::string& metrics) {
  TempDir dir;
  { std::ofstream(dir / "metrics.txt") << metrics; }
  const auto r = run_process({"/bin/sh", "-c", "exec \"$0\" check metrics < \"$1\"", promtool_path(),
                              (dir / "metrics.txt").string()});
  CHECK_MESSAGE(r.exit_code == 0, "promtool check metrics (scripts/setup --with-test-tools fetches it):\n",
                r.out, r.err);
}

// Every ato_bridge_* and process_* series that the alert rules and the dashboard query is one the
// bridge exposes: a renamed metric must take its alerts and panels along.
void check_deploy_files_query_live_metrics(const std::string& metrics) {
  for (const char* file :
       {"deploy/prometheus/ato-bridge-alerts.yaml", "deploy/grafana/ato-bridge-dashboard.json"}) {
    std::ifstream in(std::filesystem::path(ATO_SOURCE_DIR) / file);
    REQUIRE_MESSAGE(in, std::string(file));
    std::stringstream text;
    text << in.rdbuf();
    const std::string content = text.str();
    const std::regex name(R"(\b(ato_bridge_[a-z_]+|process_[a-z_]+)\b)");
    int names = 0;
    for (std::sregex_iterator it(content.begin(), content.end(), name), end; it != end; ++it, ++names) {
      const std::string metric = (*it)[1];
      const bool exposed = metrics.find("\n" + metric + "{") != std::string::npos ||
                           metrics.find("\n" + metric + " ") != std::string::npos;
      CHECK_MESSAGE(exposed, std::string(file), " queries ", metric, ", which /metrics does not have");
    }
    CHECK(names > 5);
  }
}

// What systemd's end of NOTIFY_SOCKET sees: a datagram socket the service sends its state to.
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(path.string().size() < sizeof(address.sun_path));
    std::strcpy(address.sun_path, path.c_str());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  }
  ~NotifySocket() { ::close(fd_); }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // The next message, or "" when none comes within `limit`.
  std::string receive(std::chrono::milliseconds limit) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) != 1) return "";
    char buffer[4096];
    const auto n = ::recv(fd_, buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

void stop_cleanly(BridgeProcess& bridge) {
  const auto started = std::chrono::steady_clock::now();
  bridge.kill(SIGTERM);
  const auto r = bridge.wait(10s);
  CHECK(r.exit_code == 0);
  CHECK(std::chrono::steady_clock::now() - started < 6s);
}

}  // namespace

TEST_CASE("every event of a generated landscape reaches Cloud ALM exactly once and in order") {
  SimProcess sim(landscape(40), "sim", true);
  BridgeProcess bridge(sim);
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return all_delivered(sim); }, 60s), bridge.log());
  const auto s = sim_stats(sim);
  CHECK(s.total.order_violations == 0);
  CHECK(s.total.events_rejected == 0);
  check_exactly_once(landscape_history(sim), accepted_journal(sim));
  check_statuses(sim);
  const auto states = outbox_states(bridge);
  CHECK(states.at("done") == static_cast<std::int64_t>(landscape_history(sim).size()));
  CHECK(states.at("dead") == 0);

  // The admin endpoint: health, readiness, status, metrics.
  CHECK(bridge.admin("/healthz").status == 200);
  CHECK(bridge.admin("/readyz").status == 200);
  const auto metrics = bridge.admin("/metrics").body;
  CHECK(metrics.find(
            "ato_bridge_events_pushed_total{tenant=\"S4D~080\",service=\"export\",result=\"accepted\"}") !=
        std::string::npos);
  CHECK(metrics.find("ato_bridge_push_latency_seconds_bucket{le=\"+Inf\"}") != std::string::npos);
  CHECK(metrics.find("ato_bridge_outbox_events{tenant=\"S4T~100\",service=\"import\",state=\"done\"}") !=
        std::string::npos);
  CHECK(metrics.find("ato_bridge_build_info{version=\"") != std::string::npos);
  CHECK(metrics.find("\nprocess_resident_memory_bytes ") != std::string::npos);
  CHECK(metrics.find("ato_bridge_feed_poll_seconds_count{tenant=\"S4T~100\",service=\"import\"}") !=
        std::string::npos);
  check_with_promtool(metrics);
  check_deploy_files_query_live_metrics(metrics);
  CHECK(bridge.admin("/tick/export", "POST").status == 202);
  CHECK(bridge.admin("/tick/nonsense", "POST").status == 404);
  const auto status = bridge.cli({"status"});
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("ato-bridge running") != std::string::npos);

  stop_cleanly(bridge);
  check_no_secrets(bridge.log(), sim);
  // Stopped: status reads the outbox alone.
  const auto offline = bridge.cli({"status"});
  CHECK(offline.out.find("not running") != std::string::npos);
}

TEST_CASE("under systemd: READY=1 once serving, STOPPING=1 at SIGTERM, each log line with its priority") {
  SimProcess sim(landscape(5), "sim", true);
  TempDir dir;  // a short path: a socket's name has at most 107 bytes
  NotifySocket notify(dir / "notify");
  BridgeProcess bridge(sim);
  bridge.set_run_env("NOTIFY_SOCKET", (dir / "notify").string());
  // systemd names the journal stream it connected to stderr (device:inode); here it is the log file.
  { std::ofstream create(bridge.log_file()); }
  struct stat log_file {};
  REQUIRE(::stat(bridge.log_file().c_str(), &log_file) == 0);
  bridge.set_run_env("JOURNAL_STREAM",
                     std::to_string(log_file.st_dev) + ":" + std::to_string(log_file.st_ino));
  bridge.start();

  const std::string ready = notify.receive(20s);
  CHECK_MESSAGE(ready.find("READY=1") != std::string::npos, ready);
  CHECK_MESSAGE(ready.find("STATUS=") != std::string::npos, ready);
  CHECK(bridge.admin("/healthz").status == 200);  // ready means serving
  bridge.kill(SIGTERM);
  const std::string stopping = notify.receive(10s);
  CHECK_MESSAGE(stopping.find("STOPPING=1") != std::string::npos, stopping);
  CHECK(bridge.wait(10s).exit_code == 0);

  // journald takes `<N>` off each line and keeps it as the entry's priority.
  const std::map<std::string, std::string> priority_of = {
      {"error", "<3>"}, {"warn", "<4>"}, {"info", "<6>"}, {"debug", "<7>"}};
  std::istringstream lines(bridge.log());
  int checked = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.starts_with("ato-bridge register") ||
        line.find(" [bridge] ") == std::string::npos)
      continue;  // only the running bridge's own log lines (the file also holds `register`'s output)
    std::istringstream words(line);
    std::string stamp, level;
    words >> stamp >> level;
    REQUIRE_MESSAGE(priority_of.count(level), line);
    CHECK_MESSAGE(stamp.starts_with(priority_of.at(level)), line);
    ++checked;
  }
  CHECK(checked >= 3);  // starting, stopping, stopped at least
}

TEST_CASE("three services page through a backlog at once without mixing up their pages") {
  // ~14,000 events, several feed pages per service, all collected concurrently from the first run.
  // A feed client that remembered "the service of the last request" once handed one service's
  // next page to another's check, and the run failed.
  SimProcess sim(landscape(1500, "1000000000"), "sim", true);
  BridgeProcess bridge(sim);
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return all_delivered(sim); }, 60s), bridge.log());
  CHECK_MESSAGE(bridge.log().find("run failed") == std::string::npos, bridge.log());
  check_exactly_once(landscape_history(sim), accepted_journal(sim));
  CHECK(sim_stats(sim).total.order_violations == 0);
  // Twice as many push workers as connections, yet no more connections than configured: a backlog
  // keeps every worker busy, but at most push.connections pushes run at once, on connections kept
  // alive and reused (one more may carry the token fetch).
  const std::string opened_metric = "\nato_bridge_cloud_alm_connections_opened_total ";
  const auto metrics = bridge.admin("/metrics").body;
  const auto opened_at = metrics.find(opened_metric);
  REQUIRE(opened_at != std::string::npos);
  const double opened = std::stod(metrics.substr(opened_at + opened_metric.size()));
  CAPTURE(opened);
  CHECK(opened >= 1);
  CHECK(opened <= BridgeOptions{}.connections + 1);
  stop_cleanly(bridge);
}

TEST_CASE("with faults on every endpoint, nothing is lost, duplicated or reordered") {
  SimProcess sim(
      landscape(30, "200000",
                {"--faults",
                 "push.*:status=503@20%;push.*:throttle=429/1@5%;push.*:reset@3%;push.*:latency=0ms..20ms;"
                 "token:revoke-every=2s;ato.feed:status=503@10%;ato.feed:upgrade-window=500ms..1500ms"}));
  BridgeProcess bridge(sim);
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return all_delivered(sim); }, 90s), bridge.log());
  const auto s = sim_stats(sim);
  CHECK(s.total.faults_injected > 0);
  CHECK(s.tokens_issued > 1);  // revoked tokens were replaced
  CHECK(s.total.order_violations == 0);
  check_exactly_once(landscape_history(sim), accepted_journal(sim));
  check_statuses(sim);
  CHECK(outbox_states(bridge).at("dead") == 0);
  stop_cleanly(bridge);
  check_no_secrets(bridge.log(), sim);
}

TEST_CASE("SIGKILL at random moments, ten times: nothing lost, nothing accepted twice, order kept") {
  SimProcess sim(landscape(60, "20000", {"--faults", "push.*:status=503@10%;push.*:latency=10ms..60ms"}),
                 "sim", true);
  BridgeProcess bridge(sim, {.package_size = 10, .connections = 3});
  std::mt19937 random(11);
  for (int kill = 0; kill < 10; ++kill) {
    bridge.start();
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(100, 500)(random)));
    bridge.kill(SIGKILL);
    CHECK(bridge.wait().signal == SIGKILL);
  }
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return all_delivered(sim); }, 90s), bridge.log());
  const auto s = sim_stats(sim);
  CHECK(s.total.order_violations == 0);  // no tenant's events of a transport went out of its order
  check_exactly_once(landscape_history(sim), accepted_journal(sim));
  check_statuses(sim);
  stop_cleanly(bridge);
  MESSAGE("duplicates the receiver absorbed after the kills: " << s.total.events_duplicate);
}

TEST_CASE("an inactive service collects nothing; a first run skips history unless --backfill") {
  SimProcess sim(landscape(8, "3000000"), "sim", true);
  REQUIRE(eventually([&] { return generator_done(sim); }, 20s));
  const auto produced = landscape_history(sim);

  BridgeProcess fresh(sim, {.active = {{"import", false}}, .backfill = false}, "no-history");
  fresh.start();
  // Each tenant starts at its own feed's head; an inactive service has no cursor.
  std::map<std::string, std::int64_t> heads;
  for (const auto& e : produced) heads[e.source.key()] = std::max(heads[e.source.key()], e.sequence);
  const auto cursors = [&] {
    std::map<std::string, std::string> out;  // "tenant service" -> cursor or "null"
    const auto r = fresh.cli({"status", "--json"});
    if (r.exit_code != 0) return out;
    simdjson::dom::parser parser;
    for (auto job : simdjson::dom::array(parser.parse(r.out).value()["services"])) {
      if (job["tenant"].is_null()) continue;
      const auto cursor = job["cursor"];
      out[std::string(std::string_view(job["tenant"])) + " " + std::string(std::string_view(job["name"]))] =
          cursor.is_int64() ? std::to_string(int64_t(cursor)) : "null";
    }
    return out;
  };
  REQUIRE_MESSAGE(eventually(
                      [&] {
                        const auto now = cursors();
                        for (const auto& tenant : sim.tenants())
                          if (now.count(tenant.name + " status_change") == 0 ||
                              now.at(tenant.name + " status_change") != std::to_string(heads[tenant.name]))
                            return false;
                        return true;
                      },
                      20s),
                  fresh.log());
  for (const auto& tenant : sim.tenants()) CHECK(cursors().at(tenant.name + " import") == "null");
  const auto status = fresh.cli({"status", "--json"}).out;
  CHECK(status.find("inactive") != std::string::npos);
  CHECK(fresh.log().find("first run: starting at the feed's head") != std::string::npos);
  std::this_thread::sleep_for(1500ms);
  CHECK(sim_stats(sim).total.packages_received == 0);  // history skipped: nothing sent
  fresh.kill(SIGTERM);
  fresh.wait();

  BridgeProcess backfill(sim, {.active = {{"import", false}}, .backfill = false}, "backfill");
  backfill.start({"--backfill"});
  std::int64_t expected = 0;
  for (const auto& e : produced) expected += e.service != Service::Import;
  REQUIRE_MESSAGE(eventually([&] { return sim_stats(sim).total.events_accepted == expected; }, 30s),
                  backfill.log());
  const auto s = sim_stats(sim);
  CHECK((s.per_service.count(Service::Import) == 0 ||
         s.per_service.at(Service::Import).packages_received == 0));
  CHECK(s.total.order_violations == 0);
  stop_cleanly(backfill);
}

TEST_CASE("a service behind the others catches up at once instead of waiting for its next poll") {
  // Events keep arriving while the three services' first polls read a backlog of different sizes,
  // so the polls end at different heads; with an hourly schedule only a catch-up can bring the
  // lagging ones to the highest cursor (the low watermark).
  SimProcess sim({"--generate-rate", "4", "--time-scale", "3600", "--seed", "7"}, "sim", true);
  REQUIRE(eventually([&] { return landscape_history(sim).size() > 3000; }, 20s));
  BridgeProcess bridge(sim, {.run_every = "1h"}, "bridge");
  bridge.start();
  // Per tenant: its three services' cursors (the low watermark is each tenant's own).
  std::map<std::string, std::map<std::string, std::int64_t>> cursors;
  const bool equal = eventually(
      [&] {
        const auto r = bridge.cli({"status", "--json"});
        if (r.exit_code != 0) return false;
        simdjson::dom::parser parser;
        const auto root = parser.parse(r.out).value();
        cursors.clear();
        for (auto service : simdjson::dom::array(root["services"])) {
          const auto cursor = service["cursor"];
          if (cursor.is_int64())
            cursors[std::string(std::string_view(service["tenant"]))]
                   [std::string(std::string_view(service["name"]))] = int64_t(cursor);
        }
        // A tenant whose feed has had no event yet (production: its first collection import comes
        // weekly) has no cursor in any service; one that has events has the same in all three.
        if (!cursors.count("S4D~080") || !cursors.count("S4D~100") || !cursors.count("S4T~100")) return false;
        for (auto& [tenant, of] : cursors)
          if (of.size() != 3 || of["export"] != of["import"] || of["import"] != of["status_change"])
            return false;
        return true;
      },
      15s);
  std::string seen;  // said on failure: which tenant's services were apart
  for (auto& [tenant, of] : cursors)
    seen += fmt::format("{}: export {}, import {}, status_change {}\n", tenant, of["export"], of["import"],
                        of["status_change"]);
  CHECK_MESSAGE(equal, (seen + bridge.log()));
  CHECK(cursors["S4T~100"]["import"] > 0);
  // Said where an operator looks: the polls between slots are counted.
  const auto status = bridge.cli({"status", "--json"}).out;
  CHECK(status.find("\"catch_up_polls\":0,") != std::string::npos);  // the leader never catches up
  std::int64_t catch_ups = 0;
  {
    simdjson::dom::parser parser;
    for (auto service : simdjson::dom::array(parser.parse(status).value()["services"]))
      if (auto polls = service["catch_up_polls"]; polls.is_int64()) catch_ups += int64_t(polls);
  }
  CHECK(catch_ups >= 1);
  const auto metrics = bridge.admin("/metrics");
  CHECK(metrics.body.find("ato_bridge_catch_up_polls_total{tenant=\"S4T~100\",service=") !=
        std::string::npos);
  stop_cleanly(bridge);
}

TEST_CASE("403 (missing scope) pauses pushing without losing or dead-lettering, and it resumes when fixed") {
  SimProcess sim(landscape(10, "3000000", {"--faults", "push.*:status=403"}), "sim", true);
  BridgeProcess bridge(sim);
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return bridge.admin("/readyz").status == 503; }, 20s), bridge.log());
  CHECK(bridge.admin("/readyz").body.find("403") != std::string::npos);
  CHECK(bridge.cli({"status"}).out.find("pushing paused") != std::string::npos);
  REQUIRE(eventually([&] { return generator_done(sim); }, 20s));
  std::this_thread::sleep_for(1500ms);  // a few retry runs probe and stay paused
  auto states = outbox_states(bridge);
  CHECK(states.at("dead") == 0);
  CHECK(states.at("done") == 0);
  // Every event waits; a retry run's probe package may be on the wire (in flight) just then.
  CHECK(states.at("pending") + states.at("retryable") + states.at("in_flight") ==
        static_cast<std::int64_t>(landscape_history(sim).size()));
  CHECK(bridge.log().find("pushing paused") != std::string::npos);

  CHECK(sim.call({.method = "POST", .path = "/sim/faults", .body = " "}).status == 200);  // scope assigned
  REQUIRE_MESSAGE(eventually([&] { return all_delivered(sim); }, 30s), bridge.log());
  CHECK(bridge.admin("/readyz").status == 200);
  CHECK(outbox_states(bridge).at("dead") == 0);
  check_exactly_once(landscape_history(sim), accepted_journal(sim));
  CHECK(bridge.log().find("pushing resumed") != std::string::npos);
  stop_cleanly(bridge);
}

TEST_CASE("check reports a wrong client secret, a wrong CA and a wrong host name clearly") {
  SimProcess sim(landscape(2), "sim", true);
  BridgeProcess good(sim, {}, "good");
  REQUIRE(good.cli({"register"}).exit_code == 0);
  const auto ok = good.cli({"check"});
  CHECK_MESSAGE(ok.exit_code == 0, ok.out);
  CHECK(ok.out.find("OK    Cloud ALM token") != std::string::npos);
  CHECK(ok.out.find("imp-cdm-feature-manage-ui") != std::string::npos);
  for (const auto& tenant : sim.tenants())
    CHECK(ok.out.find("OK    tenant " + tenant.name + ": ATO feed") != std::string::npos);

  BridgeProcess secret(sim, {.client_secret = "not-the-secret-at-all"}, "secret");
  const auto bad_secret = secret.cli({"check"});
  CHECK(bad_secret.exit_code == 1);
  CHECK(bad_secret.out.find("FAIL  Cloud ALM token") != std::string::npos);
  CHECK(bad_secret.out.find("invalid_client") != std::string::npos);
  CHECK(bad_secret.out.find("not-the-secret-at-all") == std::string::npos);

  SimProcess other(landscape(1), "other-sim");
  BridgeProcess wrong_ca(sim, {.ca_file = other.ca_file(), .register_first = false}, "wrong-ca");
  const auto bad_ca = wrong_ca.cli({"check"});
  CHECK(bad_ca.exit_code == 1);
  CHECK_MESSAGE(bad_ca.out.find("not signed by a trusted CA") != std::string::npos, bad_ca.out);

  // A certificate for another name, trusted as a CA: the host name check alone must refuse it.
  TempDir tls;
  const auto cert = (tls / "cert.pem").string(), key = (tls / "key.pem").string();
  const auto made =
      run_process({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=wrong.example", "-addext",
                   "subjectAltName=DNS:wrong.example", "-days", "1", "-keyout", key, "-out", cert});
  REQUIRE_MESSAGE(made.exit_code == 0, made.err);
  SimProcess misnamed({"--only", "alm", "--tls-cert", cert, "--tls-key", key}, "misnamed");
  // Same fake ATO (from `sim`), Cloud ALM from `misnamed`: point the bridge at the latter's host.
  BridgeProcess wrong_host(
      sim, {.ca_file = cert, .alm_host = misnamed.url(), .token_endpoint = misnamed.url() + "/oauth/token"},
      "wrong-host");
  const auto bad_host = wrong_host.cli({"check"});
  CHECK(bad_host.exit_code == 1);
  CHECK_MESSAGE(bad_host.out.find("not issued for this host name") != std::string::npos, bad_host.out);

  // A running bridge with the wrong CA says so in its log and delivers nothing.
  wrong_ca.start();
  CHECK(eventually([&] { return wrong_ca.log().find("not signed by a trusted CA") != std::string::npos; },
                   20s));
  stop_cleanly(wrong_ca);
  for (const auto* log : {&ok.out, &bad_secret.out, &bad_ca.out, &bad_host.out}) check_no_secrets(*log, sim);
}

TEST_CASE("SIGTERM while packages are in flight: they go back to the outbox without spending an attempt") {
  SimProcess sim(landscape(6, "3000000", {"--faults", "push.*:latency=20s"}));
  BridgeProcess bridge(sim, {.timeout = "60s"});
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return outbox_states(bridge).at("in_flight") > 0; }, 20s), bridge.log());
  const auto started = std::chrono::steady_clock::now();
  bridge.kill(SIGTERM);
  CHECK(bridge.wait(10s).exit_code == 0);
  CHECK(std::chrono::steady_clock::now() - started < 6s);  // 3 s of grace, then released
  const auto states = outbox_states(bridge);
  CHECK(states.at("in_flight") == 0);
  CHECK(states.at("retryable") == 0);  // released, not failed: no attempt spent
  CHECK(states.at("dead") == 0);
  CHECK(states.at("pending") > 0);
}

TEST_CASE("SIGTERM with slow pushes: only what is on the wire finishes, the stop keeps its 3 s bound") {
  // Every push takes 5 s; four workers share two connections, so two packages wait for a connection
  // while two are on the wire. No package may go on the wire once the bridge stops: those waiting
  // went out as the cancelled ones gave their connections back, and took 5 s more (exit: 8.2 s).
  SimProcess sim(landscape(40, "3000000", {"--faults", "push.*:latency=5s"}));
  BridgeProcess bridge(sim, {.package_size = 5, .connections = 2, .timeout = "30s"});
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return outbox_states(bridge).at("in_flight") >= 10; }, 20s), bridge.log());
  const auto started = std::chrono::steady_clock::now();
  bridge.kill(SIGTERM);
  CHECK(bridge.wait(15s).exit_code == 0);
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK_MESSAGE(took < 4s, "stopping took "
                               << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                               << " ms");
  const auto states = outbox_states(bridge);
  CHECK(states.at("in_flight") == 0);
  CHECK(states.at("retryable") == 0);
  CHECK(states.at("dead") == 0);
  CHECK(bridge.log().find("nothing was in flight") != std::string::npos);
}

TEST_CASE("a second SIGTERM stops at once and says what was still in flight") {
  SimProcess sim(landscape(6, "3000000", {"--faults", "push.*:latency=20s"}));
  BridgeProcess bridge(sim, {.timeout = "60s"});
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return outbox_states(bridge).at("in_flight") > 0; }, 20s), bridge.log());
  bridge.kill(SIGTERM);
  std::this_thread::sleep_for(300ms);
  const auto second = std::chrono::steady_clock::now();
  bridge.kill(SIGTERM);
  CHECK(bridge.wait(10s).exit_code == 0);
  CHECK(std::chrono::steady_clock::now() - second < 2500ms);  // not the 3 s grace, not the 20 s pushes
  // The last line tells the truth about what is left in flight (here: the cancelled pushes went back).
  const auto in_flight = outbox_states(bridge).at("in_flight");
  // Pushes were on the wire at the second signal (REQUIRE above): never "nothing was in flight".
  CHECK(bridge.log().find("nothing was in flight") == std::string::npos);
  if (in_flight == 0)
    CHECK(bridge.log().find("were cancelled by the second signal; those events went back to the outbox") !=
          std::string::npos);
  else
    CHECK(bridge.log().find("and " + std::to_string(in_flight) +
                            " events that were in flight whose answers") != std::string::npos);
  CHECK(outbox_states(bridge).at("retryable") == 0);  // no attempt spent
}

TEST_CASE("413: a package larger than Cloud ALM takes is split, and everything arrives") {
  SimProcess sim(landscape(12, "3000000", {"--max-package-size", "3"}));
  BridgeProcess bridge(sim, {.package_size = 20});
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return all_delivered(sim); }, 30s), bridge.log());
  CHECK(sim_stats(sim).total.order_violations == 0);
  check_exactly_once(landscape_history(sim), accepted_journal(sim));
  CHECK(outbox_states(bridge).at("dead") == 0);
  CHECK(bridge.log().find("sending it in halves") != std::string::npos);
  stop_cleanly(bridge);
}
