#include <doctest/doctest.h>

#include <algorithm>
#include <boost/uuid/string_generator.hpp>

#include "core/event.hpp"
#include "core/json_reader.hpp"
#include "core/wire.hpp"

using namespace ato;

namespace {

AtoEvent export_event() {
  AtoEvent e;
  e.event_id = "0b7e7d2c-3c1e-4f55-9f1a-5d2b8c6e4a10";
  e.service = Service::Export;
  e.sequence = 1041;
  e.occurred_at = 1795313841123;
  e.source = {"S4D", "080"};
  e.transport_id = "S4DK900123";
  e.details = ExportDetails{RequestKind::SoftwareCollection, "Pricing 2027", "CB9980000123", 1795313840000,
                            CollectionVersion{"ZPRICING", 3, ExportType::Hotfix}};
  return e;
}

AtoEvent import_event() {
  AtoEvent e = export_event();
  e.event_id = "9a1c2e3f-4b5d-4e6f-8a7b-0c1d2e3f4a5b";
  e.service = Service::Import;
  e.source = {"S4T", "100"};
  e.details = ImportDetails{{"S4T", "100"}, ImportType::Automatic, ImportResult::Error, 12,
                            1795313841000,  1795313842000};
  return e;
}

AtoEvent status_event() {
  AtoEvent e = export_event();
  e.event_id = "c4d5e6f7-0809-4a1b-9c2d-3e4f5a6b7c8d";
  e.service = Service::StatusChange;
  e.details = StatusChangeDetails{StatusType::ImportQueue, std::nullopt, "READY_FOR_IMPORT", "SAP_SYSTEM",
                                  SystemRef{"S4P", "100"}};
  return e;
}

void check_round_trip(const AtoEvent& event) {
  const std::string json = to_json(event);
  CAPTURE(json);
  const AtoEvent back = parse_event_json(json);
  CHECK(back == event);
  CHECK(to_json(back) == json);  // serialisation is canonical: same event, same bytes
}

}  // namespace

TEST_CASE("each service's event round-trips exactly") {
  check_round_trip(export_event());
  check_round_trip(import_event());
  check_round_trip(status_event());
  auto workbench = export_event();
  std::get<ExportDetails>(workbench.details).kind = RequestKind::Workbench;
  std::get<ExportDetails>(workbench.details).collection.reset();
  check_round_trip(workbench);
  auto quality = status_event();
  quality.details =
      StatusChangeDetails{StatusType::Quality, "OPEN", "REJECTED", "CB9980000789", std::nullopt};
  check_round_trip(quality);
}

TEST_CASE("free text with Unicode, control characters and great length round-trips") {
  auto e = export_event();
  auto& d = std::get<ExportDetails>(e.details);
  std::string controls;
  for (int c = 1; c < 0x20; ++c) controls += static_cast<char>(c);
  for (const std::string& title :
       {std::string("Überarbeitung \"Kundenauftrag\" \\ 顧客注文 😀"), controls, std::string("a\0b", 3),
        std::string(1 << 20, 'T') + "😀", std::string("\u2028\u2029 line separators")}) {
    d.title = title;
    d.owner = title;
    check_round_trip(e);
  }
}

TEST_CASE("escaped input (\\u sequences, surrogate pairs) is read as the same text") {
  auto e = export_event();
  std::string json = to_json(e);
  const std::string plain = "\"title\":\"Pricing 2027\"";
  json.replace(json.find(plain), plain.size(), R"("title":"\u00dcber \ud83d\ude00 \/ \u0041")");
  CHECK(std::get<ExportDetails>(parse_event_json(json).details).title == "Über 😀 / A");
}

TEST_CASE("numeric fields at the edges of their ranges") {
  auto e = import_event();
  for (std::int64_t sequence : {std::int64_t{1}, kMaxSequence}) {
    e.sequence = sequence;
    check_round_trip(e);
  }
  for (int rc : {0, 4, 8, 12}) {
    std::get<ImportDetails>(e.details).return_code = rc;
    check_round_trip(e);
  }
  for (EpochMillis t : {EpochMillis{0}, kMaxEpochMillis}) {
    e.occurred_at = t;
    std::get<ImportDetails>(e.details).started_at = t;
    check_round_trip(e);
  }
  auto x = export_event();
  for (std::int64_t version : {1, 999'999}) {
    std::get<ExportDetails>(x.details).collection->version = version;
    check_round_trip(x);
  }
  std::string json = to_json(x);
  json.replace(json.find("\"version\":999999"), 16, "\"version\":1000000");
  CHECK_THROWS_WITH_AS(parse_event_json(json), "collection.version: must be between 1 and 999999", JsonError);
  json = to_json(e);
  const auto seq = "\"sequence\":" + std::to_string(e.sequence);
  json.replace(json.find(seq), seq.size(), "\"sequence\":-1");
  CHECK_THROWS_WITH_AS(parse_event_json(json), "sequence: must be between 1 and 9007199254740991", JsonError);
  json.replace(json.find("\"sequence\":-1"), 13, "\"sequence\":1e3");
  CHECK_THROWS_WITH_AS(parse_event_json(json), "sequence: expected integer, got number", JsonError);
}

TEST_CASE("format checks of identifiers") {
  CHECK(is_valid_transport_id("S4HK901598"));
  CHECK_FALSE(is_valid_transport_id("S4HK801598"));
  CHECK_FALSE(is_valid_transport_id("S4HK9015981"));
  CHECK_FALSE(is_valid_transport_id("4SHK901598"));
  CHECK(is_valid_sid("S4H"));
  CHECK_FALSE(is_valid_sid("S4"));
  CHECK_FALSE(is_valid_sid("s4h"));
  CHECK(is_valid_client("080"));
  CHECK_FALSE(is_valid_client("80"));
  CHECK(parse_system_ref("S4H~100") == SystemRef{"S4H", "100"});
  CHECK_FALSE(parse_system_ref("S4H100").has_value());
  CHECK_FALSE(parse_system_ref("S4H~1000").has_value());
  CHECK(is_valid_event_id("0b7e7d2c-3c1e-4f55-9f1a-5d2b8c6e4a10"));
  CHECK_FALSE(is_valid_event_id("0B7E7D2C-3C1E-4F55-9F1A-5D2B8C6E4A10"));
  CHECK_FALSE(is_valid_event_id("0b7e7d2c3c1e4f559f1a5d2b8c6e4a10"));
}

TEST_CASE("an eventId's bytes are the UUID it spells") {
  for (const char* id : {"0b7e7d2c-3c1e-4f55-9f1a-5d2b8c6e4a10", "00000000-0000-0000-0000-000000000000",
                         "ffffffff-ffff-ffff-ffff-ffffffffffff", "9a1c2e3f-4b5d-4e6f-8a7b-0c1d2e3f4a5c"}) {
    CAPTURE(id);
    REQUIRE(is_valid_event_id(id));
    const auto bytes = event_id_bytes(id);
    const auto expected = boost::uuids::string_generator()(std::string(id));
    CHECK(std::equal(bytes.begin(), bytes.end(), expected.begin(), expected.end()));
  }
}

TEST_CASE("a push package, its response and a feed page round-trip") {
  PushPackage package{"7c9e6679-7425-40de-944b-e07fc1f90ae7",
                      Service::Import,
                      1795313841123,
                      {import_event(), import_event()}};
  package.events[1].event_id = "9a1c2e3f-4b5d-4e6f-8a7b-0c1d2e3f4a5c";
  const auto back = parse_push_package(to_json(package));
  CHECK(back.events == package.events);
  CHECK(back.package_id == package.package_id);
  CHECK(to_json(back) == to_json(package));

  PushResponse response{
      package.package_id,
      {{package.events[0].event_id, EventOutcome::Accepted, std::nullopt, std::nullopt},
       {package.events[1].event_id, EventOutcome::Rejected, "OUT_OF_ORDER", "older than 1041"}}};
  CHECK(to_json(parse_push_response(to_json(response))) == to_json(response));

  FeedPage page{
      {export_event(), status_event()}, 2000, "https://h/Events?$skiptoken=2", 17, "$metadata#Events"};
  page.events[1].sequence = 1042;
  CHECK(to_json(parse_feed_page(to_json(page))) == to_json(page));
  page.events[1].sequence = 1041;
  CHECK_THROWS_WITH_AS(parse_feed_page(to_json(page)),
                       "value[1].sequence: events must be in ascending sequence order", JsonError);
  page.events[1].sequence = 2001;
  CHECK_THROWS_WITH_AS(parse_feed_page(to_json(page)), "value[1].sequence: is above @ato.headSequence",
                       JsonError);
}
