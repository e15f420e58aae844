#include "core/time.hpp"

#include <charconv>
#include <ctime>

namespace ato {
namespace {

bool read_digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

}  // namespace

std::optional<EpochMillis> parse_iso8601_utc(std::string_view text) {
  // Fixed part: YYYY-MM-DDTHH:MM:SS (19 characters).
  int year, month, day, hour, minute, second;
  if (text.size() < 20) return std::nullopt;
  if (!read_digits(text, 0, 4, year) || text[4] != '-' || !read_digits(text, 5, 2, month) || text[7] != '-' ||
      !read_digits(text, 8, 2, day) || text[10] != 'T' || !read_digits(text, 11, 2, hour) ||
      text[13] != ':' || !read_digits(text, 14, 2, minute) || text[16] != ':' ||
      !read_digits(text, 17, 2, second))
    return std::nullopt;
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;  // no leap seconds
  using namespace std::chrono;
  const year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                            std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok() || year < 1970) return std::nullopt;

  std::size_t pos = 19;
  int millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return std::nullopt;
    for (std::size_t d = digits; d < 3; ++d) millis *= 10;
  }
  const std::string_view zone = text.substr(pos);
  if (zone != "Z" && zone != "+00:00" && zone != "-00:00") return std::nullopt;

  const auto days_since_epoch = sys_days{date}.time_since_epoch().count();
  return ((static_cast<EpochMillis>(days_since_epoch) * 24 + hour) * 60 + minute) * 60'000 +
         static_cast<EpochMillis>(second) * 1000 + millis;
}

std::string format_iso8601_utc(EpochMillis ms) {
  using namespace std::chrono;
  if (ms < 0) ms = 0;
  if (ms > kMaxEpochMillis) ms = kMaxEpochMillis;
  const EpochMillis day_ms = 86'400'000;
  const sys_days day{days{ms / day_ms}};
  const year_month_day date{day};
  const EpochMillis rest = ms % day_ms;
  // Written digit by digit: this runs for every timestamp of every event serialised.
  std::string out = "0000-00-00T00:00:00.000Z";
  auto put = [&out](std::size_t pos, std::size_t width, long long value) {
    for (std::size_t i = 0; i < width; ++i, value /= 10)
      out[pos + width - 1 - i] = static_cast<char>('0' + value % 10);
  };
  put(0, 4, static_cast<int>(date.year()));
  put(5, 2, static_cast<unsigned>(date.month()));
  put(8, 2, static_cast<unsigned>(date.day()));
  put(11, 2, rest / 3'600'000);
  put(14, 2, rest / 60'000 % 60);
  put(17, 2, rest / 1000 % 60);
  put(20, 3, rest % 1000);
  return out;
}

EpochMillis now_epoch_millis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::int64_t amount = 0;
    const auto [end, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), amount);
    if (ec != std::errc{} || end == text.data() + pos || amount < 0) return std::nullopt;
    pos = static_cast<std::size_t>(end - text.data());
    std::int64_t unit_ms = 0;
    if (text.substr(pos, 2) == "ms") {
      unit_ms = 1, pos += 2;
    } else if (pos < text.size()) {
      switch (text[pos]) {
        case 's':
          unit_ms = 1000;
          break;
        case 'm':
          unit_ms = 60'000;
          break;
        case 'h':
          unit_ms = 3'600'000;
          break;
        case 'd':
          unit_ms = 86'400'000;
          break;
        default:
          return std::nullopt;
      }
      ++pos;
    } else {
      return std::nullopt;  // a number without a unit is ambiguous
    }
    // Cap at about 100 years: anything longer is a typo, and it keeps the arithmetic in range.
    constexpr std::int64_t kMaxMs = 100LL * 366 * 86'400'000;
    if (amount > kMaxMs / unit_ms || total + amount * unit_ms > kMaxMs) return std::nullopt;
    total += amount * unit_ms;
  }
  return std::chrono::milliseconds{total};
}

std::string format_duration(std::chrono::milliseconds d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  constexpr std::pair<std::int64_t, const char*> units[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
  for (const auto& [size, name] : units) {
    if (ms >= size) {
      out += std::to_string(ms / size) + name;
      ms %= size;
    }
  }
  return out;
}

std::string format_http_date(EpochMillis ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::optional<EpochMillis> parse_http_date(std::string_view text) {
  const std::string copy(text);
  std::tm tm{};
  const char* end = strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const std::time_t t = timegm(&tm);
  if (t < 0) return std::nullopt;
  return static_cast<EpochMillis>(t) * 1000;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, EpochMillis now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t seconds = 0;
    const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || seconds > 10LL * 366 * 86400) return std::nullopt;
    return std::chrono::seconds(seconds);
  }
  const auto at = parse_http_date(value);
  if (!at) return std::nullopt;
  return std::chrono::milliseconds(std::max<std::int64_t>(0, *at - now));
}

}  // namespace ato
