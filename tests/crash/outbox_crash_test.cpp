// SIGKILL the outbox at random moments, at least 50 times, and check after each restart that every
// event ever enqueued is there exactly once, in one valid state, the cursor covers exactly the
// stored events, and what was settled stays settled.
#include <doctest/doctest.h>
#include <signal.h>
#include <sqlite3.h>

#include <map>
#include <random>
#include <thread>

#include "bridge/outbox/outbox.hpp"
#include "tests/support/process.hpp"

using namespace ato;
using namespace std::chrono_literals;

namespace {

struct Snapshot {
  std::int64_t cursor = 0;
  std::int64_t rows = 0, distinct_sequences = 0, max_sequence = 0, min_sequence = 0, beyond_cursor = 0;
  std::string integrity;
  std::map<std::string, std::string> settled;  // event_id -> done | dead
  std::int64_t in_flight = 0;                  // listed by a lease (schema/outbox/006)
  std::int64_t in_flight_out_of_order = 0;     // in flight while an earlier event of its transport is open
  std::int64_t in_flight_settled = 0;          // listed by a lease but done or dead
  std::int64_t in_flight_twice = 0;            // listed by more than one lease, or twice by one
};

Snapshot read_snapshot(const std::filesystem::path& path) {
  Snapshot s;
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  auto query = [&](const char* sql, auto&& row) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE_MESSAGE(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK, sqlite3_errmsg(db));
    while (sqlite3_step(stmt) == SQLITE_ROW) row(stmt);
    sqlite3_finalize(stmt);
  };
  auto text = [](sqlite3_stmt* st, int col) {
    const auto* t = sqlite3_column_text(st, col);
    return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
  };
  query("PRAGMA integrity_check", [&](sqlite3_stmt* st) { s.integrity += text(st, 0); });
  query("SELECT sequence FROM cursors WHERE service = 'EXPORT'",
        [&](sqlite3_stmt* st) { s.cursor = sqlite3_column_int64(st, 0); });
  query(
      "SELECT count(*), count(DISTINCT sequence), coalesce(max(sequence), 0), coalesce(min(sequence), 0) "
      "FROM events",
      [&](sqlite3_stmt* st) {
        s.rows = sqlite3_column_int64(st, 0);
        s.distinct_sequences = sqlite3_column_int64(st, 1);
        s.max_sequence = sqlite3_column_int64(st, 2);
        s.min_sequence = sqlite3_column_int64(st, 3);
      });
  query("SELECT event_id, state FROM events WHERE state IN ('done', 'dead')",
        [&](sqlite3_stmt* st) { s.settled[text(st, 0)] = text(st, 1); });
  query("SELECT count(*), count(*) - count(DISTINCT j.value) FROM leases l, json_each(l.event_ids) j",
        [&](sqlite3_stmt* st) {
          s.in_flight = sqlite3_column_int64(st, 0);
          s.in_flight_twice = sqlite3_column_int64(st, 1);
        });
  query(
      "SELECT count(*) FROM leases l, json_each(l.event_ids) j JOIN events e ON e.id = j.value "
      "WHERE e.settled_at IS NOT NULL",
      [&](sqlite3_stmt* st) { s.in_flight_settled = sqlite3_column_int64(st, 0); });
  query(
      "SELECT count(*) FROM leases l, json_each(l.event_ids) j JOIN events e ON e.id = j.value WHERE EXISTS ("
      "SELECT 1 FROM events p WHERE p.transport_id = e.transport_id AND p.sequence < e.sequence "
      "AND p.settled_at IS NULL)",
      [&](sqlite3_stmt* st) { s.in_flight_out_of_order = sqlite3_column_int64(st, 0); });
  sqlite3_close(db);
  s.beyond_cursor = s.max_sequence > s.cursor ? s.max_sequence - s.cursor : 0;
  return s;
}

}  // namespace

TEST_CASE("the outbox survives 50 SIGKILLs at random moments with nothing lost, duplicated or unsettled") {
  test::TempDir dir;
  const auto db = dir / "outbox.db";
  const auto log = dir / "helper.log";
  std::mt19937 rng(20261122);
  std::map<std::string, std::string> settled_before;
  std::int64_t cursor_before = 0;
  int kills = 0;
  std::int64_t in_flight_at_kills = 0;
  const auto deadline = std::chrono::steady_clock::now() + 120s;

  for (int round = 0; round < 50 && std::chrono::steady_clock::now() < deadline; ++round) {
    // Even rounds: the helper kills itself just before a random write to the database (an exact I/O
    // boundary). Odd rounds: the test kills it from outside after a random time.
    const bool self_kill = round % 2 == 0;
    const long writes = self_kill ? 1 + static_cast<long>(rng() % 400) : 0;
    test::ChildProcess helper(
        {ATO_OUTBOX_CRASH_HELPER, db.string(), std::to_string(rng()), std::to_string(writes)}, log);
    if (!self_kill) {
      const auto started = std::chrono::steady_clock::now();
      while (std::chrono::steady_clock::now() - started < 10s &&
             test::read_text(log).find("started at cursor") == std::string::npos)
        std::this_thread::sleep_for(1ms);
      std::this_thread::sleep_for(std::chrono::milliseconds(1 + rng() % 40));
      REQUIRE_MESSAGE(helper.running(), "the helper ended on its own:\n" << test::read_text(log));
      helper.kill(SIGKILL);
    }
    const auto result = helper.wait(30s);
    REQUIRE_MESSAGE(!result.timed_out, "the helper did not die at its write:\n" << test::read_text(log));
    REQUIRE(result.signal == SIGKILL);
    ++kills;

    const Snapshot s = read_snapshot(db);
    CAPTURE(round);
    CHECK(s.integrity == "ok");
    // Exactly the events 1..cursor, each once: nothing lost, nothing beyond the cursor, no duplicate.
    CHECK(s.rows == s.cursor);
    CHECK(s.distinct_sequences == s.cursor);
    CHECK(s.max_sequence == s.cursor);
    CHECK(s.min_sequence == (s.cursor > 0 ? 1 : 0));
    CHECK(s.beyond_cursor == 0);
    // Per-transport order held across every kill and reload of the claim window: what was in
    // flight when the process died was its transport's first open event.
    CHECK(s.in_flight_out_of_order == 0);
    // A settle ends its events' place in their lease in the same transaction.
    CHECK(s.in_flight_settled == 0);
    CHECK(s.in_flight_twice == 0);
    in_flight_at_kills += s.in_flight;
    CHECK(s.cursor >= cursor_before);
    // What was settled stays settled, in the same state.
    int changed = 0;
    for (const auto& [id, state] : settled_before) {
      auto it = s.settled.find(id);
      if (it == s.settled.end() || it->second != state) ++changed;
    }
    CHECK(changed == 0);
    settled_before = s.settled;
    cursor_before = s.cursor;
  }
  CHECK(kills >= 50);
  CHECK(cursor_before > 500);  // it made progress across the restarts
  CHECK(settled_before.size() > 100);
  CHECK(in_flight_at_kills > 0);  // the lease checks above saw packages in flight

  // A bridge starting after the last crash recovers every lease.
  bridge::OutboxOptions options;
  options.path = db;
  bridge::Outbox outbox(options);
  const auto in_flight = outbox.counts().total(bridge::EventState::InFlight);
  CHECK(outbox.rescue_all_in_flight(now_epoch_millis(), bridge::RetryPolicy{}).total() == in_flight);
  CHECK(outbox.counts().total(bridge::EventState::InFlight) == 0);
  MESSAGE("kills: " << kills << ", events: " << cursor_before << ", settled: " << settled_before.size()
                    << ", in flight at the kills: " << in_flight_at_kills);
}
