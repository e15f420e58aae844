// The pusher's decisions without a network: how each answer settles each event, the circuit
// breaker's states, Retry-After, and the latency histogram behind metrics and benchmarks.
#include <doctest/doctest.h>

#include "bridge/push/circuit_breaker.hpp"
#include "bridge/push/classify.hpp"
#include "bridge/push/package.hpp"
#include "bridge/runtime/histogram.hpp"
#include "core/time.hpp"

using namespace ato;
using namespace ato::bridge;
using Kind = Settlement::Kind;
using std::chrono::milliseconds;

namespace {

const std::string kA = "0b7e7d2c-0000-4000-8000-00000000000a";
const std::string kB = "0b7e7d2c-0000-4000-8000-00000000000b";
const std::string kC = "0b7e7d2c-0000-4000-8000-00000000000c";

std::vector<ClaimedEvent> package() {
  std::vector<ClaimedEvent> events(3);
  events[0].id = 1, events[0].event_id = kA;
  events[1].id = 2, events[1].event_id = kB;
  events[2].id = 3, events[2].event_id = kC;
  return events;
}

std::string results(const std::string& a, const std::string& b) {
  return R"({"packageId":"7c9e6679-7425-40de-944b-e07fc1f90ae7","results":[)" + a + "," + b + "]}";
}

}  // namespace

TEST_CASE("2xx: each event is settled by its own result; a missing result is retried") {
  const auto v = classify_answer(
      200,
      results(R"({"eventId":")" + kA + R"(","result":"accepted"})",
              R"({"eventId":")" + kB + R"(","result":"rejected","code":"OUT_OF_ORDER","message":"older"})"),
      "", package(), 0);
  REQUIRE(v.action == PushVerdict::Action::Settle);
  REQUIRE(v.settlements.size() == 3);
  CHECK(v.settlements[0].kind == Kind::Done);
  CHECK(v.settlements[1].kind == Kind::Dead);
  CHECK(v.settlements[1].message.find("OUT_OF_ORDER") != std::string::npos);
  CHECK(v.settlements[2].kind == Kind::Retry);
  CHECK(v.accepted == 1);
  CHECK(v.rejected == 1);
  CHECK_FALSE(v.cloud_alm_trouble);
  // The package's log line names what went wrong, never an empty reason.
  CHECK(v.reason == "rejected by Cloud ALM: OUT_OF_ORDER: older (and 1 more)");
}

TEST_CASE("a redirect pauses pushing and names its Location; nothing is dead-lettered") {
  for (int status : {301, 302, 307, 308}) {
    CAPTURE(status);
    const auto v =
        classify_answer(status, "<html>moved</html>", "", package(), 0, "https://elsewhere.example/api");
    CHECK(v.action == PushVerdict::Action::Pause);
    CHECK(v.reason.find("HTTP " + std::to_string(status)) != std::string::npos);
    CHECK(v.reason.find("https://elsewhere.example/api") != std::string::npos);
    for (const auto& s : v.settlements) CHECK(s.kind == Kind::Release);
  }
  CHECK(classify_answer(302, "", "", package(), 0).reason.find("no Location header") != std::string::npos);
}

TEST_CASE("a duplicate is as good as accepted") {
  const auto v = classify_answer(200,
                                 results(R"({"eventId":")" + kA + R"(","result":"duplicate"})",
                                         R"({"eventId":")" + kC + R"(","result":"accepted"})"),
                                 "", {package()[0], package()[2]}, 0);
  CHECK(v.settlements[0].kind == Kind::Done);
  CHECK(v.duplicates == 1);
}

TEST_CASE("an unreadable 2xx body retries everything") {
  const auto v = classify_answer(200, "<html>gateway</html>", "", package(), 0);
  for (const auto& s : v.settlements) CHECK(s.kind == Kind::Retry);
}

TEST_CASE("status codes are classified as the README's table of answers says") {
  const auto events = package();
  CHECK(classify_answer(401, "", "", events, 0).action == PushVerdict::Action::RefreshToken);
  const auto forbidden =
      classify_answer(403, R"({"error":{"code":"FORBIDDEN","message":"scope missing"}})", "", events, 0);
  CHECK(forbidden.action == PushVerdict::Action::Pause);
  CHECK(forbidden.reason.find("scope missing") != std::string::npos);
  for (const auto& s : forbidden.settlements) CHECK(s.kind == Kind::Release);
  CHECK(classify_answer(413, "", "", events, 0).action == PushVerdict::Action::Split);
  CHECK(classify_answer(413, "", "", {events[0]}, 0).settlements[0].kind == Kind::Dead);
  for (int status : {408, 429, 500, 502, 503, 504}) {
    const auto v = classify_answer(status, "", "", events, 0);
    CAPTURE(status);
    CHECK(v.settlements[0].kind == Kind::Retry);
    CHECK(v.cloud_alm_trouble == (status != 408));
  }
  for (int status : {400, 404, 409, 422, 501}) {
    const auto v = classify_answer(status, "bad package", "", events, 0);
    CAPTURE(status);
    CHECK(v.settlements[0].kind == Kind::Dead);
    CHECK(v.settlements[0].message.find("bad package") != std::string::npos);  // the response is kept
  }
  const auto none = classify_no_answer("connection reset", events);
  CHECK(none.settlements[0].kind == Kind::Retry);
  CHECK(none.cloud_alm_trouble);
  CHECK_FALSE(none.answered);
}

TEST_CASE("Retry-After in seconds or as an HTTP date") {
  const EpochMillis now = *parse_iso8601_utc("2026-11-22T04:48:07Z");
  CHECK(classify_answer(429, "", "7", package(), now).settlements[0].retry_after == milliseconds(7000));
  CHECK(
      classify_answer(503, "", "Sun, 22 Nov 2026 04:48:37 GMT", package(), now).settlements[0].retry_after ==
      milliseconds(30000));
  CHECK(parse_retry_after("Sun, 22 Nov 2026 04:40:00 GMT", now) == milliseconds(0));  // past: now
  CHECK_FALSE(parse_retry_after("soon", now));
  CHECK_FALSE(parse_retry_after("", now));
  CHECK(parse_http_date(format_http_date(now)) == now);
}

TEST_CASE("the circuit breaker opens after consecutive failures and lets one probe through") {
  CircuitBreaker breaker(
      {.failures_to_open = 3, .first_pause = milliseconds(1000), .max_pause = milliseconds(4000)});
  EpochMillis t = 0;
  for (int i = 0; i < 2; ++i) breaker.on_failure(t);
  CHECK(breaker.state() == CircuitBreaker::State::Closed);
  breaker.on_success();  // a success in between resets the count
  for (int i = 0; i < 3; ++i) breaker.on_failure(t);
  REQUIRE(breaker.state() == CircuitBreaker::State::Open);
  CHECK_FALSE(breaker.allow(t + 999));
  CHECK(breaker.would_allow(t + 1000));
  CHECK(breaker.allow(t + 1000));  // the probe
  CHECK(breaker.state() == CircuitBreaker::State::HalfOpen);
  CHECK_FALSE(breaker.allow(t + 1001));  // one probe at a time
  breaker.on_failure(t + 1100);          // probe failed: open longer
  CHECK(breaker.reopens_at() == t + 1100 + 2000);
  CHECK(breaker.allow(t + 3100));
  breaker.on_failure(t + 3100);
  CHECK(breaker.reopens_at() == t + 3100 + 4000);
  CHECK(breaker.allow(t + 7100));
  breaker.on_failure(t + 7100);
  CHECK(breaker.reopens_at() == t + 7100 + 4000);  // capped
  CHECK(breaker.allow(t + 11100));
  breaker.on_success();
  CHECK(breaker.state() == CircuitBreaker::State::Closed);
  CHECK(breaker.allow(t + 11101));
  CHECK(breaker.allow(t + 11101));
}

TEST_CASE("a package body embeds the stored events verbatim") {
  auto events = package();
  events[0].payload = R"({"x":1})";
  events[1].payload = R"({"y":"\u00e9"})";
  const auto body =
      package_body("7c9e6679-7425-40de-944b-e07fc1f90ae7", Service::Import, 0, {events[0], events[1]});
  CHECK(
      body ==
      R"({"packageId":"7c9e6679-7425-40de-944b-e07fc1f90ae7","service":"IMPORT","sentAt":"1970-01-01T00:00:00.000Z","events":[{"x":1},{"y":"\u00e9"}]})");
}

TEST_CASE("push URL: the communication system's host and port, then the path") {
  CommunicationSystem system;
  system.host = "https://calm.example.com";
  system.port = 8443;
  CHECK(push_url(system, "/api/x") == "https://calm.example.com:8443/api/x");
  system.port = 443;
  CHECK(push_url(system, "/api/x") == "https://calm.example.com/api/x");
}

TEST_CASE("latency histogram: quantiles within 5 percent, Prometheus counts at bounds") {
  LatencyHistogram h;
  for (int i = 1; i <= 1000; ++i) h.record(std::chrono::microseconds(i * 1000));  // 1..1000 ms
  CHECK(h.count() == 1000);
  const auto p50 = h.quantile(0.5).count(), p99 = h.quantile(0.99).count();
  CHECK(p50 >= 500'000);
  CHECK(p50 <= 525'000);
  CHECK(p99 >= 990'000);
  CHECK(p99 <= 1'000'000);
  CHECK(h.quantile(1.0).count() == 1'000'000);
  CHECK(h.count_at_most(std::chrono::microseconds(100'000)) <= 100);
  CHECK(h.count_at_most(std::chrono::microseconds(100'000)) >= 95);
  CHECK(h.count_at_most(std::chrono::hours(1)) == 1000);
  CHECK(h.sum_seconds() == doctest::Approx(500.5));
}
