// One place that sets up logging (spdlog, text or JSON lines on stderr) and the redaction every
// log line passes through: registered secret values and anything shaped like a credential
// (`Bearer ...`, `Basic ...`, `client_secret=...`, `"access_token":"..."`) become `****`.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace ato {

enum class LogFormat { Text, Json };

struct LogOptions {
  std::string level = "info";  // trace, debug, info, warn, error, off
  LogFormat format = LogFormat::Text;
  std::string name = "ato";  // shown in every line (e.g. "bridge", "sim")
};

// Installs the default spdlog logger writing to stderr. Safe to call again to change options.
// When stderr is the systemd journal (JOURNAL_STREAM names it), every line starts with its syslog
// priority (`<4>` for a warning), which journald takes off and keeps as the entry's priority.
void setup_logging(const LogOptions& options);

// True when stderr is connected to the systemd journal (systemd.exec(5), JOURNAL_STREAM).
bool stderr_is_journal();

std::optional<LogFormat> parse_log_format(std::string_view text);
bool is_valid_log_level(std::string_view text);

// A fact of a log line that a machine reads: in JSON lines it is a member of its own (README,
// "Log fields"); text lines say the same in their message.
struct LogField {
  std::string_view key;
  std::variant<std::string_view, std::int64_t> value;
};

// Logs `message` at `level` (spdlog's: 0 trace ... 5 critical) with `fields`. The fields reach the
// formatter through the calling thread while spdlog formats synchronously on it, so no coroutine or
// other thread can see another's fields.
void log_with_fields(int level, std::initializer_list<LogField> fields, std::string_view message);

// Every value registered here is masked in every log line from then on. Values shorter than four
// characters are not registered: masking them would mangle ordinary text and they are not secrets
// worth the name. Secret's constructor registers its value.
void register_secret_for_redaction(std::string_view value);

// Masks registered secrets and credential-shaped text. Used by the log formatter, and by anything
// else that prints text that might come from outside (e.g. an HTTP response body in an error).
std::string redact(std::string_view text);

}  // namespace ato
