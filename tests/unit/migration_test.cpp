// Migration 001 holds the outbox's invariants as CHECK constraints: these tests try to break them.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <string>

#include "bridge/outbox/queries.hpp"
#include "schema/outbox_migrations.hpp"

namespace {

struct Db {
  sqlite3* db = nullptr;
  Db() {
    REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK);
    for (const auto& m : ato::schema::kOutboxMigrations) REQUIRE(exec(std::string(m.sql)) == SQLITE_OK);
    // kInsertOne stores rows of tenant 1 without naming it in every test (schema/outbox/009).
    REQUIRE(exec("INSERT INTO tenants (id, name, created_at) VALUES (1, 'default', 0)") == SQLITE_OK);
    REQUIRE(exec("CREATE TEMP VIEW default_events AS SELECT event_id, service, sequence, transport_id, "
                 "source_system, enqueued_at, next_attempt_at FROM events") == SQLITE_OK);
    REQUIRE(exec("CREATE TEMP TRIGGER default_events_insert INSTEAD OF INSERT ON default_events BEGIN "
                 "INSERT INTO events (tenant, event_id, service, sequence, transport_id, source_system, "
                 "enqueued_at, next_attempt_at) VALUES (1, new.event_id, new.service, new.sequence, "
                 "new.transport_id, new.source_system, new.enqueued_at, new.next_attempt_at); END") ==
            SQLITE_OK);
  }
  ~Db() { sqlite3_close(db); }
  int exec(const std::string& sql) { return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr); }
  std::string error() const { return sqlite3_errmsg(db); }
  // What EXPLAIN QUERY PLAN says of `sql`, one line per step.
  std::string plan_of(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    const std::string plan_sql = "EXPLAIN QUERY PLAN " + sql;
    REQUIRE_MESSAGE(sqlite3_prepare_v2(db, plan_sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK, error());
    std::string plan;
    while (sqlite3_step(stmt) == SQLITE_ROW)
      plan += std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3))) + "\n";
    sqlite3_finalize(stmt);
    return plan;
  }
};

// Into the latest schema (through Db's view: tenant 1), and into an outbox from before tenants.
const std::string kInsertOne =
    "INSERT INTO default_events (event_id, service, sequence, transport_id, source_system, enqueued_at, "
    "next_attempt_at) VALUES ";
const std::string kInsert =
    "INSERT INTO events (event_id, service, sequence, transport_id, source_system, enqueued_at, "
    "next_attempt_at) VALUES ";

}  // namespace

TEST_CASE("migrations are numbered from 1 without gaps") {
  int expected = 1;
  for (const auto& m : ato::schema::kOutboxMigrations) CHECK(m.version == expected++);
  CHECK(expected > 1);
}

TEST_CASE("a pending event is accepted and its defaults are right") {
  Db db;
  REQUIRE(db.exec(kInsertOne + "('e1', 'EXPORT', 1, 'S4DK900001', 'S4D~080', 10, 10)") == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db.db, "SELECT state, attempts, errors FROM events", -1, &stmt, nullptr) ==
          SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))) == "pending");
  CHECK(sqlite3_column_int(stmt, 1) == 0);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 2))) == "[]");
  sqlite3_finalize(stmt);
}

TEST_CASE("the state invariants cannot be broken") {
  Db db;
  REQUIRE(db.exec(kInsertOne + "('e1', 'EXPORT', 1, 'S4DK900001', 'S4D~080', 10, 10)") == SQLITE_OK);
  // Same feed sequence twice: one row (ingestion deduplicates on it).
  CHECK(db.exec(kInsertOne + "('e9', 'EXPORT', 1, 'S4DK900001', 'S4D~080', 10, 10)") == SQLITE_CONSTRAINT);
  CHECK(db.exec(kInsertOne + "('e2', 'RETRY', 2, 'S4DK900001', 'S4D~080', 10, 10)") == SQLITE_CONSTRAINT);
  CHECK(db.exec(kInsertOne + "('e3', 'EXPORT', 0, 'S4DK900001', 'S4D~080', 10, 10)") == SQLITE_CONSTRAINT);
  // In flight is no state of a row (a lease lists it); done without a settle time, dead without a
  // reason: all refused.
  CHECK(db.exec("UPDATE events SET state = 'in_flight'") == SQLITE_CONSTRAINT);
  CHECK(db.exec("UPDATE events SET state = 'done'") == SQLITE_CONSTRAINT);
  CHECK(db.exec("UPDATE events SET state = 'dead', settled_at = 5") == SQLITE_CONSTRAINT);
  CHECK(db.exec("UPDATE events SET state = 'lost'") == SQLITE_CONSTRAINT);
  CHECK(db.exec("UPDATE events SET errors = '{}'") == SQLITE_CONSTRAINT);
  CHECK(db.exec("UPDATE events SET attempts = -1") == SQLITE_CONSTRAINT);
  // A lease lists its events as a JSON array.
  CHECK(db.exec("INSERT INTO leases VALUES (7, 99, '{}')") == SQLITE_CONSTRAINT);
  CHECK(db.exec("INSERT INTO leases VALUES (7, 99, 'not json')") == SQLITE_CONSTRAINT);
  CHECK(db.exec("INSERT INTO leases VALUES (7, 99, '[1]')") == SQLITE_OK);
  // The legal transitions pass.
  CHECK(db.exec("UPDATE events SET state = 'retryable', attempts = 1, "
                "errors = json_array(json_object('attempt', 1, 'status', 503))") == SQLITE_OK);
  CHECK(db.exec("UPDATE events SET state = 'dead', settled_at = 50, dead_reason = 'max attempts'") ==
        SQLITE_OK);
  CHECK(db.exec("UPDATE events SET state = 'pending', settled_at = NULL") ==
        SQLITE_CONSTRAINT);  // reason left
  CHECK(db.exec("INSERT INTO cursors VALUES (1, 'EXPORT', -1, 0)") == SQLITE_CONSTRAINT);
  CHECK(db.exec("INSERT INTO cursors VALUES (1, 'RETRY', 0, 0)") == SQLITE_CONSTRAINT);
  CHECK(db.exec("INSERT INTO cursors VALUES (1, 'EXPORT', 0, 0)") == SQLITE_OK);
  CHECK(db.exec("INSERT INTO cursors VALUES (1, 'EXPORT', 3, 0)") ==
        SQLITE_CONSTRAINT);  // one per tenant and service
}

TEST_CASE("the events in flight are found from their leases by key, never a scan of the events") {
  Db db;
  const std::string plan = db.plan_of(ato::bridge::queries::kLoadLeases);
  CAPTURE(plan);
  CHECK(plan.find("SEARCH e USING INTEGER PRIMARY KEY (rowid=?)") != std::string::npos);
  CHECK(plan.find("SCAN e") == std::string::npos);
}

TEST_CASE("settling the accepted events of a package finds them by key") {
  Db db;
  const std::string plan = db.plan_of(ato::bridge::queries::kSettleDone);
  CAPTURE(plan);
  CHECK(plan.find("SEARCH events USING INTEGER PRIMARY KEY (rowid=?)") != std::string::npos);
  CHECK(plan.find("SCAN events") == std::string::npos);
}

TEST_CASE("the claimed events are read back by their key, payloads too") {
  Db db;
  const std::string plan = db.plan_of(ato::bridge::queries::read_claimed("pending"));
  CAPTURE(plan);
  CHECK(plan.find("SEARCH e USING INTEGER PRIMARY KEY (rowid=?)") != std::string::npos);
  CHECK(plan.find("SEARCH p USING INTEGER PRIMARY KEY (rowid=?)") != std::string::npos);
  CHECK(plan.find("SCAN e") == std::string::npos);
  CHECK(plan.find("SCAN p") == std::string::npos);
}

// SQLite prepares a statement again, on its next step, when a parameter it planned with was bound
// anew (a bound value compared with a partial index's condition, say). Each hot statement is bound
// and run twice with other values here, and must keep its first preparation.
TEST_CASE("the hot statements are prepared once, however often they are bound") {
  namespace q = ato::bridge::queries;
  Db db;
  const std::string statements[] = {q::read_claimed("pending"),
                                    q::read_claimed("retryable"),
                                    q::kInsertLease,
                                    q::kShrinkLease,
                                    q::kEndLease,
                                    q::kLoadLeases,
                                    q::kLoadWindow,
                                    q::insert_events(1),
                                    q::insert_events(q::kStoreChunk),
                                    q::insert_payloads(1),
                                    q::insert_payloads(q::kStoreChunk),
                                    q::kHighestId,
                                    q::kStoredIds,
                                    q::kUpsertCursor,
                                    q::kSettleDone,
                                    q::kRetentionScan};
  for (const std::string& sql : statements) {
    CAPTURE(sql);
    sqlite3_stmt* stmt = nullptr;
    REQUIRE_MESSAGE(sqlite3_prepare_v2(db.db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK, db.error());
    for (int round = 1; round <= 3; ++round) {
      // Any values do: a bound integer reads as JSON too. Constraint errors are fine here.
      for (int p = 1; p <= sqlite3_bind_parameter_count(stmt); ++p)
        sqlite3_bind_int(stmt, p, round * 100 + p);
      while (sqlite3_step(stmt) == SQLITE_ROW) {
      }
      sqlite3_reset(stmt);
    }
    CHECK(sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_REPREPARE, 0) == 0);
    sqlite3_finalize(stmt);
  }
}

TEST_CASE("the claim window loads open events in sequence order through their index") {
  Db db;
  const std::string plan = db.plan_of(ato::bridge::queries::kLoadWindow);
  CAPTURE(plan);
  CHECK(plan.find("USING INDEX events_open (tenant=? AND sequence>?)") != std::string::npos);
  CHECK(plan.find("TEMP B-TREE") == std::string::npos);  // the index gives sequence order
  CHECK(plan.find("SCAN") == std::string::npos);
}

TEST_CASE("retention walks the rows in stored order, and no index of delivered rows is kept") {
  Db db;
  const std::string plan = db.plan_of(ato::bridge::queries::kRetentionScan);
  CAPTURE(plan);
  CHECK(plan.find("SEARCH events USING INTEGER PRIMARY KEY (rowid>?)") != std::string::npos);
  CHECK(plan.find("TEMP B-TREE") == std::string::npos);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db.db, "SELECT count(*) FROM sqlite_schema WHERE name = 'events_settled'", -1,
                             &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(sqlite3_column_int(stmt, 0) == 0);
  sqlite3_finalize(stmt);
}

TEST_CASE("storing events reads nothing but their own keys, one at a time or a chunk at once") {
  Db db;
  for (int rows : {1, ato::bridge::queries::kStoreChunk}) {
    CAPTURE(rows);
    for (const std::string& sql :
         {ato::bridge::queries::insert_events(rows), ato::bridge::queries::insert_payloads(rows)}) {
      const std::string plan = db.plan_of(sql);
      CAPTURE(plan);
      CHECK(plan.find("SCAN events") == std::string::npos);
      CHECK(plan.find("SEARCH") == std::string::npos);
    }
  }
  const std::string plan = db.plan_of(ato::bridge::queries::kHighestId);
  CAPTURE(plan);
  CHECK(plan.find("SCAN events") == std::string::npos);  // the last key of the table
}

TEST_CASE("migration 002 keeps every row of an outbox written by migration 001, payloads apart") {
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(":memory:", &raw) == SQLITE_OK);
  auto exec = [&](const std::string& sql) {
    return sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr);
  };
  REQUIRE(exec(std::string(ato::schema::kOutboxMigrations[0].sql)) == SQLITE_OK);
  REQUIRE(exec("INSERT INTO events (event_id, service, sequence, transport_id, source_system, payload, "
               "enqueued_at, next_attempt_at) VALUES ('e1', 'EXPORT', 1, 'S4DK900001', 'S4D~080', "
               "'{\"n\":1}', 10, 10), ('e2', 'IMPORT', 2, 'S4DK900001', 'S4D~080', '{\"n\":2}', 10, 10)") ==
          SQLITE_OK);
  REQUIRE(exec("UPDATE events SET state = 'dead', settled_at = 20, dead_reason = 'rejected', errors = "
               "'[{\"attempt\":1}]' WHERE event_id = 'e2'") == SQLITE_OK);
  for (std::size_t i = 1; i < std::size(ato::schema::kOutboxMigrations); ++i)
    REQUIRE_MESSAGE(exec(std::string(ato::schema::kOutboxMigrations[i].sql)) == SQLITE_OK,
                    sqlite3_errmsg(raw));

  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(raw,
                             "SELECT e.event_id, e.state, e.errors, p.payload FROM events e JOIN payloads p "
                             "USING (id) ORDER BY e.sequence",
                             -1, &stmt, nullptr) == SQLITE_OK);
  auto text = [&](int column) {
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, column)));
  };
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(text(0) == "e1");
  CHECK(text(1) == "pending");
  CHECK(text(3) == "{\"n\":1}");
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(text(0) == "e2");
  CHECK(text(1) == "dead");
  CHECK(text(2) == "[{\"attempt\":1}]");
  CHECK(text(3) == "{\"n\":2}");
  CHECK(sqlite3_step(stmt) == SQLITE_DONE);
  sqlite3_finalize(stmt);
  // A deleted row takes its payload with it.
  REQUIRE(exec("DELETE FROM events WHERE event_id = 'e1'") == SQLITE_OK);
  REQUIRE(sqlite3_prepare_v2(raw, "SELECT count(*) FROM payloads", -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(sqlite3_column_int(stmt, 0) == 1);
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
}

TEST_CASE("migration 005 leaves the order to the claim window and loads open events only") {
  Db db;
  REQUIRE(db.exec(kInsertOne + "('a1', 'EXPORT', 1, 'T1', 'S4D~080', 10, 10), ('a2', 'IMPORT', 2, 'T1', "
                               "'S4D~080', 10, 10), ('b3', 'EXPORT', 3, 'T2', 'S4D~080', 10, 10)") ==
          SQLITE_OK);
  // Settling no longer touches another row: no trigger is left to do so.
  REQUIRE(db.exec("UPDATE events SET state = 'done', settled_at = 20 WHERE sequence = 1") == SQLITE_OK);
  REQUIRE(db.exec("UPDATE events SET state = 'dead', settled_at = 21, dead_reason = 'rejected' WHERE "
                  "sequence = 3") == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db.db,
                             "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE "
                             "'events_head%'",
                             -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(sqlite3_column_int(stmt, 0) == 0);
  sqlite3_finalize(stmt);
  REQUIRE(sqlite3_prepare_v2(db.db, ato::bridge::queries::kLoadWindow, -1, &stmt, nullptr) == SQLITE_OK);
  sqlite3_bind_int(stmt, 1, 0);
  sqlite3_bind_int(stmt, 2, 10);
  sqlite3_bind_int(stmt, 3, 1);  // tenant 1
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(sqlite3_column_int(stmt, 1) == 2);  // the only open one
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 5))) == "pending");
  CHECK(sqlite3_step(stmt) == SQLITE_DONE);
  sqlite3_finalize(stmt);
}

TEST_CASE("migration 006 turns the per-event leases of rows in flight into a lease per package") {
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(":memory:", &raw) == SQLITE_OK);
  auto exec = [&](const std::string& sql) {
    return sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr);
  };
  auto number = [&](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE_MESSAGE(sqlite3_prepare_v2(raw, sql, -1, &stmt, nullptr) == SQLITE_OK, sqlite3_errmsg(raw));
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    const auto value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
  };
  auto text = [&](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE_MESSAGE(sqlite3_prepare_v2(raw, sql, -1, &stmt, nullptr) == SQLITE_OK, sqlite3_errmsg(raw));
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    std::string value(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    sqlite3_finalize(stmt);
    return value;
  };
  const auto& migrations = ato::schema::kOutboxMigrations;
  REQUIRE(std::size(migrations) >= 6);
  for (std::size_t i = 0; i < 5; ++i) REQUIRE(exec(std::string(migrations[i].sql)) == SQLITE_OK);
  REQUIRE(exec(kInsert + "('a1', 'EXPORT', 1, 'T1', 'S4D~080', 10, 10), ('a2', 'EXPORT', 2, 'T2', 'S4D~080', "
                         "10, 10), ('a3', 'EXPORT', 3, 'T3', 'S4D~080', 10, 10), ('a4', 'EXPORT', 4, 'T4', "
                         "'S4D~080', 10, 10)") == SQLITE_OK);
  REQUIRE(exec("INSERT INTO payloads SELECT id, 'payload ' || sequence FROM events") == SQLITE_OK);
  // 1 and 2 in flight under lease 7 (2 after a failed attempt), 3 under lease 8, 4 delivered.
  REQUIRE(exec("UPDATE events SET attempts = 1 WHERE sequence = 2") == SQLITE_OK);
  REQUIRE(
      exec("UPDATE events SET state = 'in_flight', lease_token = 7, lease_expires_at = 100 WHERE sequence "
           "<= 2") == SQLITE_OK);
  REQUIRE(
      exec("UPDATE events SET state = 'in_flight', lease_token = 8, lease_expires_at = 200 WHERE sequence "
           "= 3") == SQLITE_OK);
  REQUIRE(exec("UPDATE events SET state = 'done', settled_at = 20 WHERE sequence = 4") == SQLITE_OK);
  for (std::size_t i = 5; i < std::size(migrations); ++i)
    REQUIRE_MESSAGE(exec(std::string(migrations[i].sql)) == SQLITE_OK, sqlite3_errmsg(raw));

  CHECK(number("SELECT count(*) FROM leases") == 2);
  CHECK(number("SELECT expires_at FROM leases WHERE token = 7") == 100);
  CHECK(
      text("SELECT group_concat(e.sequence) FROM leases l, json_each(l.event_ids) j JOIN events e ON e.id = "
           "j.value WHERE l.token = 7 ORDER BY e.sequence") == "1,2");
  CHECK(
      text("SELECT group_concat(e.sequence) FROM leases l, json_each(l.event_ids) j JOIN events e ON e.id = "
           "j.value WHERE l.token = 8") == "3");
  // Back to the state each was claimed from; the delivered row and every payload unchanged.
  CHECK(text("SELECT group_concat(state, ',') FROM (SELECT state FROM events ORDER BY sequence)") ==
        "pending,retryable,pending,done");
  CHECK(number("SELECT count(*) FROM payloads") == 4);
  CHECK(text("SELECT payload FROM payloads p JOIN events e USING (id) WHERE e.sequence = 3") == "payload 3");
  // The columns of the per-event lease are gone, and a deleted row still takes its payload along.
  CHECK(exec("SELECT lease_token FROM events") != SQLITE_OK);
  CHECK(exec("SELECT transport_head FROM events") != SQLITE_OK);
  REQUIRE(exec("DELETE FROM events WHERE sequence = 4") == SQLITE_OK);
  CHECK(number("SELECT count(*) FROM payloads") == 3);
  CHECK(text("PRAGMA integrity_check") == "ok");
  sqlite3_close(raw);
}

// Outboxes from before tenants (schema version 8): their events and cursors belong to the tenant
// named 'default', which a configuration with one `ato` section reads; nothing else changes.
TEST_CASE("migration 009 gives the events and cursors of an older outbox to the tenant 'default'") {
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(":memory:", &raw) == SQLITE_OK);
  auto exec = [&](const std::string& sql) {
    return sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr);
  };
  auto text = [&](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE_MESSAGE(sqlite3_prepare_v2(raw, sql, -1, &stmt, nullptr) == SQLITE_OK, sqlite3_errmsg(raw));
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    std::string value(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    sqlite3_finalize(stmt);
    return value;
  };
  const auto& migrations = ato::schema::kOutboxMigrations;
  REQUIRE(std::size(migrations) >= 9);
  for (std::size_t i = 0; i < 8; ++i) REQUIRE(exec(std::string(migrations[i].sql)) == SQLITE_OK);
  REQUIRE(exec(kInsert + "('a1', 'EXPORT', 1, 'T1', 'S4D~080', 10, 10), ('a2', 'IMPORT', 2, 'T1', 'S4T~100', "
                         "10, 10), ('a3', 'EXPORT', 3, 'T2', 'S4D~080', 10, 10)") == SQLITE_OK);
  REQUIRE(exec("INSERT INTO payloads SELECT id, 'payload ' || sequence FROM events") == SQLITE_OK);
  REQUIRE(exec("UPDATE events SET state = 'done', settled_at = 20 WHERE sequence = 1") == SQLITE_OK);
  REQUIRE(exec("INSERT INTO leases (token, expires_at, event_ids) SELECT 7, 100, json_array(id) FROM events "
               "WHERE sequence = 2") == SQLITE_OK);
  REQUIRE(
      exec("INSERT INTO cursors (service, sequence, updated_at) VALUES ('EXPORT', 3, 5), ('IMPORT', 2, 5)") ==
      SQLITE_OK);
  REQUIRE_MESSAGE(exec(std::string(migrations[8].sql)) == SQLITE_OK, sqlite3_errmsg(raw));

  CHECK(text("SELECT group_concat(id || ':' || name) FROM tenants") == "1:default");
  CHECK(text("SELECT group_concat(tenant || '/' || sequence || '/' || state, ',') FROM (SELECT * FROM events "
             "ORDER BY id)") == "1/1/done,1/2/pending,1/3/pending");
  CHECK(text("SELECT group_concat(tenant || '/' || service || '/' || sequence, ',') FROM (SELECT * FROM "
             "cursors ORDER BY service)") == "1/EXPORT/3,1/IMPORT/2");
  CHECK(text("SELECT count(*) FROM payloads") == "3");
  CHECK(text("SELECT event_ids FROM leases WHERE token = 7") == "[2]");
  // Another tenant numbers its own events: the same sequence is no conflict there, but is for tenant 1.
  REQUIRE(exec("INSERT INTO tenants (id, name, created_at) VALUES (2, 'S4T~100', 0)") == SQLITE_OK);
  CHECK(exec("INSERT INTO events (tenant, event_id, service, sequence, transport_id, source_system, "
             "enqueued_at, "
             "next_attempt_at) VALUES (2, 'b1', 'IMPORT', 1, 'T1', 'S4T~100', 10, 10)") == SQLITE_OK);
  CHECK(exec("INSERT INTO events (tenant, event_id, service, sequence, transport_id, source_system, "
             "enqueued_at, "
             "next_attempt_at) VALUES (1, 'b2', 'IMPORT', 1, 'T1', 'S4T~100', 10, 10)") == SQLITE_CONSTRAINT);
  // A deleted row still takes its payload along; the file is sound.
  REQUIRE(exec("DELETE FROM events WHERE event_id = 'a1'") == SQLITE_OK);
  CHECK(text("SELECT count(*) FROM payloads") == "2");
  CHECK(text("PRAGMA integrity_check") == "ok");
  CHECK(text("SELECT count(*) FROM pragma_foreign_key_check") == "0");
  sqlite3_close(raw);
}

TEST_CASE("migration 009 on an empty outbox names no tenant") {
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(":memory:", &raw) == SQLITE_OK);
  for (const auto& m : ato::schema::kOutboxMigrations)
    REQUIRE(sqlite3_exec(raw, std::string(m.sql).c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(raw, "SELECT count(*) FROM tenants", -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(sqlite3_column_int(stmt, 0) == 0);
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
}
