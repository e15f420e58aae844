// The C++ parsers against schema/examples/: every valid example is accepted, every invalid one is
// rejected with exactly the error expected-errors.json gives (field path and problem).
#include <doctest/doctest.h>

#include <filesystem>
#include <functional>
#include <map>

#include "bridge/loadtest/report.hpp"
#include "core/json_reader.hpp"
#include "core/lms.hpp"
#include "core/service_key.hpp"
#include "core/wire.hpp"
#include "tests/support/process.hpp"

namespace fs = std::filesystem;
using namespace ato;

namespace {

const fs::path kExamples = fs::path(ATO_SOURCE_DIR) / "schema" / "examples";

using Parser = std::function<void(std::string_view)>;

// Longest schema name first, so push-package-export.* belongs to push-package, not to a shorter name.
const std::vector<std::pair<std::string, Parser>>& parsers() {
  static const std::vector<std::pair<std::string, Parser>> table = {
      {"transports-page", [](std::string_view j) { parse_transports_page(j); }},
      {"recording-line", [](std::string_view j) { parse_recording_line(j); }},
      {"sim-stats", [](std::string_view j) { parse_sim_stats(j); }},
      {"lms-request", [](std::string_view j) { parse_lms_request(j, false); }},
      {"loadtest-report", [](std::string_view j) { bridge::parse_loadtest_report(j); }},
      {"lms-registration", [](std::string_view j) { parse_lms_registration(j); }},
      {"lms-systems", [](std::string_view j) { parse_lms_systems(j); }},
      {"ato-systems", [](std::string_view j) { parse_ato_systems(j); }},
      {"token-response", [](std::string_view j) { parse_token_response(j); }},
      {"push-response", [](std::string_view j) { parse_push_response(j); }},
      {"push-package", [](std::string_view j) { parse_push_package(j); }},
      {"odata-error", [](std::string_view j) { parse_odata_error(j); }},
      {"service-key", [](std::string_view j) { parse_service_key(j); }},
      {"token-error", [](std::string_view j) { parse_token_error(j); }},
      {"feed-page", [](std::string_view j) { parse_feed_page(j); }},
      {"ato-event", [](std::string_view j) { parse_event_json(j); }},
  };
  return table;
}

const Parser* parser_for(const std::string& file) {
  for (const auto& [name, parser] : parsers())
    if (file.rfind(name + ".", 0) == 0 || file.rfind(name + "-", 0) == 0) return &parser;
  return nullptr;
}

std::map<std::string, std::string> expected_errors() {
  simdjson::dom::parser parser;
  const std::string text = test::read_text(kExamples / "expected-errors.json");
  std::map<std::string, std::string> out;
  const simdjson::dom::object object = parse_json(parser, text).get_object().value();
  for (auto [key, value] : object) out[std::string(key)] = std::string(value.get_string().value());
  return out;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

TEST_CASE("the C++ parsers accept exactly the valid examples and reject the invalid ones by path") {
  const auto expected = expected_errors();
  int valid = 0, invalid = 0;
  for (const auto& entry : fs::directory_iterator(kExamples)) {
    const std::string name = entry.path().filename().string();
    if (name == "expected-errors.json") continue;
    CAPTURE(name);
    const Parser* parse = parser_for(name);
    REQUIRE_MESSAGE(parse != nullptr, "no C++ parser for " << name);
    const std::string json = test::read_text(entry.path());
    if (ends_with(name, ".valid.json")) {
      CHECK_NOTHROW((*parse)(json));
      ++valid;
    } else {
      REQUIRE(ends_with(name, ".invalid.json"));
      REQUIRE(expected.count(name) == 1);
      const std::string& want = expected.at(name);
      std::string got = "(accepted)";
      try {
        (*parse)(json);
      } catch (const JsonError& e) {
        got = e.what();
      }
      // A syntax error's detail comes from simdjson; there the expected text is a prefix.
      if (ends_with(want, ": "))
        CHECK(got.rfind(want, 0) == 0);
      else
        CHECK(got == want);
      ++invalid;
    }
  }
  CHECK(valid >= 9);
  CHECK(invalid >= 9);
  CHECK(static_cast<std::size_t>(invalid) == expected.size());
}
