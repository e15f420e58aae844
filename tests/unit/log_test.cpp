#include <doctest/doctest.h>

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <sstream>

#include "core/json_reader.hpp"
#include "core/log.hpp"
#include "core/secret.hpp"
#include "core/time.hpp"
#include "tests/support/process.hpp"

using namespace ato;

TEST_CASE("registered secrets are masked wherever they appear") {
  const Secret secret("Registered-Secret-Value-77");
  CHECK(redact("token request with Registered-Secret-Value-77 failed") == "token request with **** failed");
  CHECK(redact("xRegistered-Secret-Value-77Registered-Secret-Value-77") == "x********");
  CHECK(secret.redacted() == "****");
  CHECK(Secret().redacted().empty());
}

TEST_CASE("credential-shaped text is masked even when never registered") {
  CHECK(redact("Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln") ==
        "Authorization: Bearer ****");
  CHECK(redact("authorization: basic dXNlcjpwYXNz") == "authorization: basic ****");
  CHECK(redact(R"({"access_token":"abc.def.ghi","expires_in":43199})") ==
        R"({"access_token":"****","expires_in":43199})");
  CHECK(redact("grant_type=client_credentials&client_secret=abc123&x=1") ==
        "grant_type=client_credentials&client_secret=****&x=1");
  CHECK(redact(R"("clientsecret": "k3y")") == R"("clientsecret": "****")");
  CHECK(redact(R"(\"password\":\"pw\")") == R"(\"password\":\"****\")");
}

TEST_CASE("ordinary prose is left readable") {
  CHECK(redact("HTTP Basic authentication failed") == "HTTP Basic authentication failed");
  CHECK(redact("expected a bearer token") == "expected a bearer token");
  CHECK(redact("password_env names the variable") == "password_env names the variable");
  CHECK(redact("key.json: uaa.clientsecret: missing (expected string)") ==
        "key.json: uaa.clientsecret: missing (expected string)");
  CHECK(redact("") == "");
}

namespace {

// What `log` writes to stderr, once as JSON lines and once as text (in that order).
template <typename F>
std::string logged_both_ways(F log) {
  test::TempDir dir;
  const auto path = dir / "stderr.log";
  const int saved = dup(STDERR_FILENO);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  dup2(fd, STDERR_FILENO);
  close(fd);
  for (LogFormat format : {LogFormat::Json, LogFormat::Text}) {
    setup_logging({"info", format, "test"});
    log();
  }
  dup2(saved, STDERR_FILENO);
  close(saved);
  setup_logging({});
  return test::read_text(path);
}

}  // namespace

TEST_CASE("log lines, text and JSON, carry no secret") {
  const Secret secret("Json-Log-Secret-123456");
  const std::string out = logged_both_ways([&] {
    spdlog::info(
        "push for {} failed; Authorization: Bearer eyJabc.def.ghi; body {{\"access_token\":\"tok.en\"}}\n"
        "\"quoted\" next line",
        secret.reveal());
    spdlog::debug("below the level: not written");
  });
  CAPTURE(out);
  const auto json_line = out.substr(0, out.find('\n'));
  simdjson::dom::parser parser;
  const auto line = parse_json(parser, json_line);  // one JSON object on one line
  CHECK(std::string(line["level"].get_string().value()) == "info");
  CHECK(std::string(line["logger"].get_string().value()) == "test");
  CHECK(parse_iso8601_utc(line["ts"].get_string().value()).has_value());
  const std::string msg(line["msg"].get_string().value());
  CHECK(msg.find("\"quoted\" next line") != std::string::npos);  // escaped in the line, intact in the field
  for (const std::string& text : {msg, out}) {
    CHECK(text.find("Json-Log-Secret-123456") == std::string::npos);
    CHECK(text.find("eyJabc") == std::string::npos);
    CHECK(text.find("tok.en") == std::string::npos);
  }
  CHECK(out.find("below the level") == std::string::npos);
  CHECK(out.find(" info  [test] push for **** failed") != std::string::npos);  // the text line
}

TEST_CASE("structured fields are members of JSON lines, text lines keep the message, secrets stay masked") {
  const Secret secret("Field-Secret-987654");
  const std::string out = logged_both_ways([&] {
    log_with_fields(
        spdlog::level::warn,
        {{"tenant", "S4T~100"}, {"service", "import"}, {"http_status", 503}, {"error", secret.reveal()}},
        "S4T~100 import: 3 events will be retried");
    spdlog::info("a line without fields");  // the fields of the line before do not stick
  });
  CAPTURE(out);
  std::istringstream lines(out);
  std::string first, second, text;
  std::getline(lines, first);
  std::getline(lines, second);
  std::getline(lines, text);
  simdjson::dom::parser parser;
  const auto with_fields = parse_json(parser, first);
  CHECK(std::string(with_fields["level"].get_string().value()) == "warn");
  CHECK(std::string(with_fields["tenant"].get_string().value()) == "S4T~100");
  CHECK(std::string(with_fields["service"].get_string().value()) == "import");
  CHECK(with_fields["http_status"].get_int64().value() == 503);
  CHECK(std::string(with_fields["error"].get_string().value()) == "****");
  simdjson::dom::parser other;
  const auto without = parse_json(other, second);
  CHECK(without["tenant"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(text.find(" warn  [test] S4T~100 import: 3 events will be retried") != std::string::npos);
  CHECK(out.find("Field-Secret") == std::string::npos);
}
