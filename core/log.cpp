#include "core/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "core/json_writer.hpp"
#include "core/secret.hpp"
#include "core/time.hpp"

namespace ato {
namespace {

struct SecretRegistry {
  std::mutex mutex;
  std::vector<std::string> values;  // longest first, so a secret containing another is masked whole
};

SecretRegistry& registry() {
  static SecretRegistry instance;
  return instance;
}

bool iequals_at(std::string_view text, std::size_t pos, std::string_view word) {
  if (pos + word.size() > text.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[pos + i])) != word[i]) return false;
  return true;
}

// After `Bearer `/`Basic ` only credential-looking words are masked, so prose such as "Basic
// authentication failed" stays readable: tokens and base64 are long, carry digits or symbols, or
// mix upper and lower case inside the word.
bool looks_like_credential(std::string_view word) {
  if (word.size() >= 16) return true;
  const bool inner_upper = std::any_of(word.begin() + 1, word.end(),
                                       [](char c) { return std::isupper(static_cast<unsigned char>(c)); });
  const bool lower = std::any_of(word.begin(), word.end(),
                                 [](char c) { return std::islower(static_cast<unsigned char>(c)); });
  if (inner_upper && lower) return true;
  return std::any_of(word.begin(), word.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '=' || c == '+' || c == '/' ||
           c == '-' || c == '_';
  });
}

bool ends_value(char c) {
  return c == '"' || c == '\'' || c == '&' || c == ',' || c == '}' || c == ';' ||
         std::isspace(static_cast<unsigned char>(c));
}

// `Bearer eyJ...` / `Basic dXNl...`: mask the credential that follows the scheme.
// `"client_secret":"x"`, `client_secret=x`: mask the value that follows the key.
void mask_credential_shapes(std::string& text) {
  static constexpr std::array<std::string_view, 2> schemes = {"bearer ", "basic "};
  static constexpr std::array<std::string_view, 7> keys = {
      "access_token", "refresh_token", "client_secret", "clientsecret", "password", "id_token", "secret"};
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    std::size_t value_start = std::string::npos;
    bool after_scheme = false;
    for (auto scheme : schemes)
      if (iequals_at(text, pos, scheme)) value_start = pos + scheme.size(), after_scheme = true;
    if (value_start == std::string::npos) {
      for (auto key : keys) {
        if (!iequals_at(text, pos, key)) continue;
        // Only machine shapes: a JSON member ("key": value, also escaped inside JSON) or a form or
        // query field (key=value). Prose such as `uaa.clientsecret: missing` stays readable; real
        // secret values are masked anyway because they are registered.
        std::size_t p = pos + key.size();
        bool quoted = false;
        if (text.compare(p, 2, "\\\"") == 0)
          p += 2, quoted = true;
        else if (p < text.size() && text[p] == '"')
          ++p, quoted = true;
        while (quoted && p < text.size() && text[p] == ' ') ++p;
        if (p < text.size() && ((quoted && text[p] == ':') || (!quoted && text[p] == '='))) {
          ++p;
          while (p < text.size() && (text[p] == ' ' || text[p] == '"' || text[p] == '\\')) ++p;
          value_start = p;
        }
        break;
      }
    }
    if (value_start == std::string::npos || value_start >= text.size()) continue;
    std::size_t value_end = value_start;
    while (value_end < text.size() && !ends_value(text[value_end]) && text[value_end] != '\\') ++value_end;
    const std::string_view value(text.data() + value_start, value_end - value_start);
    if (value.empty() || value == kRedacted || (after_scheme && !looks_like_credential(value))) continue;
    text.replace(value_start, value_end - value_start, kRedacted);
    pos = value_start + kRedacted.size() - 1;
  }
}

const char* level_name(spdlog::level::level_enum level) {
  // Indexed by spdlog's levels, trace (0) to off (6); "warn" as the configuration spells it.
  static constexpr std::array<const char*, 7> kNames = {"trace", "debug",    "info", "warn",
                                                        "error", "critical", "off"};
  const auto index = static_cast<std::size_t>(level);
  return index < kNames.size() ? kNames[index] : "off";
}

// The syslog priority journald reads from a `<N>` line prefix (sd-daemon(3)), so that a warning is
// a warning in `journalctl -p warning`.
int syslog_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical:
      return 2;
    case spdlog::level::err:
      return 3;
    case spdlog::level::warn:
      return 4;
    case spdlog::level::info:
      return 6;
    default:
      return 7;
  }
}

// The fields of the line being logged on this thread (log_with_fields), empty otherwise.
thread_local const std::initializer_list<LogField>* current_fields = nullptr;

// Formats a whole line itself (rather than wrapping spdlog's pattern formatter) so the payload is
// redacted before it is escaped: an escaped secret would no longer match its registered value.
class RedactingFormatter final : public spdlog::formatter {
 public:
  RedactingFormatter(LogFormat format, bool priority_prefix)
      : format_(format), priority_prefix_(priority_prefix) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch());
    const std::string payload = redact(std::string_view(msg.payload.data(), msg.payload.size()));
    const std::string_view logger(msg.logger_name.data(), msg.logger_name.size());
    std::string line;
    if (priority_prefix_) line = fmt::format("<{}>", syslog_priority(msg.level));
    if (format_ == LogFormat::Json) {
      JsonWriter json(line);  // appends: after the priority prefix, if any
      json.begin_object()
          .field("ts", format_iso8601_utc(ms.count()))
          .field("level", level_name(msg.level))
          .field("logger", logger)
          .field("msg", payload);
      for (const auto& f : current_fields ? *current_fields : std::initializer_list<LogField>{}) {
        if (const auto* number = std::get_if<std::int64_t>(&f.value))
          json.field(f.key, *number);
        else
          json.field(f.key, redact(std::get<std::string_view>(f.value)));
      }
      json.end_object();
    } else {
      line += fmt::format("{} {:<5} [{}] {}", format_iso8601_utc(ms.count()), level_name(msg.level), logger,
                          payload);
    }
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<RedactingFormatter>(format_, priority_prefix_);
  }

 private:
  LogFormat format_;
  bool priority_prefix_;
};

}  // namespace

Secret::Secret(std::string value) : value_(std::move(value)) {
  register_secret_for_redaction(value_);
}

void register_secret_for_redaction(std::string_view value) {
  if (value.size() < 4) return;
  auto& reg = registry();
  std::lock_guard lock(reg.mutex);
  if (std::find(reg.values.begin(), reg.values.end(), value) != reg.values.end()) return;
  reg.values.emplace_back(value);
  std::stable_sort(reg.values.begin(), reg.values.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string redact(std::string_view text) {
  std::string out(text);
  {
    auto& reg = registry();
    std::lock_guard lock(reg.mutex);
    for (const auto& secret : reg.values) {
      for (std::size_t pos = out.find(secret); pos != std::string::npos; pos = out.find(secret, pos)) {
        out.replace(pos, secret.size(), kRedacted);
        pos += kRedacted.size();
      }
    }
  }
  mask_credential_shapes(out);
  return out;
}

void log_with_fields(int level, std::initializer_list<LogField> fields, std::string_view message) {
  current_fields = &fields;
  spdlog::log(static_cast<spdlog::level::level_enum>(level), "{}", message);
  current_fields = nullptr;
}

std::optional<LogFormat> parse_log_format(std::string_view text) {
  if (text == "text") return LogFormat::Text;
  if (text == "json") return LogFormat::Json;
  return std::nullopt;
}

bool is_valid_log_level(std::string_view text) {
  return text == "trace" || text == "debug" || text == "info" || text == "warn" || text == "error" ||
         text == "off";
}

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");  // "device:inode", set by systemd
  if (!stream) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  unsigned long long device = 0, inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  return device == static_cast<unsigned long long>(st.st_dev) &&
         inode == static_cast<unsigned long long>(st.st_ino);
}

void setup_logging(const LogOptions& options) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(std::make_unique<RedactingFormatter>(options.format, stderr_is_journal()));
  auto logger = std::make_shared<spdlog::logger>(options.name, std::move(sink));
  logger->set_level(spdlog::level::from_str(options.level));
  logger->flush_on(spdlog::level::trace);  // stderr: a crash must not swallow the last lines
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace ato
