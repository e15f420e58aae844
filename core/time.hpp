// Time on the wire is ISO-8601 UTC text; inside the project it is integer epoch milliseconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ato {

using EpochMillis = std::int64_t;

// Latest instant we accept or print: 9999-12-31T23:59:59.999Z (four-digit years only).
inline constexpr EpochMillis kMaxEpochMillis = 253402300799999;

// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (also `+00:00` / `-00:00` for UTC); fractions beyond
// milliseconds are truncated. Returns nullopt for anything else, including invalid calendar dates
// and instants before 1970.
std::optional<EpochMillis> parse_iso8601_utc(std::string_view text);

// Always prints milliseconds: `2026-11-22T02:17:21.123Z`. Requires 0 <= ms <= kMaxEpochMillis.
std::string format_iso8601_utc(EpochMillis ms);

EpochMillis now_epoch_millis();

// HTTP dates (RFC 9110 IMF-fixdate, `Sun, 22 Nov 2026 04:48:07 GMT`), as in Retry-After.
std::string format_http_date(EpochMillis ms);
std::optional<EpochMillis> parse_http_date(std::string_view text);

// Retry-After: delay-seconds or an HTTP date (relative to `now`). Nullopt when unreadable; a date in
// the past is a zero delay.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, EpochMillis now);

// Durations in configuration: one or more `<integer><unit>` parts, unit one of ms, s, m, h, d
// (e.g. `5m`, `30s`, `1h30m`, `250ms`). Returns nullopt for anything else.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The shortest exact text parse_duration reads back (`5m`, `1h30m`, `250ms`).
std::string format_duration(std::chrono::milliseconds d);

}  // namespace ato
