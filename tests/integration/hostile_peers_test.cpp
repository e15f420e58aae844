// The real ato-bridge against peers that lie or break: a feed whose nextLink leaves its origin,
// loops or never ends, a head the feed cannot back, a feed that was reset, a token endpoint that
// gives no token, and a Cloud ALM that redirects. Each peer is a scripted HTTP server on 127.0.0.1
// (tests/support/hostile_peer.hpp) that records what reached it. Every wait is bounded.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <csignal>
#include <map>
#include <mutex>
#include <sstream>

#include "core/net/http.hpp"
#include "core/wire.hpp"
#include "tests/support/bridge_process.hpp"
#include "tests/support/hostile_peer.hpp"

using namespace ato;
using namespace ato::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kFeedPath = "/feed/Events";
constexpr const char* kPassword = "hostile-test-Password-77";

std::string event_json(std::int64_t sequence, const std::string& id_prefix = "0b7e7d2c") {
  return fmt::format(
      R"({{"eventId":"{}-3c1e-4f55-9f1a-{:012d}","service":"EXPORT","sequence":{},)"
      R"("occurredAt":"2026-11-20T09:14:02.512Z","source":{{"sid":"S4D","client":"080"}},)"
      R"("transportId":"S4DK9{:05d}","kind":"WORKBENCH","title":"change {}","owner":"CB9980000123",)"
      R"("releasedAt":"2026-11-20T09:14:01.000Z"}})",
      id_prefix, sequence, sequence, sequence, sequence);
}

std::string page_json(const std::vector<std::string>& events, std::int64_t head,
                      const std::optional<std::string>& next_link = {}) {
  std::string out =
      fmt::format(R"({{"@odata.context":"$metadata#Events","@ato.headSequence":{},"value":[)", head);
  for (std::size_t i = 0; i < events.size(); ++i) out += (i ? "," : "") + events[i];
  out += "]";
  if (next_link) out += R"(,"@odata.nextLink":")" + *next_link + "\"";
  return out + "}";
}

// `sequence gt N` of a feed query's $filter (0 when absent).
std::int64_t after_of(const net::HttpRequest& request) {
  const auto filter = net::form_value(request.query, "$filter").value_or("");
  const auto at = filter.find("sequence gt ");
  return at == std::string::npos ? 0 : std::stoll(filter.substr(at + 12));
}

// A well-behaved feed of `last` export events with head `head`: pages follow the filter.
net::HttpResponse honest_feed(const net::HttpRequest& request, std::int64_t last, std::int64_t head,
                              const std::string& id_prefix = "0b7e7d2c") {
  std::vector<std::string> events;
  for (std::int64_t s = after_of(request) + 1; s <= last; ++s) events.push_back(event_json(s, id_prefix));
  return net::HttpResponse::json(200, page_json(events, head));
}

net::HttpResponse token_answer() {
  return net::HttpResponse::json(
      200, R"({"access_token":"hostile-peer-token-0123456789","token_type":"bearer","expires_in":3600,)"
           R"("scope":"calm.push","jti":"j1"})");
}

// Cloud ALM accepting every event of a package.
net::HttpResponse accept_all(const net::HttpRequest& request) {
  const auto package = parse_push_package(request.body);
  std::string results;
  for (const auto& e : package.events)
    results +=
        (results.empty() ? "" : ",") + fmt::format(R"({{"eventId":"{}","result":"accepted"}})", e.event_id);
  return net::HttpResponse::json(
      200, R"({"packageId":")" + package.package_id + R"(","results":[)" + results + "]}");
}

// Cloud ALM accepting every event, counting the events pushed.
std::function<net::HttpResponse(const net::HttpRequest&)> counting_accept_all(std::atomic<int>& pushed) {
  return [&pushed](const net::HttpRequest& request) {
    pushed += static_cast<int>(parse_push_package(request.body).events.size());
    return accept_all(request);
  };
}

// One peer plays the ATO feed, the token endpoint and Cloud ALM; each part can be scripted anew.
class Peers {
 public:
  using Part = std::function<net::HttpResponse(const net::HttpRequest&)>;

  Peers()
      : peer_([this](const net::HttpRequest& request) {
          Part part;
          {
            std::lock_guard lock(mutex_);
            if (request.path == kFeedPath)
              part = feed_;
            else if (request.path == "/oauth/token")
              part = token_;
            else if (request.path.starts_with("/api/"))
              part = push_;
          }
          if (!part) return net::HttpResponse::json(404, R"({"error":{"code":"NOT_FOUND","message":"no"}})");
          return part(request);
        }) {}

  void feed(Part part) { set(feed_, std::move(part)); }
  void token(Part part) { set(token_, std::move(part)); }
  void push(Part part) { set(push_, std::move(part)); }
  HostilePeer& peer() { return peer_; }
  std::string url() const { return peer_.url(); }

 private:
  void set(Part& slot, Part part) {
    std::lock_guard lock(mutex_);
    slot = std::move(part);
  }
  std::mutex mutex_;
  Part feed_, push_;
  Part token_ = [](const net::HttpRequest&) { return token_answer(); };
  HostilePeer peer_;
};

struct Setup {
  bool backfill = true;
  int max_pages_per_run = 0;  // 0: the default
  std::string run_every = "1s";
  int connections = 2;
  int package_size = 100;
  std::string admin_token;     // set: admin.token_file names a file holding it
  bool json_log = false;       // "log": {"format": "json"}
  std::string timeout = "3s";  // push.timeout, which the feed client takes too
};

// A real `ato-bridge run` (export and retry jobs) against the peers, in a temporary directory.
class Bridge {
 public:
  Bridge(Peers& peers, Setup setup = {}) {
    write_text(
        dir_ / "key.json",
        fmt::format(R"({{"uaa":{{"clientid":"sb-hostile!b1","clientsecret":"hostile-Secret-0123456789",)"
                    R"("url":"{}"}},"endpoints":{{"Api":"{}/api"}}}})",
                    peers.url(), peers.url()));
    std::filesystem::permissions(dir_ / "key.json",
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    const std::string collect = setup.max_pages_per_run > 0
                                    ? fmt::format(R"({{"backfill":{},"max_pages_per_run":{}}})",
                                                  setup.backfill, setup.max_pages_per_run)
                                    : fmt::format(R"({{"backfill":{}}})", setup.backfill);
    write_text(config_, fmt::format(R"({{"cloud_alm":{{"service_key_file":"key.json"}},
  "ato":{{"feed_url":"{}{}","user":"CALM_COMM","password_env":"ATO_TEST_PASSWORD"}},
  "services":{{"export":{{"run_every":"{}","package_size":{}}},"import":{{"active":false}},"status_change":{{"active":false}},
              "retry":{{"run_every":"1s"}}}},
  "outbox":{{"path":"outbox.db"}},
  "retry_policy":{{"base":"100ms","cap":"1s"}},
  "push":{{"timeout":"{}","connections":{}}},
  "admin":{{"listen":"127.0.0.1:0"{}}},
  "log":{{"format":"{}"}},
  "collect":{}}})",
                                    peers.url(), kFeedPath, setup.run_every, setup.package_size,
                                    setup.timeout, setup.connections,
                                    setup.admin_token.empty() ? "" : R"(,"token_file":"admin-token")",
                                    setup.json_log ? "json" : "text", collect));
    if (!setup.admin_token.empty()) {
      write_text(dir_ / "admin-token", setup.admin_token + "\n");
      std::filesystem::permissions(dir_ / "admin-token",
                                   std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }
  }
  ~Bridge() {
    if (process_ && process_->running()) {
      process_->kill(SIGKILL);
      process_->wait();
    }
  }

  void start() {
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{ATO_BRIDGE_BIN, "run", "--config", config_.string()}, dir_ / "bridge.log",
        options());
    const bool up = eventually(
        [&] {
          REQUIRE_MESSAGE(process_->running(), "ato-bridge exited:\n" << log());
          const auto text = std::filesystem::exists(run_file()) ? read_text(run_file()) : "";
          const auto at = text.find("\"admin_url\":\"");
          if (at == std::string::npos || text.find(std::to_string(process_->pid())) == std::string::npos)
            return false;
          admin_ = text.substr(at + 13, text.find('"', at + 13) - at - 13);
          return true;
        },
        20s);
    REQUIRE_MESSAGE(up, "ato-bridge not up in 20 s:\n" << log());
  }
  void stop() {
    process_->kill(SIGTERM);
    CHECK(process_->wait(15s).exit_code == 0);
  }

  PlainResponse admin(const std::string& path) { return http_get(admin_ + path); }
  const std::string& admin_url() const { return admin_; }
  ProcessResult cli(std::vector<std::string> args) {
    std::vector<std::string> argv = {ATO_BRIDGE_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--config", config_.string()});
    return run_process(argv, options());
  }
  // The export cursor as `ato-bridge cursor show --json` prints it ("null" when there is none).
  std::string export_cursor() {
    const auto r = cli({"cursor", "show", "--json"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto at = r.out.find("\"export\":");
    REQUIRE(at != std::string::npos);
    return r.out.substr(at + 9, r.out.find_first_of(",}", at) - at - 9);
  }
  std::string log() const {
    return std::filesystem::exists(dir_ / "bridge.log") ? read_text(dir_ / "bridge.log") : "(no log)";
  }
  bool logged(const std::string& text, std::chrono::milliseconds within = 10s) {
    return eventually([&] { return log().find(text) != std::string::npos; }, within);
  }

 private:
  ProcessOptions options() const { return {.env = {{"ATO_TEST_PASSWORD", kPassword}}, .timeout = 30s}; }
  std::filesystem::path run_file() const { return dir_ / "outbox.db.run.json"; }

  TempDir dir_;
  std::filesystem::path config_ = dir_ / "bridge.json";
  std::unique_ptr<ChildProcess> process_;
  std::string admin_;
};

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a nextLink to another origin is refused: no request and no password reach it, the cursor stays") {
  HostilePeer elsewhere(
      [](const net::HttpRequest&) { return net::HttpResponse::json(200, page_json({}, 100)); });
  Peers peers;
  peers.push(accept_all);
  peers.feed([&](const net::HttpRequest&) {
    return net::HttpResponse::json(
        200, page_json({event_json(1), event_json(2)}, 100, elsewhere.url() + kFeedPath + "?$skiptoken=2"));
  });
  Bridge bridge(peers);
  bridge.start();
  REQUIRE_MESSAGE(bridge.logged("to another origin (" + elsewhere.url() + ")"), bridge.log());
  CHECK(elsewhere.requests().empty());   // not the request, so not the Basic credentials either
  CHECK(bridge.export_cursor() == "2");  // the verified page was stored; nothing past it was skipped
  // What reached the feed carried the password; nothing else did.
  for (const auto& r : peers.peer().requests())
    if (r.target.starts_with(kFeedPath)) CHECK(r.authorization.starts_with("Basic "));
  CHECK(bridge.log().find(kPassword) == std::string::npos);
}

TEST_CASE("a nextLink loop and an endless chain of pages end the run with an error, bounded") {
  SUBCASE("a link to the same page") {
    Peers peers;
    peers.feed([&](const net::HttpRequest&) {
      return net::HttpResponse::json(200, page_json({}, 0, std::string(kFeedPath) + "?$skiptoken=same"));
    });
    Bridge bridge(peers);
    bridge.start();
    REQUIRE_MESSAGE(bridge.logged("it had sent before in this run"), bridge.log());
    std::this_thread::sleep_for(2s);
    // Each run (every second) reads the first page and the repeated one, then stops: a few requests,
    // never thousands.
    const auto requests = peers.peer().count(kFeedPath);
    CHECK(requests >= 2);
    CHECK(requests <= 16);
    CHECK(bridge.export_cursor() == "null");  // empty pages with head 0: nothing to collect up to
  }
  SUBCASE("an endless chain of new links") {
    Peers peers;
    std::atomic<int> page{0};
    peers.feed([&](const net::HttpRequest&) {
      return net::HttpResponse::json(200,
                                     page_json({}, 0, fmt::format("{}?$skiptoken={}", kFeedPath, ++page)));
    });
    Bridge bridge(peers, {.max_pages_per_run = 25});
    bridge.start();
    REQUIRE_MESSAGE(bridge.logged("read 25 pages of the ATO feed"), bridge.log());
    std::this_thread::sleep_for(1500ms);
    const auto runs = occurrences(bridge.log(), "read 25 pages");
    CHECK(peers.peer().count(kFeedPath) <= 25 * (runs + 1));
  }
}

TEST_CASE("a head the feed cannot back never moves the cursor") {
  SUBCASE("on a page") {
    Peers peers;
    peers.push(accept_all);
    peers.feed([](const net::HttpRequest& request) {
      return honest_feed(request, after_of(request) == 9007199254740990 ? 0 : 2, 9007199254740991);
    });
    Bridge bridge(peers);
    bridge.start();
    REQUIRE_MESSAGE(bridge.logged("claims head sequence 9007199254740991"), bridge.log());
    CHECK(bridge.export_cursor() == "2");  // up to the last event it served, not the claim
    // Once the feed backs its head, the cursor follows.
    peers.feed([](const net::HttpRequest& request) { return honest_feed(request, 7, 7); });
    CHECK(eventually([&] { return bridge.export_cursor() == "7"; }, 10s));
  }
  SUBCASE("on the first run's probe, without backfill") {
    Peers peers;
    peers.feed([](const net::HttpRequest& request) {
      return honest_feed(request, after_of(request) == 9007199254740990 ? 0 : 2, 9007199254740991);
    });
    Bridge bridge(peers, {.backfill = false});
    bridge.start();
    REQUIRE_MESSAGE(bridge.logged("claims head sequence 9007199254740991"), bridge.log());
    CHECK(bridge.export_cursor() == "null");
  }
}

TEST_CASE("a head below the cursor is a feed reset: unready and counted, never a silent skip or rewind") {
  Peers peers;
  std::atomic<int> pushed{0};
  peers.push(counting_accept_all(pushed));
  peers.feed([](const net::HttpRequest& request) { return honest_feed(request, 5, 5); });
  Bridge bridge(peers);
  bridge.start();
  REQUIRE(eventually([&] { return bridge.export_cursor() == "5" && pushed == 5; }, 10s));
  // The feed starts again from 1 (a restored system, or another one at the same URL).
  peers.feed([](const net::HttpRequest& request) { return honest_feed(request, 2, 2, "1c7e7d2c"); });
  REQUIRE(eventually([&] { return bridge.admin("/readyz").status == 503; }, 10s));
  const auto ready = bridge.admin("/readyz");
  CHECK(ready.body.find("ATO feed reset") != std::string::npos);
  CHECK(ready.body.find("below this service's cursor 5") != std::string::npos);
  const auto metrics = bridge.admin("/metrics").body;
  CHECK(metrics.find("ato_bridge_feed_reset{tenant=\"default\",service=\"export\"} 1") != std::string::npos);
  CHECK(metrics.find("ato_bridge_feed_resets_total 1") != std::string::npos);
  CHECK(bridge.export_cursor() == "5");
  // Setting a cursor under a running bridge is refused.
  const auto refused = bridge.cli({"cursor", "set", "export", "3"});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("stop the bridge first") != std::string::npos);
  // The feed comes back as it was, and more: collecting resumes by itself.
  peers.feed([](const net::HttpRequest& request) { return honest_feed(request, 8, 8); });
  CHECK(eventually([&] { return bridge.admin("/readyz").status == 200; }, 10s));
  CHECK(eventually([&] { return bridge.export_cursor() == "8" && pushed == 8; }, 10s));
  // Stopped, an operator may set it back: what was stored is recognised, nothing goes twice.
  bridge.stop();
  const auto set = bridge.cli({"cursor", "set", "export", "3"});
  CHECK_MESSAGE(set.exit_code == 0, set.err);
  CHECK(set.out.find("export: cursor 8 -> 3") != std::string::npos);
  bridge.start();
  CHECK(eventually([&] { return bridge.export_cursor() == "8"; }, 10s));
  // Set back to the start while the feed now numbers other events from 1: they are not taken for the
  // stored ones (nor skipped as duplicates): the bridge says so and stays unready.
  bridge.stop();
  CHECK(bridge.cli({"cursor", "set", "export", "0"}).exit_code == 0);
  peers.feed([](const net::HttpRequest& request) { return honest_feed(request, 9, 9, "1c7e7d2c"); });
  bridge.start();
  REQUIRE(eventually([&] { return bridge.admin("/readyz").status == 503; }, 10s));
  CHECK(bridge.admin("/readyz").body.find("sequence 1 of tenant default is stored as eventId 0b7e7d2c") !=
        std::string::npos);
  CHECK(bridge.export_cursor() == "0");
  std::this_thread::sleep_for(1s);
  CHECK(pushed == 8);
}

TEST_CASE("one eventId with other content is a dead letter EVENT_ID_CONFLICT, never counted delivered") {
  Peers peers;
  std::atomic<int> pushed{0};
  peers.push(counting_accept_all(pushed));
  peers.feed([](const net::HttpRequest& request) { return honest_feed(request, 2, 2); });
  Bridge bridge(peers);
  bridge.start();
  REQUIRE(eventually([&] { return pushed == 2; }, 10s));
  // Later, sequence 3 carries the eventId of sequence 1 with other content.
  peers.feed([](const net::HttpRequest& request) {
    std::vector<std::string> events;
    for (std::int64_t s = after_of(request) + 1; s <= 4; ++s) {
      auto e = event_json(s);
      if (s == 3) e.replace(e.find("000000000003"), 12, "000000000001");
      events.push_back(e);
    }
    return net::HttpResponse::json(200, page_json(events, 4));
  });
  REQUIRE_MESSAGE(
      bridge.logged("EVENT_ID_CONFLICT: eventId 0b7e7d2c-3c1e-4f55-9f1a-000000000001 is stored with "
                    "sequence 1"),
      bridge.log());
  CHECK(eventually([&] { return pushed == 3; }, 10s));
  const auto dead = bridge.cli({"dead-letters", "list", "--json"});
  CHECK(dead.out.find("EVENT_ID_CONFLICT") != std::string::npos);
  CHECK(bridge.admin("/metrics")
            .body.find("ato_bridge_ingestion_dead_letters_total{reason=\"EVENT_ID_CONFLICT\"} 1") !=
        std::string::npos);
  std::this_thread::sleep_for(1s);
  CHECK(pushed == 3);
}

TEST_CASE("a token endpoint that gives no token: backoff, the breaker, a log line, unready; then recovery") {
  const std::map<std::string, net::HttpResponse> broken = {
      {"HTTP 500", net::HttpResponse::json(500, R"({"error":"server_error"})")},
      {"HTML 200",
       [] {
         net::HttpResponse r;
         r.body = "<html><body>Login</body></html>";
         r.header("Content-Type", "text/html");
         return r;
       }()},
      {"no access_token", net::HttpResponse::json(200, R"({"token_type":"bearer","expires_in":3600})")},
      {"negative expires_in",
       net::HttpResponse::json(200, R"({"access_token":"t","token_type":"bearer","expires_in":-5})")},
      {"expires_in a string",
       net::HttpResponse::json(200, R"({"access_token":"t","token_type":"bearer","expires_in":"soon"})")}};
  for (const auto& [name, answer] : broken) {
    CAPTURE(name);
    Peers peers;
    peers.push(accept_all);
    peers.feed([](const net::HttpRequest& request) { return honest_feed(request, 3, 3); });
    peers.token([answer = answer](const net::HttpRequest&) { return answer; });
    Bridge bridge(peers);
    bridge.start();
    REQUIRE_MESSAGE(bridge.logged("no token ("), bridge.log());
    REQUIRE(eventually([&] { return bridge.admin("/readyz").status == 503; }, 5s));
    CHECK(bridge.admin("/readyz").body.find("no OAuth token for Cloud ALM") != std::string::npos);
    std::this_thread::sleep_for(4s);
    // Backoff 1 s, 2 s, 4 s...: a handful of requests in ~5 s, where there were 23-46 a second.
    const auto token_requests = peers.peer().count("/oauth/token");
    CHECK(token_requests >= 2);
    CHECK(token_requests <= 5);
    const auto metrics = bridge.admin("/metrics").body;
    CHECK(metrics.find("ato_bridge_token_failures_total 0") == std::string::npos);
    CHECK(peers.peer().count("/api/") == 0);
    CHECK(bridge.log().find("hostile-Secret-0123456789") == std::string::npos);
    // The endpoint recovers: a token comes within the backoff (at most a minute), events go.
    peers.token([](const net::HttpRequest&) { return token_answer(); });
    CHECK(eventually([&] { return bridge.admin("/readyz").status == 200; }, 20s));
    CHECK(eventually([&] { return peers.peer().count("/api/") >= 1; }, 10s));
  }
}

TEST_CASE("a redirect from Cloud ALM pauses pushing with its Location named; nothing is dead-lettered") {
  Peers peers;
  peers.feed([](const net::HttpRequest& request) { return honest_feed(request, 4, 4); });
  peers.push([](const net::HttpRequest&) {
    net::HttpResponse r;
    r.status = 301;
    r.header("Location", "https://moved.example.com/api/calm-deployments/v1/ato/exports");
    return r;
  });
  Bridge bridge(peers);
  bridge.start();
  REQUIRE_MESSAGE(bridge.logged("pushing paused: Cloud ALM answered a push with HTTP 301"), bridge.log());
  CHECK(bridge.log().find("https://moved.example.com/api/calm-deployments/v1/ato/exports") !=
        std::string::npos);
  CHECK(eventually([&] { return bridge.admin("/readyz").status == 503; }, 5s));
  const auto dead = bridge.cli({"dead-letters", "list", "--json"});
  CHECK(dead.out.find("eventId") == std::string::npos);
  // Fixed on the other side: the retry job's probe finds out, and every event goes.
  peers.push(accept_all);
  CHECK(eventually([&] { return bridge.admin("/readyz").status == 200; }, 15s));
  CHECK(eventually([&] { return bridge.log().find("pushing resumed") != std::string::npos; }, 5s));
}

TEST_CASE("a feed that redirects is named with its Location and not followed") {
  HostilePeer elsewhere(
      [](const net::HttpRequest&) { return net::HttpResponse::json(200, page_json({}, 100)); });
  Peers peers;
  peers.feed([&](const net::HttpRequest&) {
    net::HttpResponse r;
    r.status = 302;
    r.header("Location", elsewhere.url() + kFeedPath);
    return r;
  });
  Bridge bridge(peers);
  bridge.start();
  REQUIRE_MESSAGE(bridge.logged("answered HTTP 302 (a redirect to '" + elsewhere.url() + kFeedPath + "')"),
                  bridge.log());
  CHECK(elsewhere.requests().empty());
}

TEST_CASE("sizes: an oversized event is a dead letter, an oversized page an error that names the limit") {
  Peers peers;
  std::atomic<int> pushed{0};
  peers.push(counting_accept_all(pushed));
  peers.feed([](const net::HttpRequest& request) {
    std::vector<std::string> events;
    for (std::int64_t s = after_of(request) + 1; s <= 3; ++s) {
      auto e = event_json(s);
      if (s == 2) e.replace(e.find("change 2"), 8, std::string(300 * 1024, 'x'));
      events.push_back(e);
    }
    return net::HttpResponse::json(200, page_json(events, 3));
  });
  // Time enough for 65 MiB on a loaded machine under AddressSanitizer (3 s was not, once, in CI):
  // the limit, not the clock, must end the read.
  Bridge bridge(peers, {.timeout = "30s"});
  bridge.start();
  REQUIRE_MESSAGE(bridge.logged("EVENT_TOO_LARGE: the event is"), bridge.log());
  CHECK(eventually([&] { return pushed == 2; }, 10s));
  CHECK(bridge.cli({"dead-letters", "list", "--json"}).out.find("EVENT_TOO_LARGE") != std::string::npos);
  // A page larger than the client reads (64 MiB): the error says so, not "unreachable".
  peers.feed([](const net::HttpRequest&) {
    return net::HttpResponse::json(200,
                                   page_json({event_json(4, "1c7e7d2c") + std::string(65 << 20, ' ')}, 4));
  });
  REQUIRE_MESSAGE(bridge.logged("is larger than the limit of 67108864 bytes", 20s), bridge.log());
  CHECK(bridge.log().find("ATO feed unreachable") == std::string::npos);
  CHECK(bridge.export_cursor() == "3");
}

// A newer Cloud ALM may add fields to its answers: an answer that adds them is read for what it says
// (every event accepted, once), the extra fields counted, not taken for an unreadable answer (which
// re-sent every accepted event until it was dead-lettered).
TEST_CASE("a 200 answer with fields the contract does not name is read tolerantly: nothing re-sent") {
  Peers peers;
  std::atomic<int> pushed{0};
  peers.push([&pushed](const net::HttpRequest& request) {
    const auto package = parse_push_package(request.body);
    pushed += static_cast<int>(package.events.size());
    std::string results;
    for (const auto& e : package.events)
      results += (results.empty() ? "" : ",") +
                 fmt::format(R"({{"eventId":"{}","result":"accepted","processedAt":"2026-12-07T00:00:00Z"}})",
                             e.event_id);
    return net::HttpResponse::json(
        200, R"({"packageId":")" + package.package_id + R"(","traceId":"abc","results":[)" + results + "]}");
  });
  peers.feed([](const net::HttpRequest& request) { return honest_feed(request, 6, 6); });
  Bridge bridge(peers);
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return bridge.export_cursor() == "6" && pushed == 6; }, 10s),
                  bridge.log());
  std::this_thread::sleep_for(1500ms);  // retry runs come and go: nothing goes again
  CHECK(pushed == 6);
  const auto metrics = bridge.admin("/metrics").body;
  const auto at = metrics.find("\nato_bridge_answer_unknown_fields_total ");
  REQUIRE(at != std::string::npos);
  // One per event's result, and one per answer (packages of up to 6 events).
  const auto counted = std::stoll(metrics.substr(at + 40));
  CHECK(counted >= 7);
  CHECK(counted <= 12);
  CHECK(bridge.cli({"dead-letters", "list", "--json"}).out.find("eventId") == std::string::npos);
  // What contradicts itself is still refused: a rejection without a code.
  CHECK_THROWS(
      parse_push_response(R"({"packageId":"0b7e7d2c-0000-4000-8000-000000000001","results":[)"
                          R"({"eventId":"0b7e7d2c-0000-4000-8000-000000000002","result":"rejected"}]})"));
}

// `dead-letters list` shows the newest --limit (100 by default) and says when there are more.
TEST_CASE("dead-letters list says when it shows only some of them, and how to see more") {
  Peers peers;
  peers.push([](const net::HttpRequest& request) {
    const auto package = parse_push_package(request.body);
    std::string results;
    for (const auto& e : package.events)
      results +=
          (results.empty() ? "" : ",") +
          fmt::format(R"({{"eventId":"{}","result":"rejected","code":"INVALID_EVENT","message":"no"}})",
                      e.event_id);
    return net::HttpResponse::json(
        200, R"({"packageId":")" + package.package_id + R"(","results":[)" + results + "]}");
  });
  peers.feed([](const net::HttpRequest& request) { return honest_feed(request, 5, 5); });
  Bridge bridge(peers);
  bridge.start();
  REQUIRE_MESSAGE(eventually(
                      [&] {
                        return bridge.cli({"dead-letters", "list"}).out.find("seq 5") != std::string::npos;
                      },
                      10s),
                  bridge.log());
  auto r = bridge.cli({"dead-letters", "list", "--limit", "3"});
  CHECK(occurrences(r.out, "INVALID_EVENT") == 3);
  CHECK(r.out.find("only the 3 newest dead letters are shown; there are more: --limit N") !=
        std::string::npos);
  r = bridge.cli({"dead-letters", "list", "--limit", "3", "--json"});
  CHECK(occurrences(r.out, "\"eventId\"") == 3);
  CHECK(r.err.find("only the 3 newest dead letters are shown") != std::string::npos);
  r = bridge.cli({"dead-letters", "list", "--limit", "5"});
  CHECK(occurrences(r.out, "INVALID_EVENT") == 5);
  CHECK(r.out.find("only the") == std::string::npos);
}

// A run that stores a page and then fails (the next page is refused) collected what it stored:
// events_collected_total, status and the log count it, and it is delivered.
TEST_CASE("events stored by a run that then failed are counted as collected") {
  Peers peers;
  std::atomic<int> pushed{0};
  peers.push(counting_accept_all(pushed));
  peers.feed([&peers](const net::HttpRequest& request) {
    if (request.query.find("skiptoken") != std::string::npos)
      return net::HttpResponse::json(503, R"({"error":{"code":"BUSY","message":"try later"}})");
    std::vector<std::string> events;
    for (std::int64_t s = after_of(request) + 1; s <= std::min<std::int64_t>(after_of(request) + 20, 20); ++s)
      events.push_back(event_json(s));
    if (after_of(request) >= 20) return net::HttpResponse::json(200, page_json({}, 20));
    return net::HttpResponse::json(200, page_json(events, 35, peers.url() + kFeedPath + "?$skiptoken=20"));
  });
  Bridge bridge(peers);
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return pushed == 20; }, 10s), bridge.log());
  REQUIRE_MESSAGE(bridge.logged("collected 20 events (cursor 20) before the run failed"), bridge.log());
  const auto metrics = bridge.admin("/metrics").body;
  CHECK(metrics.find("ato_bridge_events_collected_total{tenant=\"default\",service=\"export\"} 20") !=
        std::string::npos);
  CHECK(bridge.cli({"status", "--json"}).out.find("\"collected\":20") != std::string::npos);
}

// While pushing is paused (403), each retry run sends one probe package: several workers waking at
// once must not each send one.
TEST_CASE("a paused bridge probes with one package per retry run, however many workers wake") {
  Peers peers;
  std::atomic<int> pushes{0};
  peers.push([&pushes](const net::HttpRequest&) {
    ++pushes;
    return net::HttpResponse::json(403, R"({"error":{"code":"FORBIDDEN","message":"scope missing"}})");
  });
  peers.feed([](const net::HttpRequest& request) { return honest_feed(request, 40, 40); });
  Bridge bridge(peers, {.connections = 4, .package_size = 5});
  bridge.start();
  REQUIRE_MESSAGE(bridge.logged("pushing paused"), bridge.log());
  std::this_thread::sleep_for(500ms);
  const int before = pushes;
  std::this_thread::sleep_for(4s);  // four retry runs (run_every 1s)
  const int probes = pushes - before;
  CHECK(probes >= 2);
  CHECK_MESSAGE(probes <= 5, probes << " push requests in 4 s while paused");
}

// An empty feed leaves the service without a cursor: "first run with backfill" is still said once,
// and services are spelled one way in the log (as `tick` and `cursor` name them).
TEST_CASE("an empty feed under backfill: the first run is announced once, services spelled one way") {
  Peers peers;
  peers.push(accept_all);
  peers.feed([](const net::HttpRequest&) { return net::HttpResponse::json(200, page_json({}, 0)); });
  Bridge bridge(peers);
  bridge.start();
  REQUIRE(eventually([&] { return peers.peer().count(kFeedPath) >= 4; }, 10s));
  CHECK(occurrences(bridge.log(), "first run with backfill") == 1);
  CHECK(bridge.log().find("default export: first run with backfill") != std::string::npos);
  CHECK(bridge.log().find(" EXPORT") == std::string::npos);
  // cursor show says what the next run does with no cursor yet (this configuration backfills).
  CHECK(bridge.cli({"cursor", "show"})
            .out.find("(none yet: the next run collects the feed from the beginning") != std::string::npos);
}

// An admin endpoint with a token: the probes and /metrics stay open (kubelet and Prometheus carry no
// token); /status and POST /tick need it; ato-bridge status and tick send it from the configuration.
TEST_CASE("admin.token: only the probes and /metrics go without it; status and tick send it") {
  Peers peers;
  peers.push(accept_all);
  peers.feed([](const net::HttpRequest& request) { return honest_feed(request, 3, 3); });
  const std::string token = "0123456789abcdef-admin-token";
  Bridge bridge(peers, {.admin_token = token});
  bridge.start();
  CHECK(bridge.admin("/healthz").status == 200);
  CHECK(bridge.admin("/readyz").status == 200);
  CHECK(bridge.admin("/metrics").status == 200);
  const auto status = bridge.admin("/status");
  CHECK(status.status == 401);
  CHECK(status.body.find("needs admin.token") != std::string::npos);
  auto curl = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {"/usr/bin/curl", "-s", "-o",  "/dev/null", "-w",
                                     "%{http_code}",  "-X", "POST"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(bridge.admin_url() + "/tick/export");
    return run_process(argv).out;
  };
  CHECK(curl({}) == "401");
  CHECK(curl({"-H", "Authorization: Bearer wrong-token-0123456789abc"}) == "401");
  CHECK(curl({"-H", "Authorization: Bearer " + token}) == "202");
  const auto tick = bridge.cli({"tick", "export"});
  CHECK_MESSAGE(tick.exit_code == 0, tick.err);
  const auto shown = bridge.cli({"status", "--json"});
  CHECK(shown.out.find("\"running\":true") != std::string::npos);
  CHECK(bridge.cli({"config", "check"}).out.find("bearer token from file") != std::string::npos);
  CHECK(bridge.log().find(token) == std::string::npos);  // never logged
}

// JSON log lines about a tenant's job carry the tenant and the service as fields of their own, so a
// log pipeline need not parse the message.
TEST_CASE("every JSON log line about a tenant's job carries tenant and service fields") {
  Peers peers;
  peers.push(accept_all);
  peers.feed([](const net::HttpRequest& request) { return honest_feed(request, 4, 4); });
  Bridge bridge(peers, {.json_log = true});
  bridge.start();
  REQUIRE(eventually([&] { return bridge.export_cursor() == "4"; }, 10s));
  bridge.stop();
  simdjson::dom::parser parser;
  int about_jobs = 0;
  std::istringstream lines(bridge.log());
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() != '{') continue;
    const auto entry = parser.parse(line).value();
    const std::string_view msg = entry["msg"].get_string().value();
    if (!msg.starts_with("default export:") && !msg.starts_with("default import:") &&
        !msg.starts_with("default status_change:"))
      continue;
    ++about_jobs;
    CAPTURE(msg);
    CHECK(entry["tenant"].get_string().value() == "default");
    CHECK(!entry["service"].error());
  }
  CHECK(about_jobs >= 4);  // two inactive services, the first run with backfill, a collection
}
