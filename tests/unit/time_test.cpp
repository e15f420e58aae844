#include <doctest/doctest.h>

#include "core/time.hpp"

using namespace ato;
using namespace std::chrono_literals;

TEST_CASE("ISO-8601 UTC parses to epoch milliseconds") {
  CHECK(parse_iso8601_utc("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_iso8601_utc("1970-01-01T00:00:00.001Z") == 1);
  CHECK(parse_iso8601_utc("2026-11-22T02:17:21.123Z") == 1795313841123);
  CHECK(parse_iso8601_utc("2026-11-22T02:17:21.123+00:00") == 1795313841123);
  CHECK(parse_iso8601_utc("2026-11-22T02:17:21.123-00:00") == 1795313841123);
  CHECK(parse_iso8601_utc("2026-11-22T02:17:21.1Z") == 1795313841100);
  CHECK(parse_iso8601_utc("2026-11-22T02:17:21.123456789Z") == 1795313841123);  // truncated, not rounded
  CHECK(parse_iso8601_utc("2024-02-29T12:00:00Z").has_value());                 // leap day
  CHECK(parse_iso8601_utc("9999-12-31T23:59:59.999Z") == kMaxEpochMillis);
}

TEST_CASE("ISO-8601 parsing rejects what is not a UTC instant") {
  for (const char* bad : {"", "2026-11-22", "2026-11-22T02:17:21", "2026-11-22T02:17:21+01:00",
                          "2026-11-22 02:17:21Z", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
                          "2026-11-31T00:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22T23:60:00Z",
                          "2026-11-22T23:59:60Z", "2026-11-22T02:17:21.Z", "2026-11-22T02:17:21.1234567891Z",
                          "1969-12-31T23:59:59Z", "2026-11-22T02:17:21Zjunk", "２026-11-22T02:17:21Z"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_iso8601_utc(bad).has_value());
  }
}

TEST_CASE("ISO-8601 formatting always prints milliseconds and round-trips") {
  CHECK(format_iso8601_utc(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_iso8601_utc(1795313841123) == "2026-11-22T02:17:21.123Z");
  CHECK(format_iso8601_utc(kMaxEpochMillis) == "9999-12-31T23:59:59.999Z");
  for (EpochMillis ms : {EpochMillis{0}, EpochMillis{1}, EpochMillis{951782400000} /* 2000-02-29 */,
                         EpochMillis{1795313841123}, kMaxEpochMillis - 1, kMaxEpochMillis}) {
    CAPTURE(ms);
    CHECK(parse_iso8601_utc(format_iso8601_utc(ms)) == ms);
  }
}

TEST_CASE("durations accept 5m, 30s, 1h and combinations") {
  CHECK(parse_duration("5m") == 5min);
  CHECK(parse_duration("30s") == 30s);
  CHECK(parse_duration("1h") == 1h);
  CHECK(parse_duration("250ms") == 250ms);
  CHECK(parse_duration("1h30m") == 90min);
  CHECK(parse_duration("7d") == std::chrono::hours(24 * 7));
  CHECK(parse_duration("0s") == 0ms);
  for (const char* bad : {"", "5", "5 parsecs", "5 m", "m5", "-5m", "5x", "1.5h", "5m ",
                          "99999999999999999999s", "36600d1ms", "5mm"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_duration(bad).has_value());
  }
}

TEST_CASE("durations format to the shortest text that reads back") {
  CHECK(format_duration(5min) == "5m");
  CHECK(format_duration(90min) == "1h30m");
  CHECK(format_duration(250ms) == "250ms");
  CHECK(format_duration(0ms) == "0s");
  CHECK(format_duration(std::chrono::hours(24 * 7)) == "7d");
  for (auto d : {1ms, 1001ms, 61001ms, std::chrono::milliseconds(86'400'000 + 3'600'000 + 1)})
    CHECK(parse_duration(format_duration(d)) == d);
}
