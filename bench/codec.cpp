// bench/run codec: how much the strict event model costs over simdjson's raw parse.
// Reads the same NDJSON-like batch of events (a mix of the three services, ~400-600 bytes each)
//   (a) raw: simdjson DOM parse only, the physical floor of reading;
//   (b) parse: simdjson + strict parse_event (every field checked, paths on error);
//   (c) round trip: (b) + serialising the event back to JSON.
// Prints events/s for each and `ratio codec_parse_vs_simdjson <b/a>`, `ratio codec_roundtrip_vs_simdjson
// <c/a>`.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "core/event.hpp"
#include "core/json_reader.hpp"

using namespace ato;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::string> make_events(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    AtoEvent e;
    char id[40];
    std::snprintf(id, sizeof id, "%08x-0000-4000-8000-%012x", i, i * 7);
    e.event_id = id;
    e.sequence = i + 1;
    e.occurred_at = 1795313841123 + i;
    e.source = {"S4D", "080"};
    e.transport_id = "S4DK9" + std::to_string(10000 + i % 80000);
    switch (i % 3) {
      case 0:
        e.service = Service::Export;
        e.details = ExportDetails{RequestKind::SoftwareCollection,
                                  "Pricing conditions for the 2027 season, EMEA", "CB9980000123",
                                  e.occurred_at, CollectionVersion{"ZPRICING_2027", 3, ExportType::Standard}};
        break;
      case 1:
        e.service = Service::Import;
        e.details = ImportDetails{{"S4T", "100"}, ImportType::Automatic, ImportResult::Success, 0,
                                  e.occurred_at,  e.occurred_at + 5000};
        break;
      default:
        e.service = Service::StatusChange;
        e.details = StatusChangeDetails{StatusType::Quality, "OPEN", "APPROVED", "CB9980000789",
                                        SystemRef{"S4T", "100"}};
    }
    out.push_back(to_json(e));
  }
  return out;
}

template <typename F>
double events_per_second(const std::vector<std::string>& docs, F&& per_doc) {
  // Repeat for at least one second (and at least 3 passes) to smooth out noise.
  const auto start = Clock::now();
  std::size_t done = 0;
  for (int pass = 0; pass < 3 || Clock::now() - start < std::chrono::seconds(1); ++pass) {
    for (const auto& d : docs) per_doc(d);
    done += docs.size();
  }
  return done / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main() {
  const auto docs = make_events(30'000);
  std::size_t bytes = 0;
  for (const auto& d : docs) bytes += d.size();
  simdjson::dom::parser parser;
  std::size_t sink = 0;

  const double raw = events_per_second(
      docs, [&](const std::string& d) { sink += parser.parse(d).error() == simdjson::SUCCESS; });
  const double parsed = events_per_second(docs, [&](const std::string& d) {
    sink += parse_event(JsonObjectReader(parse_json(parser, d), "")).sequence;
  });
  const double round_trip = events_per_second(docs, [&](const std::string& d) {
    sink += to_json(parse_event(JsonObjectReader(parse_json(parser, d), ""))).size();
  });

  std::printf("events: %zu, average %zu bytes (checksum %zu)\n", docs.size(), bytes / docs.size(), sink % 10);
  std::printf("simdjson parse only:       %12.0f events/s\n", raw);
  std::printf("strict parse_event:        %12.0f events/s\n", parsed);
  std::printf("parse_event + to_json:     %12.0f events/s\n", round_trip);
  std::printf("ratio codec_parse_vs_simdjson %.3f\n", parsed / raw);
  std::printf("ratio codec_roundtrip_vs_simdjson %.3f\n", round_trip / raw);
}
