#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <array>
#include <random>
#include <set>
#include <thread>

#include "bridge/outbox/outbox.hpp"
#include "schema/outbox_migrations.hpp"
#include "tests/support/process.hpp"

using namespace ato;
using namespace ato::bridge;
using namespace std::chrono_literals;

namespace {
// The tenant every event of this file belongs to (schema/outbox/009).
const std::string kTenant = "default";

constexpr EpochMillis kT0 = 1'800'000'000'000;

std::string uuid_for(std::int64_t n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012llx", static_cast<unsigned long long>(n));
  return buf;
}

NewEvent event(Service service, std::int64_t sequence, std::string transport = "S4DK900001") {
  return NewEvent{uuid_for(sequence),   service,   sequence,
                  std::move(transport), "S4D~080", "{\"sequence\":" + std::to_string(sequence) + "}"};
}

struct Fixture {
  test::TempDir dir;
  std::filesystem::path path = dir / "outbox.db";
  RetryPolicy policy;
  std::unique_ptr<Outbox> outbox;
  std::size_t window_capacity = OutboxOptions{}.window_capacity;

  Fixture() { reopen(); }
  void reopen(std::int64_t max_size = 0) {
    outbox.reset();
    OutboxOptions options;
    options.path = path;
    options.max_size_bytes = max_size;
    options.jitter = [] { return 0.0; };
    options.window_capacity = window_capacity;
    outbox = std::make_unique<Outbox>(std::move(options));
  }
  Outbox& box() { return *outbox; }

  ClaimedPackage claim(Service service, ClaimFrom from = ClaimFrom::Pending, EpochMillis now = kT0,
                       int max = 100, std::int64_t watermark = kMaxSequence) {
    ClaimRequest r;
    r.service = service;
    r.from = from;
    r.now = now;
    r.max_events = max;
    r.watermark = watermark;
    return box().claim(r);
  }

  std::vector<std::int64_t> sequences(const ClaimedPackage& p) {
    std::vector<std::int64_t> out;
    for (const auto& e : p.events) out.push_back(e.sequence);
    return out;
  }

  std::int64_t count(EventState s) { return box().counts().total(s); }

  // Reads one column of one event straight from the file, to see what a restarted bridge would.
  std::string column(const std::string& event_id, const std::string& col) {
    sqlite3* db = nullptr;
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, ("SELECT " + col + " FROM events WHERE event_id = ?").c_str(), -1, &stmt, nullptr);
    sqlite3_bind_text(stmt, 1, event_id.c_str(), -1, SQLITE_TRANSIENT);
    std::string out = "(no row)";
    if (sqlite3_step(stmt) == SQLITE_ROW)
      out =
          sqlite3_column_text(stmt, 0) ? reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)) : "NULL";
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
  }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "opening creates a private file with the latest schema, and is repeatable") {
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(box().schema_version() == Outbox::latest_schema_version());
  CHECK(Outbox::latest_schema_version() >= 1);
  box().enqueue(kTenant, Service::Export, {event(Service::Export, 1)}, 1, kT0);
  reopen();
  CHECK(box().schema_version() == Outbox::latest_schema_version());
  CHECK(count(EventState::Pending) == 1);
}

TEST_CASE_FIXTURE(Fixture, "a database from a newer ato-bridge is refused with a clear error") {
  outbox.reset();
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA user_version = 999", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  CHECK_THROWS_WITH_AS(reopen(), doctest::Contains("schema version 999, written by a newer ato-bridge"),
                       OutboxError);
}

TEST_CASE_FIXTURE(Fixture, "enqueue is idempotent and moves the cursor with its events") {
  CHECK_FALSE(box().cursor(kTenant, Service::Export).has_value());
  auto r =
      box().enqueue(kTenant, Service::Export, {event(Service::Export, 1), event(Service::Export, 2)}, 5, kT0);
  CHECK(r.inserted == 2);
  CHECK(r.duplicates == 0);
  CHECK(box().cursor(kTenant, Service::Export) == 5);
  r = box().enqueue(kTenant, Service::Export, {event(Service::Export, 2), event(Service::Export, 3)}, 7, kT0);
  CHECK(r.inserted == 1);
  CHECK(r.duplicates == 1);
  CHECK(count(EventState::Pending) == 3);
  box().enqueue(kTenant, Service::Export, {}, 4, kT0);  // a cursor never goes backwards
  CHECK(box().cursor(kTenant, Service::Export) == 7);
  CHECK_THROWS_AS(box().enqueue(kTenant, Service::Export, {event(Service::Export, 9)}, 8, kT0),
                  std::invalid_argument);
  CHECK_THROWS_AS(box().enqueue(kTenant, Service::Import, {event(Service::Export, 9)}, 9, kT0),
                  std::invalid_argument);
  CHECK(box().cursor(kTenant, Service::Export) == 7);
  CHECK(count(EventState::Pending) == 3);
}

TEST_CASE_FIXTURE(Fixture,
                  "one eventId with other content is a dead letter EVENT_ID_CONFLICT, never delivered") {
  box().enqueue(kTenant, Service::Export, {event(Service::Export, 1)}, 1, kT0);
  reopen();  // what is stored is known after a restart too
  // The feed serves the same eventId again under sequence 2, with other content.
  NewEvent again = event(Service::Export, 2);
  again.event_id = uuid_for(1);
  auto r = box().enqueue(kTenant, Service::Export, {again, event(Service::Export, 3, "S4DK900003")}, 3, kT0);
  CHECK(r.inserted == 1);
  CHECK(r.dead == 1);
  REQUIRE(r.dead_reasons.size() == 1);
  CHECK(r.dead_reasons[0].starts_with("EVENT_ID_CONFLICT: eventId " + uuid_for(1) +
                                      " is stored with sequence 1"));
  CHECK(count(EventState::Dead) == 1);
  CHECK(box().cursor(kTenant, Service::Export) == 3);
  // Only the two real events are ever claimed; the conflict never reaches Cloud ALM.
  const auto p = claim(Service::Export);
  REQUIRE(p.events.size() == 2);
  CHECK(p.events[0].sequence == 1);
  CHECK(p.events[1].sequence == 3);
  const auto dead = box().dead_letters({});
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].sequence == 2);
  CHECK(dead[0].reason.starts_with("EVENT_ID_CONFLICT"));
  // A re-read of the same page changes nothing.
  r = box().enqueue(kTenant, Service::Export, {again, event(Service::Export, 3, "S4DK900003")}, 3, kT0);
  CHECK(r.duplicates == 2);
  CHECK(r.dead == 0);
  // Twice in one page: the second is the conflict.
  NewEvent twin = event(Service::Export, 5);
  twin.event_id = uuid_for(4);
  r = box().enqueue(kTenant, Service::Export, {event(Service::Export, 4), twin}, 5, kT0);
  CHECK(r.inserted == 1);
  CHECK(r.dead == 1);
  CHECK(r.dead_reasons[0].find("in the same page") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "other content under a stored sequence stores nothing and keeps the cursor") {
  box().enqueue(kTenant, Service::Export, {event(Service::Export, 1), event(Service::Export, 2)}, 2, kT0);
  NewEvent reset = event(Service::Export, 2);
  reset.event_id = "9f0e7d2c-3c1e-4f55-9f1a-5d2b8c6e4a10";  // a reset feed numbers anew
  CHECK_THROWS_WITH_AS(
      box().enqueue(kTenant, Service::Export, {event(Service::Export, 3), reset}, 4, kT0),
      doctest::Contains(("sequence 2 of tenant default is stored as eventId " + uuid_for(2)).c_str()),
      SequenceConflictError);
  NewEvent changed = event(Service::Export, 2);
  changed.payload = "{\"sequence\":2,\"title\":\"other\"}";
  CHECK_THROWS_WITH_AS(box().enqueue(kTenant, Service::Export, {changed}, 4, kT0),
                       doctest::Contains("with other content"), SequenceConflictError);
  CHECK(box().cursor(kTenant, Service::Export) == 2);
  CHECK(count(EventState::Pending) == 2);  // event 3 of the refused page was not stored either
  CHECK(box().enqueue(kTenant, Service::Export, {event(Service::Export, 3)}, 3, kT0).inserted == 1);
}

TEST_CASE_FIXTURE(Fixture,
                  "an event over the size limit is a dead letter EVENT_TOO_LARGE, not a retry loop") {
  NewEvent huge = event(Service::Export, 1);
  huge.payload = "{\"title\":\"" + std::string(300 * 1024, 'x') + "\"}";
  const auto r = box().enqueue(kTenant, Service::Export, {huge, event(Service::Export, 2)}, 2, kT0);
  CHECK(r.inserted == 1);
  CHECK(r.dead == 1);
  CHECK(
      r.dead_reasons[0].starts_with("EVENT_TOO_LARGE: the event is 307212 bytes, over the limit of 262144"));
  CHECK(claim(Service::Export).events.size() == 1);
  CHECK(column(uuid_for(1), "attempts") == "0");
  CHECK(column(uuid_for(1), "json_extract(errors, '$[0].message')").starts_with("EVENT_TOO_LARGE"));
}

TEST_CASE_FIXTURE(Fixture, "a large batch is stored in chunks: duplicates skipped, payloads and order kept") {
  // 1..60 stored first; then 130 events in one call: 40..169 with 55 given twice. That is two
  // chunks of 50 (the first holds the 21 already stored, and 55 twice) and 30 one by one.
  std::vector<NewEvent> first;
  for (int i = 1; i <= 60; ++i)
    first.push_back(event(Service::Export, i, "S4DK9" + std::to_string(80000 + i)));
  CHECK(box().enqueue(kTenant, Service::Export, first, 60, kT0).inserted == 60);
  std::vector<NewEvent> second;
  for (int i = 40; i <= 169; ++i) {
    second.push_back(event(Service::Export, i, "S4DK9" + std::to_string(80000 + i)));
    if (i == 55) second.push_back(event(Service::Export, 55, "S4DK980055"));
  }
  REQUIRE(second.size() == 131);
  const auto r = box().enqueue(kTenant, Service::Export, second, 169, kT0 + 1);
  CHECK(r.inserted == 109);
  CHECK(r.duplicates == 22);
  CHECK(count(EventState::Pending) == 169);
  // Every stored event has its own payload, and the recording reads them back in storing order.
  std::vector<std::int64_t> sequences;
  std::int64_t last_id = 0;
  for (const auto& stored : box().stored_after(0, 1000)) {
    CHECK(stored.id > last_id);
    last_id = stored.id;
    const auto at = stored.payload.find(':');
    REQUIRE(at != std::string::npos);
    sequences.push_back(std::stoll(stored.payload.substr(at + 1)));
  }
  REQUIRE(sequences.size() == 169);
  for (std::size_t i = 0; i < sequences.size(); ++i) CHECK(sequences[i] == static_cast<std::int64_t>(i) + 1);
  CHECK(box().id_of_event(uuid_for(169), 169) == last_id);
  // And they leave as usual, each once.
  std::set<std::int64_t> claimed;
  for (int round = 0; round < 5; ++round) {
    const auto p = claim(Service::Export, ClaimFrom::Pending, kT0 + 2, 100);
    std::vector<Settlement> done;
    for (const auto& e : p.events) {
      CHECK(claimed.insert(e.sequence).second);
      CHECK(e.payload == "{\"sequence\":" + std::to_string(e.sequence) + "}");
      done.push_back(Settlement::done(e.id));
    }
    box().settle(p.lease_token, done, kT0 + 2, policy);
  }
  CHECK(claimed.size() == 169);
}

TEST_CASE_FIXTURE(Fixture, "claim takes due events oldest first, up to the package size, and leases them") {
  std::vector<NewEvent> batch;
  for (int i = 1; i <= 10; ++i)
    batch.push_back(event(Service::Export, i, "S4DK9" + std::to_string(10000 + i)));
  box().enqueue(kTenant, Service::Export, batch, 10, kT0);
  const auto first = claim(Service::Export, ClaimFrom::Pending, kT0, 4);
  CHECK(sequences(first) == std::vector<std::int64_t>{1, 2, 3, 4});
  CHECK(first.lease_expires_at == kT0 + 120'000);
  CHECK(first.events[0].payload == "{\"sequence\":1}");
  CHECK(first.events[0].source_system == "S4D~080");
  const auto second = claim(Service::Export, ClaimFrom::Pending, kT0, 100);
  CHECK(sequences(second) == std::vector<std::int64_t>{5, 6, 7, 8, 9, 10});
  CHECK(claim(Service::Export).events.empty());
  CHECK(claim(Service::Import).events.empty());  // other services are separate
  CHECK(count(EventState::InFlight) == 10);
  CHECK(first.lease_token != second.lease_token);
}

TEST_CASE_FIXTURE(Fixture,
                  "an event waits while an earlier event of its transport is open, whatever the service") {
  box().enqueue(kTenant, Service::Export,
                {event(Service::Export, 1, "S4DK900001"), event(Service::Export, 4, "S4DK900002")}, 10, kT0);
  box().enqueue(kTenant, Service::Import,
                {event(Service::Import, 2, "S4DK900001"), event(Service::Import, 5, "S4DK900003")}, 10, kT0);
  box().enqueue(kTenant, Service::StatusChange, {event(Service::StatusChange, 3, "S4DK900001")}, 10, kT0);

  CHECK(sequences(claim(Service::Import)) == std::vector<std::int64_t>{5});  // 2 waits for export 1
  CHECK(claim(Service::StatusChange).events.empty());                        // 3 waits for 1 and 2
  const auto exports = claim(Service::Export);
  CHECK(sequences(exports) == std::vector<std::int64_t>{1, 4});
  CHECK(claim(Service::Import).events.empty());  // 1 is in flight: still open
  box().settle(exports.lease_token, {Settlement::retry(exports.events[0].id, 503, "unavailable")}, kT0,
               policy);
  CHECK(claim(Service::Import).events.empty());  // 1 waits for retry: still open
  const auto retried = claim(Service::Export, ClaimFrom::Retryable, kT0 + 3'600'000);
  REQUIRE(sequences(retried) == std::vector<std::int64_t>{1});
  box().settle(retried.lease_token, {Settlement::done(retried.events[0].id)}, kT0, policy);
  const auto imports = claim(Service::Import);
  CHECK(sequences(imports) == std::vector<std::int64_t>{2});
  box().settle(imports.lease_token, {Settlement::dead(imports.events[0].id, 422, "unprocessable")}, kT0,
               policy);
  CHECK(sequences(claim(Service::StatusChange)) ==
        std::vector<std::int64_t>{3});  // a dead letter does not block
}

TEST_CASE_FIXTURE(Fixture, "an earlier event stored after a later one of its transport goes first") {
  // The import service polled first: its event 2 is stored as the head of its transport.
  box().enqueue(kTenant, Service::Import, {event(Service::Import, 2, "S4DK900001")}, 2, kT0);
  // Then the export service's poll brings event 1: it takes the headship over, 2 waits again.
  box().enqueue(kTenant, Service::Export, {event(Service::Export, 1, "S4DK900001")}, 2, kT0);
  // A later event stored behind an open one is no head, and demotes nothing.
  box().enqueue(kTenant, Service::StatusChange, {event(Service::StatusChange, 3, "S4DK900001")}, 3, kT0);
  CHECK(claim(Service::Import).events.empty());
  CHECK(claim(Service::StatusChange).events.empty());
  const auto exports = claim(Service::Export);
  REQUIRE(sequences(exports) == std::vector<std::int64_t>{1});
  box().settle(exports.lease_token, {Settlement::done(exports.events[0].id)}, kT0, policy);
  CHECK(claim(Service::StatusChange).events.empty());
  const auto imports = claim(Service::Import);
  REQUIRE(sequences(imports) == std::vector<std::int64_t>{2});
  box().settle(imports.lease_token, {Settlement::done(imports.events[0].id)}, kT0, policy);
  CHECK(sequences(claim(Service::StatusChange)) == std::vector<std::int64_t>{3});
}

TEST_CASE_FIXTURE(Fixture,
                  "per-transport order holds across many interleaved transports and random outcomes") {
  SUBCASE("the claim window holds every open event") {}
  SUBCASE("the claim window holds 5 events: it evicts and loads as they come and go") {
    window_capacity = 5;
    reopen();
  }
  // 40 transports, each export -> import -> status change -> import, sequences interleaved at random.
  std::mt19937 rng(42);
  std::vector<std::pair<Service, std::string>> plan;
  for (int t = 0; t < 40; ++t)
    for (Service s : {Service::Export, Service::Import, Service::StatusChange, Service::Import})
      plan.emplace_back(s, "S4DK9" + std::to_string(20000 + t));
  // Shuffle while keeping each transport's own order: pick a random transport's next step each time.
  std::map<std::string, std::vector<Service>> steps;
  for (auto& [s, t] : plan) steps[t].push_back(s);
  std::vector<NewEvent> all;
  std::int64_t seq = 0;
  while (!steps.empty()) {
    auto it = std::next(steps.begin(), static_cast<long>(rng() % steps.size()));
    all.push_back(event(it->second.front(), ++seq, it->first));
    it->second.erase(it->second.begin());
    if (it->second.empty()) steps.erase(it);
  }
  for (Service s : {Service::Export, Service::Import, Service::StatusChange}) {
    std::vector<NewEvent> mine;
    for (const auto& e : all)
      if (e.service == s) mine.push_back(e);
    box().enqueue(kTenant, s, mine, seq, kT0);
  }

  box().counts();  // loads the tally too, so every mirror is kept (and checked) from here on
  std::map<std::string, std::int64_t> last_done;  // per transport: the highest sequence delivered
  std::int64_t delivered = 0;
  EpochMillis now = kT0;
  for (int round = 0; round < 2000 && delivered < seq; ++round) {
    now += 3'600'000;  // every retry is due by the next round
    for (Service s : {Service::Export, Service::Import, Service::StatusChange}) {
      for (ClaimFrom from : {ClaimFrom::Pending, ClaimFrom::Retryable}) {
        const auto package = claim(s, from, now, 1 + static_cast<int>(rng() % 7));
        std::vector<Settlement> outcome;
        for (const auto& e : package.events) {
          const int roll = static_cast<int>(rng() % 10);
          if (roll < 6) {
            CHECK_MESSAGE(e.sequence > last_done[e.transport_id],
                          "transport " << e.transport_id << " out of order");
            last_done[e.transport_id] = e.sequence;
            ++delivered;
            outcome.push_back(Settlement::done(e.id));
          } else if (roll < 9) {
            outcome.push_back(Settlement::retry(e.id, 503, "unavailable"));
          } else {
            outcome.push_back(Settlement::release(e.id));
          }
        }
        box().settle(package.lease_token, outcome, now, policy);
        // What memory mirrors of the file (bridge/outbox/memory.hpp) agrees with it after every step.
        const auto problems = box().check_memory();
        CHECK_MESSAGE(problems.empty(),
                      "round " << round << ": " << (problems.empty() ? "" : problems.front()));
        if (!problems.empty()) round = 2000;
      }
    }
  }
  CHECK(delivered == seq);
  CHECK(count(EventState::Done) == seq);
}

TEST_CASE_FIXTURE(Fixture, "a claim window full of held events holds later ones back until they move") {
  window_capacity = 3;  // the price of a bounded window (bridge/outbox/claim_window.hpp)
  reopen();
  std::vector<NewEvent> events;
  for (std::int64_t s = 1; s <= 5; ++s)
    events.push_back(event(Service::Export, s, "S4DK9" + std::to_string(s)));
  box().enqueue(kTenant, Service::Export, events, 5, kT0);
  const auto first = claim(Service::Export);
  REQUIRE(sequences(first) == std::vector<std::int64_t>{1, 2, 3});
  std::vector<Settlement> failed;
  for (const auto& e : first.events) failed.push_back(Settlement::retry(e.id, 503, "Service Unavailable"));
  box().settle(first.lease_token, failed, kT0, policy);
  // 4 and 5 are due, but the window holds 1-3, none of which can leave before their backoff.
  CHECK(claim(Service::Export).events.empty());
  const EpochMillis later = kT0 + 3'600'000;
  const auto retried = claim(Service::Export, ClaimFrom::Retryable, later);
  REQUIRE(sequences(retried) == std::vector<std::int64_t>{1, 2, 3});
  std::vector<Settlement> done;
  for (const auto& e : retried.events) done.push_back(Settlement::done(e.id));
  box().settle(retried.lease_token, done, later, policy);
  CHECK(sequences(claim(Service::Export, ClaimFrom::Pending, later)) == std::vector<std::int64_t>{4, 5});
}

TEST_CASE_FIXTURE(Fixture, "a dead letter re-queued by another process goes first again at the next claim") {
  box().enqueue(kTenant, Service::Export,
                {event(Service::Export, 1, "S4DK900001"), event(Service::Export, 2, "S4DK900002"),
                 event(Service::Export, 3, "S4DK900001")},
                3, kT0);
  const auto first = claim(Service::Export, ClaimFrom::Pending, kT0, 1);
  REQUIRE(sequences(first) == std::vector<std::int64_t>{1});
  box().settle(first.lease_token, {Settlement::dead(first.events[0].id, 400, "Bad Request")}, kT0, policy);
  // `ato-bridge dead-letters requeue` while the bridge runs: its own connection to the file.
  OutboxOptions options;
  options.path = path;
  CHECK(Outbox(options).requeue_dead(uuid_for(1), kT0) == 1);
  // The bridge's claim window held 2 and 3 as heads; it learns of the change before choosing.
  CHECK(sequences(claim(Service::Export)) == std::vector<std::int64_t>{1, 2});
}

TEST_CASE_FIXTURE(Fixture, "the low watermark holds events above the slowest active service's cursor") {
  box().enqueue(kTenant, Service::Import, {event(Service::Import, 5, "S4DK900009")}, 6, kT0);
  box().enqueue(kTenant, Service::Export, {}, 3, kT0);
  const std::vector<Service> active = {Service::Export, Service::Import, Service::StatusChange};
  CHECK(box().low_watermark(kTenant, active) == 0);  // status change has not polled yet
  box().enqueue(kTenant, Service::StatusChange, {}, 100, kT0);
  CHECK(box().low_watermark(kTenant, active) == 3);
  CHECK(claim(Service::Import, ClaimFrom::Pending, kT0, 100, box().low_watermark(kTenant, active))
            .events.empty());
  box().enqueue(kTenant, Service::Export, {}, 5, kT0);
  CHECK(box().low_watermark(kTenant, active) == 5);
  CHECK(sequences(claim(Service::Import, ClaimFrom::Pending, kT0, 100,
                        box().low_watermark(kTenant, active))) == std::vector<std::int64_t>{5});
  // An inactive service holds nobody back.
  CHECK(box().low_watermark(kTenant, {Service::Import}) == 6);
}

TEST_CASE_FIXTURE(Fixture, "settling: done, retryable with history and backoff, dead, release") {
  std::vector<NewEvent> batch;
  for (int i = 1; i <= 5; ++i)
    batch.push_back(event(Service::Export, i, "S4DK9" + std::to_string(30000 + i)));
  box().enqueue(kTenant, Service::Export, batch, 5, kT0);
  const auto p = claim(Service::Export);
  REQUIRE(p.events.size() == 5);
  const auto r = box().settle(
      p.lease_token,
      {Settlement::done(p.events[0].id), Settlement::retry(p.events[1].id, 503, "Service Unavailable"),
       Settlement::retry(p.events[2].id, 429, "Too Many Requests", 10min),
       Settlement::dead(p.events[3].id, 400, "package rejected: events[0].title"),
       Settlement::release(p.events[4].id)},
      kT0 + 5, policy);
  CHECK(r.done == 1);
  CHECK(r.retryable == 2);
  CHECK(r.dead == 1);
  CHECK(r.released == 1);
  CHECK(r.stale == 0);
  CHECK(column(uuid_for(1), "state") == "done");
  CHECK(column(uuid_for(1), "settled_at") == std::to_string(kT0 + 5));
  CHECK(column(uuid_for(2), "state") == "retryable");
  CHECK(column(uuid_for(2), "attempts") == "1");
  CHECK(column(uuid_for(2), "next_attempt_at") == std::to_string(kT0 + 5 + 30'000));  // jitter 0: base/2
  CHECK(column(uuid_for(2), "json_extract(errors, '$[0].http_status')") == "503");
  CHECK(column(uuid_for(2), "json_extract(errors, '$[0].message')") == "Service Unavailable");
  CHECK(column(uuid_for(2), "json_extract(errors, '$[0].attempt')") == "1");
  CHECK(column(uuid_for(3), "next_attempt_at") == std::to_string(kT0 + 5 + 600'000));  // Retry-After won
  CHECK(column(uuid_for(4), "state") == "dead");
  CHECK(column(uuid_for(4), "dead_reason") == "package rejected: events[0].title");
  CHECK(column(uuid_for(5), "state") == "pending");
  CHECK(column(uuid_for(5), "attempts") == "0");
  // Not due yet: the retry job finds nothing until the backoff has passed.
  CHECK(claim(Service::Export, ClaimFrom::Retryable, kT0 + 10).events.empty());
  CHECK(sequences(claim(Service::Export, ClaimFrom::Retryable, kT0 + 30'005)) ==
        std::vector<std::int64_t>{2});
}

TEST_CASE_FIXTURE(Fixture,
                  "the retry policy turns the last allowed failure into a dead letter with its history") {
  policy.max_attempts = 2;
  box().enqueue(kTenant, Service::Export, {event(Service::Export, 1)}, 1, kT0);
  auto p = claim(Service::Export);
  box().settle(p.lease_token, {Settlement::retry(p.events[0].id, 502, "Bad Gateway")}, kT0, policy);
  p = claim(Service::Export, ClaimFrom::Retryable, kT0 + 3'600'000);
  REQUIRE(p.events.size() == 1);
  CHECK(p.events[0].attempts == 1);
  const auto r =
      box().settle(p.lease_token, {Settlement::retry(p.events[0].id, 0, "connection reset")}, kT0, policy);
  CHECK(r.dead == 1);
  const auto dead = box().dead_letter(uuid_for(1));
  REQUIRE(dead.has_value());
  CHECK(dead->reason == "gave up after 2 attempts (retry_policy.max_attempts); last error: connection reset");
  CHECK(dead->attempts == 2);
  CHECK(dead->errors.find("Bad Gateway") != std::string::npos);
  CHECK(dead->errors.find("\"http_status\":null") != std::string::npos);  // no HTTP answer
  CHECK(dead->payload == "{\"sequence\":1}");
}

TEST_CASE_FIXTURE(Fixture, "the rescuer returns expired leases, and a late settle cannot overwrite it") {
  box().enqueue(kTenant, Service::Export,
                {event(Service::Export, 1), event(Service::Export, 2, "S4DK900002")}, 2, kT0);
  const auto p = claim(Service::Export);                           // lease 2 minutes
  CHECK(box().rescue_expired(kT0 + 60'000, policy).total() == 0);  // not expired yet
  CHECK(box().rescue_expired(kT0 + 120'000, policy).retryable == 2);
  CHECK(column(uuid_for(1), "state") == "retryable");
  CHECK(column(uuid_for(1), "attempts") == "1");
  CHECK(column(uuid_for(1), "json_extract(errors, '$[0].message')").find("lease expired") !=
        std::string::npos);
  // The pusher that held the lease comes back late: its settle is stale and changes nothing.
  auto late = box().settle(p.lease_token,
                           {Settlement::done(p.events[0].id), Settlement::retry(p.events[1].id, 503, "x")},
                           kT0 + 130'000, policy);
  CHECK(late.stale == 2);
  CHECK(late.done == 0);
  CHECK(column(uuid_for(1), "state") == "retryable");
  // The retry job claims it under a new lease; the old lease still counts for nothing.
  // Rescued like any failure: not due before the retry backoff (base 1 min, jitter 0: 30 s) has passed.
  CHECK(claim(Service::Export, ClaimFrom::Retryable, kT0 + 149'999).events.empty());
  const auto again = claim(Service::Export, ClaimFrom::Retryable, kT0 + 150'000);
  REQUIRE(again.events.size() == 2);
  CHECK(box().settle(p.lease_token, {Settlement::done(again.events[0].id)}, kT0, policy).stale == 1);
  CHECK(box().settle(again.lease_token, {Settlement::done(again.events[0].id)}, kT0, policy).done == 1);
  // At start-up every lease belongs to a dead process.
  CHECK(box().rescue_all_in_flight(kT0, policy).retryable == 1);
  CHECK(count(EventState::InFlight) == 0);
}

TEST_CASE_FIXTURE(Fixture,
                  "a package that crashes the bridge every time is dead-lettered by the retry policy") {
  policy.max_attempts = 3;
  box().enqueue(kTenant, Service::Export, {event(Service::Export, 1)}, 1, kT0);
  EpochMillis now = kT0;
  for (int crash = 1; crash <= 2; ++crash) {
    const auto p = claim(Service::Export, crash == 1 ? ClaimFrom::Pending : ClaimFrom::Retryable, now);
    REQUIRE(p.events.size() == 1);
    reopen();  // the bridge died while pushing it
    const auto rescued = box().rescue_all_in_flight(now + 1, policy);
    CHECK(rescued.retryable == 1);
    CHECK(rescued.dead == 0);
    CHECK(column(uuid_for(1), "attempts") == std::to_string(crash));
    // The backoff of `crash` failed attempts (jitter 0: half of base * 2^(crash-1)), not at once.
    const auto due = std::stoll(column(uuid_for(1), "next_attempt_at"));
    CHECK(due == now + 1 + 30'000 * (1LL << (crash - 1)));
    now = due;
  }
  const auto p = claim(Service::Export, ClaimFrom::Retryable, now);
  REQUIRE(p.events.size() == 1);
  reopen();
  const auto rescued = box().rescue_all_in_flight(now + 1, policy);
  CHECK(rescued.dead == 1);
  CHECK(count(EventState::Dead) == 1);
  CHECK(count(EventState::InFlight) == 0);
  const auto dead = box().dead_letter(uuid_for(1));
  REQUIRE(dead.has_value());
  CHECK(dead->reason.find("gave up after 3 attempts") != std::string::npos);
  CHECK(dead->reason.find("lease expired") != std::string::npos);
  CHECK(dead->attempts == 3);
}

TEST_CASE_FIXTURE(Fixture, "a package settled in parts (a 413 split) stays leased until its last part") {
  std::vector<NewEvent> events;
  for (int i = 1; i <= 4; ++i)
    events.push_back(event(Service::Export, i, "S4DK9" + std::to_string(50000 + i)));
  box().enqueue(kTenant, Service::Export, events, 4, kT0);
  const auto p = claim(Service::Export);
  REQUIRE(p.events.size() == 4);
  CHECK(count(EventState::InFlight) == 4);
  // In flight is a lease, not a row state: the rows keep the state they were claimed from.
  CHECK(column(uuid_for(1), "state") == "pending");
  box().settle(p.lease_token, {Settlement::done(p.events[0].id), Settlement::retry(p.events[1].id, 503, "x")},
               kT0, policy);
  CHECK(count(EventState::InFlight) == 2);
  CHECK(count(EventState::Done) == 1);
  CHECK(count(EventState::Retryable) == 1);
  // The other half is still ours, and nobody else's: a claim does not take it again.
  CHECK(claim(Service::Export).events.empty());
  // A bridge killed now: after a restart the second half is found in flight, and only it is rescued.
  reopen();
  CHECK(count(EventState::InFlight) == 2);
  CHECK(claim(Service::Export).events.empty());
  CHECK(box().settle(p.lease_token, {Settlement::done(p.events[2].id)}, kT0, policy).done == 1);
  CHECK(box().rescue_all_in_flight(kT0 + 1, policy).retryable == 1);
  CHECK(column(uuid_for(4), "state") == "retryable");
  CHECK(column(uuid_for(4), "attempts") == "1");
  CHECK(column(uuid_for(2), "attempts") == "1");  // settled before the crash: not counted again
  CHECK(count(EventState::InFlight) == 0);
  CHECK(count(EventState::Done) == 2);
}

TEST_CASE_FIXTURE(Fixture, "a released event goes back exactly as it was claimed, due when it was due") {
  box().enqueue(kTenant, Service::Export, {event(Service::Export, 1)}, 1, kT0);
  auto p = claim(Service::Export);
  REQUIRE(p.events.size() == 1);
  box().settle(p.lease_token, {Settlement::retry(p.events[0].id, 503, "x")}, kT0, policy);
  const std::string due = column(uuid_for(1), "next_attempt_at");
  const EpochMillis due_at = std::stoll(due);
  CHECK(claim(Service::Export, ClaimFrom::Retryable, due_at - 1).events.empty());  // not due yet
  p = claim(Service::Export, ClaimFrom::Retryable, due_at);
  REQUIRE(p.events.size() == 1);
  CHECK(box().settle(p.lease_token, {Settlement::release(p.events[0].id)}, due_at, policy).released == 1);
  CHECK(column(uuid_for(1), "state") == "retryable");
  CHECK(column(uuid_for(1), "attempts") == "1");  // no attempt spent
  CHECK(column(uuid_for(1), "next_attempt_at") == due);
  CHECK(count(EventState::InFlight) == 0);
  CHECK(claim(Service::Export, ClaimFrom::Retryable, due_at).events.size() == 1);
}

TEST_CASE_FIXTURE(Fixture, "dead letters: list with filters, show, requeue one, by filter, all") {
  std::vector<NewEvent> exports, imports;
  for (int i = 1; i <= 4; ++i)
    exports.push_back(event(Service::Export, i, "S4DK9" + std::to_string(40000 + i)));
  for (int i = 5; i <= 6; ++i)
    imports.push_back(event(Service::Import, i, "S4DK9" + std::to_string(40000 + i)));
  box().enqueue(kTenant, Service::Export, exports, 6, kT0);
  box().enqueue(kTenant, Service::Import, imports, 6, kT0);
  for (Service s : {Service::Export, Service::Import}) {
    const auto p = claim(s);
    std::vector<Settlement> out;
    for (const auto& e : p.events)
      out.push_back(
          Settlement::dead(e.id, e.sequence % 2 ? 400 : 422, e.sequence % 2 ? "malformed" : "unprocessable"));
    box().settle(p.lease_token, out, kT0, policy);
  }
  CHECK(box().dead_letters({}).size() == 6);
  CHECK(box().dead_letters({Service::Import, {}, {}, 100}).size() == 2);
  CHECK(box().dead_letters({{}, std::string("S4DK940002"), {}, 100}).size() == 1);
  CHECK(box().dead_letters({{}, {}, std::string("malformed"), 100}).size() == 3);
  CHECK(box().dead_letters({{}, {}, {}, 2}).size() == 2);
  CHECK_FALSE(box().dead_letter(uuid_for(99)).has_value());

  CHECK(box().requeue_dead(uuid_for(1), kT0 + 1) == 1);
  CHECK(column(uuid_for(1), "state") == "pending");
  CHECK(column(uuid_for(1), "attempts") == "0");
  CHECK(column(uuid_for(1), "json_array_length(errors)") == "2");  // the failure and the requeue, both kept
  CHECK(column(uuid_for(1), "json_extract(errors, '$[1].dead_reason')") == "malformed");
  CHECK(box().requeue_dead(uuid_for(1), kT0) == 0);  // not dead any more
  CHECK(box().requeue_dead(DeadLetterFilter{Service::Import, {}, {}, 1}, kT0) ==
        2);  // limit is for listing only
  CHECK(box().requeue_dead(DeadLetterFilter{}, kT0) == 3);
  CHECK(count(EventState::Dead) == 0);
  CHECK(count(EventState::Pending) == 6);
}

TEST_CASE_FIXTURE(Fixture, "retention walks in stored order: past open and dead events, up to a recent one") {
  std::vector<NewEvent> batch;
  for (int i = 1; i <= 6; ++i)
    batch.push_back(event(Service::Export, i, "S4DK9" + std::to_string(60000 + i)));
  box().enqueue(kTenant, Service::Export, batch, 6, kT0);
  const auto p = claim(Service::Export);
  REQUIRE(p.events.size() == 6);
  const auto settle_at = [&](Settlement s, EpochMillis at) {
    box().settle(p.lease_token, {std::move(s)}, at, policy);
  };
  settle_at(Settlement::retry(p.events[0].id, 503, "x"), kT0);  // 1: open, waiting for a retry
  settle_at(Settlement::dead(p.events[1].id, 400, "no"), kT0);  // 2: a dead letter
  settle_at(Settlement::done(p.events[2].id), kT0 + 10);        // 3, 4: delivered early
  settle_at(Settlement::done(p.events[3].id), kT0 + 10);
  settle_at(Settlement::done(p.events[4].id), kT0 + 10'000);  // 5: delivered late
  settle_at(Settlement::done(p.events[5].id), kT0 + 10);      // 6: early, but stored after 5
  // Batches of two rows: 1-2 passed, 3-4 deleted, 5 recent ends the walk; 6 waits for it.
  CHECK(box().delete_done_before(kT0 + 5000, 2) == 2);
  CHECK(column(uuid_for(3), "state") == "(no row)");
  CHECK(column(uuid_for(4), "state") == "(no row)");
  CHECK(column(uuid_for(5), "state") == "done");
  CHECK(column(uuid_for(6), "state") == "done");
  CHECK(column(uuid_for(1), "state") == "retryable");
  CHECK(column(uuid_for(2), "state") == "dead");
  CHECK(box().delete_done_before(kT0 + 10'000, 2) == 0);  // settled at the cut-off itself: kept
  CHECK(box().delete_done_before(kT0 + 10'001, 2) == 2);
  CHECK(count(EventState::Done) == 0);
  CHECK(count(EventState::Retryable) == 1);
  CHECK(count(EventState::Dead) == 1);
  CHECK(box().dead_letters({}).size() == 1);
}

TEST_CASE_FIXTURE(Fixture, "the counts kept by every transition match a count of the file, at every step") {
  // A second outbox on the same file counts by scanning it: the truth the kept counts must match.
  OutboxOptions options;
  options.path = path;
  std::mt19937 rng(20261201);
  std::int64_t cursor = 0;
  EpochMillis now = kT0;
  std::vector<ClaimedPackage> held;
  const auto expect_same = [&](const char* after) {
    CAPTURE(after);
    Outbox scanner(options);
    const auto kept = box().counts(), scanned = scanner.counts();
    for (Service service : {Service::Export, Service::Import, Service::StatusChange})
      for (EventState state : {EventState::Pending, EventState::InFlight, EventState::Retryable,
                               EventState::Done, EventState::Dead}) {
        const auto of = [&](const StateCounts& c) {
          const auto s = c.by_service.find(service);
          if (s == c.by_service.end()) return std::int64_t{0};
          const auto n = s->second.find(state);
          return n == s->second.end() ? std::int64_t{0} : n->second;
        };
        CAPTURE(to_string(service));
        CAPTURE(name_of(kEventStateNames, state));
        CHECK(of(kept) == of(scanned));
      }
  };
  box().counts();  // the tally starts here, from a scan
  for (int step = 0; step < 300; ++step) {
    now += 1000;
    const Service service = std::array{Service::Export, Service::Import, Service::StatusChange}[rng() % 3];
    switch (rng() % 8) {
      case 0:
      case 1: {
        std::vector<NewEvent> batch;
        for (int i = 0; i < 1 + static_cast<int>(rng() % 5); ++i)
          batch.push_back(event(service, ++cursor, "S4DK9" + std::to_string(70000 + rng() % 9)));
        box().enqueue(kTenant, service, batch, cursor, now);
        expect_same("enqueue");
        break;
      }
      case 2:
      case 3: {
        const auto from = rng() % 2 ? ClaimFrom::Pending : ClaimFrom::Retryable;
        auto p = claim(service, from, now + 3'600'000, 1 + static_cast<int>(rng() % 4));
        if (!p.events.empty()) held.push_back(std::move(p));
        break;
      }
      case 4:
      case 5: {
        if (held.empty()) break;
        auto p = std::move(held.back());
        held.pop_back();
        std::vector<Settlement> out;
        for (const auto& e : p.events) {
          const auto roll = rng() % 4;
          out.push_back(roll == 0   ? Settlement::done(e.id)
                        : roll == 1 ? Settlement::retry(e.id, 503, "x")
                        : roll == 2 ? Settlement::dead(e.id, 400, "no")
                                    : Settlement::release(e.id));
        }
        box().settle(p.lease_token, out, now, policy);
        expect_same("settle");
        break;
      }
      case 6:
        if (rng() % 3 == 0) {
          box().rescue_all_in_flight(now, policy);
          held.clear();
          expect_same("rescue");
        } else {
          box().requeue_dead(DeadLetterFilter{}, now);
          expect_same("requeue");
        }
        break;
      case 7:
        box().delete_done_before(now - 5000, 3);
        expect_same("retention");
        break;
    }
  }
  expect_same("the end");
  CHECK(count(EventState::Done) + count(EventState::Dead) + count(EventState::Retryable) > 0);
}

TEST_CASE_FIXTURE(Fixture, "counts, oldest waiting age and retention") {
  std::vector<NewEvent> batch;
  for (int i = 1; i <= 2500; ++i)
    batch.push_back(event(Service::Export, i, "S4DK9" + std::to_string(50000 + i % 1000)));
  box().enqueue(kTenant, Service::Export, batch, 2500, kT0);
  box().enqueue(kTenant, Service::Import, {event(Service::Import, 2501, "S4DK999999")}, 2501, kT0 + 1000);
  CHECK(box().oldest_waiting_age(kT0 + 5000) == 5000ms);
  // Deliver the 1000 first (one per transport) early and the next 1000 late.
  for (EpochMillis at : {kT0 + 10, kT0 + 10'000}) {
    const auto p = claim(Service::Export, ClaimFrom::Pending, at, 1000);
    REQUIRE(p.events.size() == 1000);
    std::vector<Settlement> done;
    for (const auto& e : p.events) done.push_back(Settlement::done(e.id));
    box().settle(p.lease_token, done, at, policy);
  }
  auto c = box().counts();
  CHECK(c.by_service[Service::Export][EventState::Done] == 2000);
  CHECK(c.by_service[Service::Export][EventState::Pending] == 500);
  CHECK(c.by_service[Service::Import][EventState::Pending] == 1);
  CHECK(box().delete_done_before(kT0 + 5000, 300) == 1000);  // several small batches
  CHECK(count(EventState::Done) == 1000);
  CHECK(count(EventState::Pending) == 501);
  CHECK(box().delete_done_before(kT0 + 5000) == 0);
}

TEST_CASE_FIXTURE(Fixture,
                  "a full disk is a distinct error, loses nothing stored, and passes when space returns") {
  reopen(256 * 1024);  // a 256 KiB outbox stands in for a small filesystem
  const std::string padding(600, 'x');
  std::int64_t stored = 0;
  bool full = false;
  for (int batch = 0; batch < 1000 && !full; ++batch) {
    std::vector<NewEvent> events;
    for (int i = 0; i < 20; ++i) {
      auto e = event(Service::Export, stored + i + 1, "S4DK9" + std::to_string(60000 + (stored + i) % 30000));
      e.payload = padding;
      events.push_back(e);
    }
    try {
      box().enqueue(kTenant, Service::Export, events, stored + 20, kT0);
      stored += 20;
    } catch (const DiskTroubleError& e) {
      full = true;
      CHECK(std::string(e.what()).find("outbox") != std::string::npos);
    }
  }
  REQUIRE(full);
  CHECK(stored > 0);
  CHECK(count(EventState::Pending) == stored);                         // the failed batch left no trace
  CHECK(box().cursor(kTenant, Service::Export) == stored);             // nor did its cursor
  const auto p = claim(Service::Export, ClaimFrom::Pending, kT0, 10);  // reading and leasing still work
  CHECK(p.events.size() == 10);
  box().set_max_size_bytes(0);  // space returns
  box().enqueue(kTenant, Service::Export, {event(Service::Export, stored + 1, "S4DK999998")}, stored + 1,
                kT0);
  CHECK(count(EventState::Pending) + count(EventState::InFlight) == stored + 1);
}

TEST_CASE_FIXTURE(Fixture,
                  "the WAL is copied back in the background and stays bounded under steady commits") {
  const auto wal = std::filesystem::path(path.string() + "-wal");
  const auto file_size = [](const std::filesystem::path& p) {
    std::error_code ec;
    const auto n = std::filesystem::file_size(p, ec);
    return ec ? std::uintmax_t{0} : n;
  };
  const std::string padding(600, 'p');
  std::int64_t stored = 0;
  auto store = [&](int batches) {
    for (int b = 0; b < batches; ++b) {
      std::vector<NewEvent> events;
      for (int i = 0; i < 500; ++i, ++stored) {
        auto e = event(Service::Export, stored + 1, "S4DK9" + std::to_string(10000 + stored % 5000));
        e.payload = padding;
        events.push_back(std::move(e));
      }
      box().enqueue(kTenant, Service::Export, events, stored, kT0);
    }
  };
  // Past the background threshold (1,000 pages: ~6,000 events here), well below the inline one:
  // only the checkpointer thread can have copied pages back into the database file.
  const auto file_before = file_size(path);
  store(16);
  CHECK(file_size(wal) > 0);
  bool copied_back = false;
  for (int i = 0; i < 200 && !copied_back; ++i) {  // up to 10 s
    copied_back = file_size(path) > file_before + 1'000'000;
    if (!copied_back) std::this_thread::sleep_for(50ms);
  }
  CHECK_MESSAGE(copied_back, "database file " << file_size(path) << " bytes, WAL " << file_size(wal));
  // A steady stream of commits (~100,000 events, ~90 MB of database): the WAL starts over instead
  // of growing with them.
  std::uintmax_t largest = 0;
  for (int round = 0; round < 200; ++round) {
    store(1);
    largest = std::max(largest, file_size(wal));
  }
  CHECK(largest < 80u * 1024 * 1024);
  CHECK(count(EventState::Pending) == stored);
  outbox.reset();                    // closing checkpoints the rest
  CHECK(file_size(path) > largest);  // more went through the WAL than it ever held at once
}

// ---- tenants (schema/outbox/009): one outbox for a landscape whose tenants number their own events ----

namespace {

NewEvent tenant_event(Service service, std::int64_t sequence, const std::string& transport, int uuid_base,
                      const std::string& source) {
  NewEvent e = event(service, sequence, transport);
  e.event_id = uuid_for(uuid_base + sequence);
  e.source_system = source;
  return e;
}

}  // namespace

TEST_CASE_FIXTURE(Fixture, "tenants share no numbering: the same sequences of two tenants are two events") {
  const std::string dev = "S4D~080", test_tenant = "S4T~100";
  const auto r1 = box().enqueue(dev, Service::Export,
                                {tenant_event(Service::Export, 1, "S4DK900001", 1000, dev),
                                 tenant_event(Service::Export, 2, "S4DK900002", 1000, dev)},
                                2, kT0);
  const auto r2 = box().enqueue(test_tenant, Service::Import,
                                {tenant_event(Service::Import, 1, "S4DK900001", 2000, test_tenant),
                                 tenant_event(Service::Import, 2, "S4DK900002", 2000, test_tenant)},
                                2, kT0);
  CHECK(r1.inserted == 2);
  CHECK(r2.inserted == 2);
  CHECK(r2.duplicates == 0);
  // Each tenant has its own cursors; a tenant the outbox never heard of has none.
  CHECK(box().cursor(dev, Service::Export) == 2);
  CHECK_FALSE(box().cursor(dev, Service::Import).has_value());
  CHECK(box().cursor(test_tenant, Service::Import) == 2);
  CHECK_FALSE(box().cursor("S4P~100", Service::Import).has_value());
  CHECK(box().tenants() == std::vector<std::string>{dev, test_tenant});
  // Re-reading a tenant's page is a duplicate there, whatever the other tenant holds.
  CHECK(
      box()
          .enqueue(dev, Service::Export, {tenant_event(Service::Export, 1, "S4DK900001", 1000, dev)}, 2, kT0)
          .duplicates == 1);
  // Counted per tenant and in total.
  const auto counts = box().counts();
  CHECK(counts.total(EventState::Pending) == 4);
  CHECK(counts.by_tenant.at(dev).at(Service::Export).at(EventState::Pending) == 2);
  CHECK(counts.by_tenant.at(test_tenant).at(Service::Import).at(EventState::Pending) == 2);
  // The low watermark is the tenant's own: the test tenant's export cursor is missing (0).
  CHECK(box().low_watermark(dev, {Service::Export}) == 2);
  CHECK(box().low_watermark(test_tenant, {Service::Import}) == 2);
  CHECK(box().low_watermark(test_tenant, {Service::Export, Service::Import}) == 0);
  // A package is one tenant's; turns go from tenant to tenant.
  const auto a = claim(Service::Export);
  CHECK(a.tenant == dev);
  CHECK(sequences(a) == std::vector<std::int64_t>{1, 2});
  const auto b = claim(Service::Import);
  CHECK(b.tenant == test_tenant);
  CHECK(sequences(b) == std::vector<std::int64_t>{1, 2});
  // Per-transport order holds within a tenant, not across: the test tenant's import of S4DK900001
  // left while the development tenant's export of it is still in flight.
  CHECK(box().counts().total(EventState::InFlight) == 4);
  reopen();  // what is stored survives as it is, the leases too (until a bridge rescues them)
  CHECK(box().cursor(test_tenant, Service::Import) == 2);
  CHECK(box().counts().by_tenant.at(test_tenant).at(Service::Import).at(EventState::InFlight) == 2);
}

TEST_CASE_FIXTURE(Fixture, "within a tenant a transport's events leave in that tenant's order") {
  const std::string t = "S4T~100";
  // The import job's poll (sequence 3) stored before the status-change job's (1 and 2).
  box().enqueue(t, Service::Import, {tenant_event(Service::Import, 3, "S4DK900001", 0, t)}, 3, kT0);
  box().enqueue(t, Service::StatusChange,
                {tenant_event(Service::StatusChange, 1, "S4DK900001", 0, t),
                 tenant_event(Service::StatusChange, 2, "S4DK900001", 0, t)},
                3, kT0);
  ClaimRequest r;
  r.service = Service::Import;
  r.now = kT0;
  // Taken before the claims (nothing is collected between them), as the engine takes it.
  r.watermark_of = {{t, box().low_watermark(t, {Service::Import, Service::StatusChange})}};
  CHECK(box().claim(r).events.empty());  // its transport's earlier events are open
  r.service = Service::StatusChange;
  const auto first = box().claim(r);
  CHECK(sequences(first) == std::vector<std::int64_t>{1});  // one event per transport at a time
  box().settle(first.lease_token, {Settlement::done(first.events[0].id)}, kT0, policy);
  const auto second = box().claim(r);
  CHECK(sequences(second) == std::vector<std::int64_t>{2});
  box().settle(second.lease_token, {Settlement::done(second.events[0].id)}, kT0, policy);
  r.service = Service::Import;
  CHECK(sequences(box().claim(r)) == std::vector<std::int64_t>{3});
}

TEST_CASE_FIXTURE(Fixture, "an eventId another tenant stored is a conflict that names that tenant") {
  box().enqueue("S4D~080", Service::Export, {tenant_event(Service::Export, 1, "S4DK900001", 0, "S4D~080")}, 1,
                kT0);
  NewEvent twin = tenant_event(Service::Import, 7, "S4DK900001", 0, "S4T~100");
  twin.event_id = uuid_for(1);
  const auto r = box().enqueue("S4T~100", Service::Import, {twin}, 7, kT0);
  CHECK(r.dead == 1);
  REQUIRE(r.dead_reasons.size() == 1);
  CHECK(r.dead_reasons[0].find("sequence 1 of tenant S4D~080") != std::string::npos);
  const auto letters = box().dead_letters({.tenant = std::string("S4T~100")});
  REQUIRE(letters.size() == 1);
  CHECK(letters[0].tenant == "S4T~100");
  CHECK(box().dead_letters({.tenant = std::string("S4D~080")}).empty());
}

// Two tenants reading one feed (a configuration mistake) store the same event twice: said as that,
// not as "other content".
TEST_CASE_FIXTURE(Fixture, "the same event from two tenants is named as such, not as other content") {
  const NewEvent original = tenant_event(Service::Export, 1, "S4DK900001", 0, "S4D~080");
  box().enqueue("S4D~080", Service::Export, {original}, 1, kT0);
  const auto r = box().enqueue("S4D~100", Service::Export, {original}, 1, kT0);
  CHECK(r.dead == 1);
  REQUIRE(r.dead_reasons.size() == 1);
  CHECK(
      r.dead_reasons[0].find("is stored as sequence 1 of tenant S4D~080: the same event from two tenants") !=
      std::string::npos);
  CHECK(r.dead_reasons[0].find("other content") == std::string::npos);
}

TEST_CASE_FIXTURE(Fixture,
                  "a tenant renamed keeps its events and cursors; a taken or unknown name is refused") {
  box().enqueue("default", Service::Export, {event(Service::Export, 1)}, 5, kT0);
  box().rename_tenant("default", "S4D~080");
  CHECK(box().cursor("S4D~080", Service::Export) == 5);
  CHECK_FALSE(box().cursor("default", Service::Export).has_value());
  CHECK(box().counts().by_tenant.at("S4D~080").at(Service::Export).at(EventState::Pending) == 1);
  box().enqueue("S4T~100", Service::Import, {}, 3, kT0);
  CHECK_THROWS_WITH_AS(box().rename_tenant("S4D~080", "S4T~100"), doctest::Contains("exists already"),
                       OutboxError);
  CHECK_THROWS_WITH_AS(box().rename_tenant("nobody", "x"), doctest::Contains("no tenant named 'nobody'"),
                       OutboxError);
  const auto p = claim(Service::Export);
  CHECK(p.tenant == "S4D~080");
  CHECK(sequences(p) == std::vector<std::int64_t>{1});
}

TEST_CASE_FIXTURE(Fixture,
                  "a claim across tenants takes each tenant's package size, and skips a tenant at 0") {
  for (const std::string t : {"S4D~080", "S4D~100"}) {
    std::vector<NewEvent> events;
    for (std::int64_t s = 1; s <= 5; ++s)
      events.push_back(
          tenant_event(Service::Export, s, "S4DK9" + std::to_string(10 * s), t == "S4D~080" ? 0 : 100, t));
    box().enqueue(t, Service::Export, events, 5, kT0);
  }
  ClaimRequest r;
  r.service = Service::Export;
  r.now = kT0;
  r.max_events_of = {{"S4D~080", 2}, {"S4D~100", 0}};
  const auto first = box().claim(r);
  CHECK(first.tenant == "S4D~080");
  CHECK(sequences(first) == std::vector<std::int64_t>{1, 2});
  const auto second = box().claim(r);  // turns: S4D~100 would be next, but its service is not active
  CHECK(second.tenant == "S4D~080");
  CHECK(sequences(second) == std::vector<std::int64_t>{3, 4});
  r.max_events_of = {{"S4D~080", 0}, {"S4D~100", 3}};
  const auto third = box().claim(r);
  CHECK(third.tenant == "S4D~100");
  CHECK(sequences(third) == std::vector<std::int64_t>{1, 2, 3});
}

// An outbox written before tenants (schema version 8), opened by this ato-bridge: migrated, its
// events and cursors are tenant 'default''s, and they leave as before.
TEST_CASE_FIXTURE(Fixture,
                  "an outbox from before tenants migrates: its events and cursors are tenant default's") {
  outbox.reset();
  std::filesystem::remove(path);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_exec(db, "PRAGMA auto_vacuum = INCREMENTAL", nullptr, nullptr, nullptr);
  for (const auto& m : ato::schema::kOutboxMigrations) {
    if (m.version > 8) break;
    REQUIRE(sqlite3_exec(db, std::string(m.sql).c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, ("PRAGMA user_version = " + std::to_string(m.version)).c_str(), nullptr, nullptr,
                         nullptr) == SQLITE_OK);
  }
  std::string insert =
      "INSERT INTO events (id, event_id, service, sequence, transport_id, source_system, enqueued_at, "
      "next_attempt_at) VALUES ";
  for (int s = 1; s <= 3; ++s)
    insert += (s > 1 ? "," : "") + std::string("(") + std::to_string(s) + ", '" + uuid_for(s) +
              "', 'EXPORT', " + std::to_string(s) + ", 'S4DK9" + std::to_string(10000 + s) +
              "', 'S4D~080', 1, 1)";
  REQUIRE(sqlite3_exec(db, insert.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "INSERT INTO payloads SELECT id, '{}' FROM events", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "INSERT INTO cursors VALUES ('EXPORT', 3, 1)", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  sqlite3_close(db);
  std::filesystem::remove(path.string() + ".id");  // its identity file: the outbox records it again
  reopen();
  CHECK(box().schema_version() == Outbox::latest_schema_version());
  CHECK(box().tenants() == std::vector<std::string>{"default"});
  CHECK(box().cursor("default", Service::Export) == 3);
  CHECK(box().counts().by_tenant.at("default").at(Service::Export).at(EventState::Pending) == 3);
  const auto p = claim(Service::Export);
  CHECK(p.tenant == "default");
  CHECK(sequences(p) == std::vector<std::int64_t>{1, 2, 3});
  // A configuration that names its tenant takes them over (ato-bridge tenant rename).
  box().rename_tenant("default", "S4D~080");
  CHECK(box().cursor("S4D~080", Service::Export) == 3);
}

// One door (bridge/outbox/one_user.hpp): a second thread inside the outbox while the first is in it is
// a caller's bug, refused at once rather than waited for.
TEST_CASE_FIXTURE(Fixture, "a second thread inside the outbox at the same time is refused") {
  std::atomic<bool> inside{false}, release{false};
  std::thread first([&] {
    box().together({[&] {
      inside = true;
      for (int i = 0; i < 5000 && !release; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }});
  });
  for (int i = 0; i < 5000 && !inside; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  REQUIRE(inside);
  CHECK_THROWS_WITH_AS(box().counts(), doctest::Contains("two threads at once"), std::logic_error);
  release = true;
  first.join();
  CHECK(box().counts().total(EventState::Pending) == 0);  // the door is open again once it left
}
