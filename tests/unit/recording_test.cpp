// Recordings: read in sequence order whatever the order of the lines; bad lines reported by number.
#include <doctest/doctest.h>

#include "core/json_reader.hpp"
#include "core/lms.hpp"
#include "core/recording.hpp"
#include "core/wire.hpp"
#include "tests/support/process.hpp"

using namespace ato;

namespace {

std::string event_line(int sequence, char id_digit) {
  return std::string(R"({"eventId":"0b7e7d2c-3c1e-4f55-9f1a-5d2b8c6e4a1)") + id_digit +
         R"(","service":"EXPORT","sequence":)" + std::to_string(sequence) +
         R"(,"occurredAt":"2026-11-22T08:15:00.000Z","source":{"sid":"S4D","client":"080"},)"
         R"("transportId":"S4DK900001","kind":"WORKBENCH","title":"t","owner":"o","releasedAt":"2026-11-22T08:15:00.000Z"})";
}

}  // namespace

TEST_CASE(
    "a recording is read in sequence order; a repeated sequence and a bad line are reported by number") {
  test::TempDir dir;
  const auto file = dir / "r.ndjson";
  REQUIRE_NOTHROW(parse_recording_line(event_line(1, '0')));
  test::write_text(file, event_line(3, '3') + "\n" + event_line(1, '1') + "\n\nnot json\n" +
                             event_line(3, '4') + "\n" + event_line(2, '2') + "\n");
  const auto r = read_recording(file, OnBadLine::Skip);
  REQUIRE(r.events.size() == 3);
  CHECK(r.events[0].sequence == 1);
  CHECK(r.events[1].sequence == 2);
  CHECK(r.events[2].sequence == 3);
  REQUIRE(r.problems.size() == 2);
  CHECK(r.problems[0].find("line 4: not valid JSON") != std::string::npos);
  CHECK(r.problems[1].find("line 5: sequence 3 of S4D~080 appears again (first on line 1)") !=
        std::string::npos);
  CHECK_THROWS_WITH_AS(read_recording(file, OnBadLine::Abort), doctest::Contains("line 4: "), RecordingError);
}

// A recording of a landscape holds every tenant's events, each tenant numbering its own: the same
// sequence under two tenants is two events. Each tenant's stay in its order; the tenants' streams
// are merged by occurredAt (ties as the file has them), as a replay paces by occurredAt.
TEST_CASE("a recording of several tenants keeps each tenant's order and merges them by occurredAt") {
  std::vector<AtoEvent> events;
  const auto make = [&](const char* sid, const char* client, std::int64_t sequence, EpochMillis at, int id) {
    AtoEvent e = parse_recording_line(event_line(1, '0'));
    e.source = {sid, client};
    e.sequence = sequence;
    e.occurred_at = at;
    e.event_id = "0b7e7d2c-3c1e-4f55-9f1a-5d2b8c6e4a" + std::to_string(10 + id);
    return e;
  };
  // As a bridge records them: one service's poll after another, out of time order across tenants.
  events.push_back(make("S4T", "100", 2, 3000, 1));
  events.push_back(make("S4D", "080", 1, 1000, 2));
  events.push_back(make("S4T", "100", 1, 2000, 3));
  events.push_back(make("S4D", "080", 2, 3000, 4));
  events.push_back(make("S4P", "100", 1, 2000, 5));
  const auto ordered = in_feed_order(events);
  std::vector<std::string> got;
  for (const auto& e : ordered) got.push_back(e.source.key() + "/" + std::to_string(e.sequence));
  CHECK(got == std::vector<std::string>{"S4D~080/1", "S4T~100/1", "S4P~100/1", "S4T~100/2", "S4D~080/2"});

  test::TempDir dir;
  const auto file = dir / "landscape.ndjson";
  std::string text;
  for (const auto& e : events) text += to_json(e) + "\n";
  test::write_text(file, text);
  const auto r = read_recording(file, OnBadLine::Skip);
  CHECK(r.problems.empty());
  CHECK(r.events.size() == 5);
}

TEST_CASE("Landscape Management service IDs and suffixes") {
  CHECK(lms_service_id({"S4D", "080"}, std::nullopt) == "ATO_S4D_080");
  CHECK(lms_service_id({"S4P", "100"}, std::string("QA1")) == "ATO_S4P_100_QA1");
  CHECK(is_valid_lms_suffix("QA1"));
  CHECK_FALSE(is_valid_lms_suffix(""));
  CHECK_FALSE(is_valid_lms_suffix("has space"));
  CHECK_FALSE(is_valid_lms_suffix(std::string(21, 'a')));
  const auto request = parse_lms_request(R"({"system":"S4T~100","role":"test","suffix":"X"})", true);
  CHECK(request.system.key() == "S4T~100");
  CHECK(to_json(request) == R"({"system":"S4T~100","role":"test","suffix":"X"})");
  CHECK_THROWS_WITH_AS(parse_lms_request(R"({"system":"S4T~100"})", true), doctest::Contains("role: missing"),
                       JsonError);
}
