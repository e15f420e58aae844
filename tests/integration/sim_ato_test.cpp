// The fake ATO as the bridge's collector meets it: the real ato-sim on 127.0.0.1, real curl with
// TLS verification and Basic auth. Every feed page these tests read is validated against schema/.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "core/wire.hpp"
#include "tests/support/sim_process.hpp"

using namespace ato;
using namespace ato::test;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> kLandscape = {
    "--only", "ato",          "--generate-count",    "25", "--time-scale", "10000000", "--seed",
    "3",      "--start-time", "2026-11-20T08:00:00Z"};

std::vector<std::string> with(std::vector<std::string> base, std::vector<std::string> extra) {
  base.insert(base.end(), extra.begin(), extra.end());
  return base;
}

// Waits (bounded) until a --generate-count landscape has produced everything.
void wait_until_done(SimProcess& sim) {
  for (int i = 0; i < 400; ++i) {
    const auto r = sim.call({.path = "/sim/ato/stats", .to_ato = true});
    if (r.body.find("\"generator_done\":true") != std::string::npos) return;
    std::this_thread::sleep_for(25ms);
  }
  FAIL("the landscape did not finish in 10 s");
}

std::vector<AtoEvent> events_of(const std::vector<std::string>& pages, std::int64_t* head = nullptr) {
  std::vector<AtoEvent> events;
  for (const auto& body : pages) {
    auto page = parse_feed_page(body);
    if (head) *head = page.head_sequence;
    for (auto& e : page.events) events.push_back(std::move(e));
  }
  return events;
}

// Every tenant's feed from `query`: each tenant numbers its own events from 1, gap-free, and states
// its head. Returned in the order things happened (occurredAt), as one landscape.
std::vector<AtoEvent> landscape_events(SimProcess& sim, const std::string& query = "?$top=50") {
  std::vector<AtoEvent> all;
  for (const auto& tenant : sim.tenants()) {
    CAPTURE(tenant.name);
    std::int64_t head = 0;
    auto events = events_of(sim.feed_pages(query, tenant.name), &head);
    CHECK(head == static_cast<std::int64_t>(events.size()));
    for (std::size_t i = 0; i < events.size(); ++i) {
      CHECK(events[i].sequence == static_cast<std::int64_t>(i + 1));
      CHECK(events[i].source.key() == tenant.name);  // an event belongs to the tenant where it happens
    }
    for (auto& e : events) all.push_back(std::move(e));
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const AtoEvent& a, const AtoEvent& b) { return a.occurred_at < b.occurred_at; });
  return all;
}

std::string history(SimProcess& sim) {
  return sim.call({.path = "/sim/ato/history.ndjson", .to_ato = true}).body;
}

}  // namespace

TEST_CASE("a generated landscape's lifecycle is consistent") {
  SimProcess sim(kLandscape);
  wait_until_done(sim);
  REQUIRE(sim.tenants().size() == 4);  // development 080 and 100, test, production: a feed each
  const auto events = landscape_events(sim);
  REQUIRE(!events.empty());

  std::map<std::string, std::vector<const AtoEvent*>> by_transport;
  for (const auto& e : events) by_transport[e.transport_id].push_back(&e);
  CHECK(by_transport.size() == 25);
  int production_imports = 0;
  for (const auto& [id, list] : by_transport) {
    CAPTURE(id);
    REQUIRE(list.front()->service == Service::Export);  // every import follows its export
    CHECK(std::count_if(list.begin(), list.end(), [](auto* e) { return e->service == Service::Export; }) ==
          1);
    bool test_ok = false, approval_pending = false, rejected = false, forwarded = false;
    for (const AtoEvent* e : list) {
      if (const auto* i = std::get_if<ImportDetails>(&e->details)) {
        const bool prod = i->target.sid == "S4P";
        if (prod) {
          ++production_imports;
          CHECK(test_ok);  // production follows a successful test import...
          CHECK(forwarded);
          CHECK_FALSE(approval_pending);  // ...that was approved, or needed no approval
          CHECK_FALSE(rejected);
        } else if (i->result != ImportResult::Error) {
          test_ok = true;
        }
      } else if (const auto* s = std::get_if<StatusChangeDetails>(&e->details)) {
        if (s->status_type == StatusType::Quality) {
          approval_pending = s->new_status == "OPEN";
          rejected = rejected || s->new_status == "REJECTED";
        }
        if (s->status_type == StatusType::Forward) {
          CHECK(test_ok);
          CHECK_FALSE(rejected);
          forwarded = true;
        }
      }
    }
  }
  CHECK(production_imports > 0);
  const auto problems = sim.validate_kept_documents();
  CHECK_MESSAGE(problems.empty(), problems);
}

TEST_CASE("the same seed and start time give a byte-identical history") {
  std::string first, second, other;
  {
    SimProcess a(kLandscape);
    wait_until_done(a);
    first = history(a);
  }
  {
    SimProcess b(kLandscape);
    wait_until_done(b);
    second = history(b);
  }
  {
    auto args = kLandscape;
    args[6 + 1] = "4";  // another seed
    SimProcess c(args);
    wait_until_done(c);
    other = history(c);
  }
  CHECK(first.size() > 1000);
  CHECK(first == second);
  CHECK(first != other);
}

TEST_CASE("paging and filtering work across page boundaries") {
  SimProcess sim(kLandscape);
  wait_until_done(sim);
  const std::string tenant = "S4T~100";  // imports and status changes happen here
  const auto all = events_of(sim.feed_pages("?$top=5000", tenant));
  for (Service service : {Service::Import, Service::StatusChange}) {
    CAPTURE(to_string(service));
    std::vector<std::int64_t> want;
    for (const auto& e : all)
      if (e.service == service && e.sequence > 10) want.push_back(e.sequence);
    const auto pages = sim.feed_pages("?$filter=service%20eq%20'" + std::string(to_string(service)) +
                                          "'%20and%20sequence%20gt%2010&$top=3&$count=true",
                                      tenant);
    REQUIRE(want.size() > 6);
    CHECK(pages.size() >= want.size() / 3);
    std::vector<std::int64_t> got;
    for (const auto& e : events_of(pages)) {
      CHECK(e.service == service);
      got.push_back(e.sequence);
    }
    CHECK(got == want);
    CHECK(parse_feed_page(pages.front()).count == static_cast<std::int64_t>(want.size()));
  }
  const auto problems = sim.validate_kept_documents();
  CHECK_MESSAGE(problems.empty(), problems);
}

TEST_CASE("wrong credentials get 401 and an unknown filter 400, with OData error bodies") {
  SimProcess sim(kLandscape);
  auto r = sim.call({.path = sim.feed_path(),
                     .basic_user = "CALM_COMM_USER:wrong",
                     .schema = "odata-error",
                     .to_ato = true});
  CHECK(r.status == 401);
  CHECK(r.headers.count("www-authenticate") == 1);
  r = sim.call({.path = sim.feed_path(), .schema = "odata-error", .to_ato = true});
  CHECK(r.status == 401);
  r = sim.call({.path = sim.feed_path() + "?$filter=owner%20eq%20'x'",
                .basic_user = sim.ato_credentials(),
                .schema = "odata-error",
                .to_ato = true});
  CHECK(r.status == 400);
  CHECK(parse_odata_error(r.body).target == "$filter");
  r = sim.call({.path = sim.feed_path() + "?$filter=service%20eq%20'RETRY'",
                .basic_user = sim.ato_credentials(),
                .schema = "odata-error",
                .to_ato = true});
  CHECK(r.status == 400);
  r = sim.call({.path = sim.feed_path() + "?$top=0",
                .basic_user = sim.ato_credentials(),
                .schema = "odata-error",
                .to_ato = true});
  CHECK(r.status == 400);
  CHECK(parse_odata_error(r.body).target == "$top");
  // Each tenant has its own user: another tenant's credentials are wrong here.
  r = sim.call({.path = sim.feed_path("S4T~100"),
                .basic_user = sim.ato_credentials(),
                .schema = "odata-error",
                .to_ato = true});
  CHECK(r.status == 401);
  // The feed of no tenant: a 404 that says where the tenants' feeds are.
  r = sim.call({.path = "/sap/opu/odata4/ato/feed/v1/Events", .schema = "odata-error", .to_ato = true});
  CHECK(r.status == 404);
  CHECK(parse_odata_error(r.body).message.find("/tenants/S4P~100/") != std::string::npos);
  const auto problems = sim.validate_kept_documents();
  CHECK_MESSAGE(problems.empty(), problems);
}

TEST_CASE("during an upgrade window the feed answers 503 with SAP's message") {
  SimProcess sim(with(kLandscape, {"--faults", "ato.feed:upgrade-window=0s..1500ms"}));
  auto r = sim.call({.path = sim.feed_path(),
                     .basic_user = sim.ato_credentials(),
                     .schema = "odata-error",
                     .to_ato = true});
  CHECK(r.status == 503);
  CHECK(parse_odata_error(r.body).message ==
        "Development function currently not available due to upgrade preparation");
  CHECK(r.headers.count("retry-after") == 1);
  std::this_thread::sleep_for(1600ms);
  r = sim.call(
      {.path = sim.feed_path(), .basic_user = sim.ato_credentials(), .schema = "feed-page", .to_ato = true});
  CHECK(r.status == 200);
  const auto problems = sim.validate_kept_documents();
  CHECK_MESSAGE(problems.empty(), problems);
}

TEST_CASE("a replay at --speed max serves exactly the recording; bad lines are reported by number") {
  TempDir dir;
  std::string recording;
  {
    SimProcess source(kLandscape);
    wait_until_done(source);
    recording = history(source);
  }
  write_text(dir / "recording.ndjson", recording);
  {
    SimProcess replay({"--only", "ato", "--replay", (dir / "recording.ndjson").string(), "--speed", "max"});
    CHECK(history(replay) == recording);
    const auto events = landscape_events(replay, "?$top=40");
    CHECK(events.size() == static_cast<std::size_t>(std::count(recording.begin(), recording.end(), '\n')));
    const auto problems = replay.validate_kept_documents();
    CHECK_MESSAGE(problems.empty(), problems);
  }
  // Line 3 broken: skipped and reported with its number, or the start aborts.
  std::string broken = recording;
  std::size_t line_start = 0;
  for (int i = 0; i < 2; ++i) line_start = broken.find('\n', line_start) + 1;
  broken.insert(line_start, "{\"not\":\"an event\"}\n");
  write_text(dir / "broken.ndjson", broken);
  {
    SimProcess replay({"--only", "ato", "--replay", (dir / "broken.ndjson").string(), "--speed", "max"});
    CHECK(history(replay) == recording);
    CHECK(replay.log().find("broken.ndjson line 3: service: missing") != std::string::npos);
  }
  const auto r = run_process({ATO_SIM_BIN, "serve", "--only", "ato", "--replay",
                              (dir / "broken.ndjson").string(), "--on-bad-line", "abort"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("line 3") != std::string::npos);
}

TEST_CASE("the lifecycle mix follows the configured rates") {
  // Every test import fails once (and is re-imported), every approval is rejected: no production import.
  SimProcess sim({"--only", "ato", "--generate-count", "10", "--time-scale", "10000000", "--start-time",
                  "2026-11-20T08:00:00Z", "--import-failure-rate", "1", "--approval-rate", "1",
                  "--rejection-rate", "1"});
  wait_until_done(sim);
  int failed = 0, rejected = 0, production = 0;
  for (const auto& e : landscape_events(sim, "?$top=500")) {
    if (const auto* i = std::get_if<ImportDetails>(&e.details)) {
      failed += i->result == ImportResult::Error;
      production += i->target.sid == "S4P";
    } else if (const auto* s = std::get_if<StatusChangeDetails>(&e.details)) {
      rejected += s->new_status == "REJECTED";
    }
  }
  CHECK(failed == 20);  // two failed attempts each, the third always passes
  CHECK(rejected == 10);
  CHECK(production == 0);
}

TEST_CASE("injected events take the next sequences and appear in the feed") {
  SimProcess sim({"--only", "ato", "--generate-count", "1", "--time-scale", "10000000", "--start-time",
                  "2026-11-20T08:00:00Z"});
  wait_until_done(sim);
  const auto before = events_of(sim.feed_pages("?$top=100"));
  AtoEvent e = before.front();
  e.event_id = "11111111-2222-4333-8444-555555555555";
  e.transport_id = "S4DK912345";
  auto r =
      sim.call({.method = "POST", .path = "/sim/ato/events", .body = "[" + to_json(e) + "]", .to_ato = true});
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(r.body == "{\"sequences\":[" + std::to_string(before.size() + 1) + "]}");
  const auto after = events_of(sim.feed_pages("?$filter=sequence%20gt%20" + std::to_string(before.size())));
  REQUIRE(after.size() == 1);
  CHECK(after[0].event_id == e.event_id);
  // An event of a system that is no tenant of the landscape is refused, naming it.
  e.event_id = "11111111-2222-4333-8444-555555555556";
  e.source = {"S4X", "100"};
  r = sim.call({.method = "POST",
                .path = "/sim/ato/events",
                .body = "[" + to_json(e) + "]",
                .schema = "odata-error",
                .to_ato = true});
  CHECK(r.status == 400);
  CHECK(parse_odata_error(r.body).message.find("S4X~100") != std::string::npos);
  r = sim.call(
      {.method = "POST", .path = "/sim/ato/events", .body = "[{}]", .schema = "odata-error", .to_ato = true});
  CHECK(r.status == 400);
}

// An OData v4 service: `$metadata` is well-formed EDMX naming what the feed serves, and every answer
// carries OData-Version, errors included.
TEST_CASE("each tenant's feed serves $metadata as EDMX and says OData-Version 4.0") {
  SimProcess sim(kLandscape);
  std::string metadata_path = sim.feed_path();
  metadata_path.replace(metadata_path.rfind("Events"), 6, "$metadata");
  auto r = sim.call({.path = metadata_path, .basic_user = sim.ato_credentials(), .to_ato = true});
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"].starts_with("application/xml"));
  CHECK(r.headers["odata-version"] == "4.0");
  TempDir dir;
  write_text(dir / "metadata.xml", r.body);
  const auto parsed = run_process(
      {"/usr/bin/python3", "-c",
       "import sys, xml.etree.ElementTree as ET\n"
       "ns = {'edmx': 'http://docs.oasis-open.org/odata/ns/edmx', 'edm': "
       "'http://docs.oasis-open.org/odata/ns/edm'}\n"
       "root = ET.parse(sys.argv[1]).getroot()\n"
       "assert root.tag == '{http://docs.oasis-open.org/odata/ns/edmx}Edmx' and root.get('Version') == "
       "'4.0'\n"
       "sets = [s.get('Name') for s in root.iterfind('.//edm:EntityContainer/edm:EntitySet', ns)]\n"
       "props = [p.get('Name') for p in root.iterfind(\".//edm:EntityType[@Name='Event']/edm:Property\", "
       "ns)]\n"
       "print(' '.join(sets)); print(' '.join(props))\n",
       (dir / "metadata.xml").string()});
  REQUIRE_MESSAGE(parsed.exit_code == 0, parsed.err);
  CHECK(parsed.out.find("Events Systems") != std::string::npos);
  for (const char* field :
       {"eventId", "service", "sequence", "occurredAt", "source", "transportId", "target"})
    CHECK(parsed.out.find(field) != std::string::npos);
  // Without the tenant's credentials: 401, also as OData.
  r = sim.call({.path = metadata_path, .to_ato = true});
  CHECK(r.status == 401);
  CHECK(r.headers["odata-version"] == "4.0");
  r = sim.call({.path = sim.feed_path(), .basic_user = sim.ato_credentials(), .to_ato = true});
  CHECK(r.headers["odata-version"] == "4.0");
}
