// bench/run outbox: the outbox against bare SQLite in the same run, same disk, same durability
// (WAL, synchronous=NORMAL), same batch sizes.
//   reference ("raw SQLite, same statements", the floor of bench/README.md): the outbox's own schema and its
//   very
//     SQL (bridge/outbox/queries.hpp) driven through the bare C API: what our layer costs on top.
//   plain queue (for information): a table with a primary key and a unique event_id, INSERT and
//     DELETE ... RETURNING: what per-transport order, leases, retry state and history cost.
// Then the claim+settle rate at the front of a 1,000,000-event backlog against a 60,000-event one,
// and after draining half of the big one: the claim must not slow down with the backlog.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/outbox/outbox.hpp"
#include "bridge/outbox/queries.hpp"
#include "schema/outbox_migrations.hpp"

using namespace ato;
using namespace ato::bridge;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {
// The tenant every event of this file belongs to (schema/outbox/009).
const std::string kTenant = "default";

const std::string kPayload(600, 'p');

std::string uuid_for(std::int64_t n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012llx", static_cast<unsigned long long>(n));
  return buf;
}

NewEvent numbered(std::int64_t n) {
  return NewEvent{uuid_for(n), Service::Export, n, "S4DK9" + std::to_string(10000 + n % 5000),
                  "S4D~080",   kPayload};
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

fs::path fresh(const fs::path& dir, const std::string& name) {
  for (const char* suffix : {"", "-wal", "-shm", ".id"}) fs::remove(dir / (name + suffix));
  return dir / name;
}

// The outbox's schema, statements and connection settings (bridge/outbox/outbox.cpp) on bare
// SQLite: the ratio is what the outbox's own code costs, not a difference in settings.
struct SameStatements {
  sqlite3* db = nullptr;
  explicit SameStatements(const fs::path& path) {
    sqlite3_open(path.c_str(), &db);
    exec("PRAGMA auto_vacuum = INCREMENTAL");
    exec("PRAGMA journal_mode = WAL");
    exec("PRAGMA synchronous = NORMAL");
    exec("PRAGMA cache_size = -4096");
    exec("PRAGMA mmap_size = 268435456");
    exec("PRAGMA temp_store = MEMORY");
    for (const auto& m : ato::schema::kOutboxMigrations) exec(std::string(m.sql).c_str());
    exec("INSERT INTO tenants (id, name, created_at) VALUES (1, 'default', 0)");  // as the outbox's first
                                                                                  // store
  }
  ~SameStatements() { sqlite3_close(db); }
  void exec(const char* sql) { sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }
  sqlite3_stmt* prepare(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    return stmt;
  }

  // Stores as the outbox does: ids above the highest, a chunk of events per statement, the rest one
  // by one (no duplicates here).
  double enqueue(std::int64_t total, int batch) {
    constexpr int chunk = queries::kStoreChunk;
    sqlite3_stmt* highest = prepare(queries::kHighestId);
    sqlite3_stmt* ins[2] = {prepare(queries::insert_events(1)), prepare(queries::insert_events(chunk))};
    sqlite3_stmt* payloads[2] = {prepare(queries::insert_payloads(1)),
                                 prepare(queries::insert_payloads(chunk))};
    sqlite3_stmt* cur = prepare(queries::kUpsertCursor);
    std::vector<std::string> ids(chunk), transports(chunk);
    const auto start = Clock::now();
    for (std::int64_t n = 1; n <= total;) {
      exec("BEGIN IMMEDIATE");
      sqlite3_step(highest);
      std::int64_t next_id = sqlite3_column_int64(highest, 0) + 1;
      sqlite3_reset(highest);
      const std::int64_t batch_end = std::min<std::int64_t>(total + 1, n + batch);
      while (n < batch_end) {
        const int rows = batch_end - n >= chunk ? chunk : 1;
        sqlite3_stmt* events = ins[rows == chunk];
        sqlite3_stmt* payload = payloads[rows == chunk];
        for (int r = 0; r < rows; ++r, ++n, ++next_id) {
          ids[r] = uuid_for(n);
          transports[r] = "S4DK9" + std::to_string(10000 + n % 5000);
          const int at = r * queries::kInsertEventColumns;
          sqlite3_bind_int64(events, at + 1, next_id);
          sqlite3_bind_text(events, at + 2, ids[r].c_str(), -1, SQLITE_STATIC);
          sqlite3_bind_text(events, at + 3, "EXPORT", -1, SQLITE_STATIC);
          sqlite3_bind_int64(events, at + 4, n);
          sqlite3_bind_text(events, at + 5, transports[r].c_str(), -1, SQLITE_STATIC);
          sqlite3_bind_text(events, at + 6, "S4D~080", -1, SQLITE_STATIC);
          sqlite3_bind_int64(events, at + 7, 1);
          sqlite3_bind_int64(events, at + 8, 1);
          sqlite3_bind_int64(events, at + 9, 1);  // tenant 1
          sqlite3_bind_int64(payload, r * 2 + 1, next_id);
          sqlite3_bind_text(payload, r * 2 + 2, kPayload.data(), static_cast<int>(kPayload.size()),
                            SQLITE_STATIC);
        }
        sqlite3_step(events);
        sqlite3_reset(events);
        sqlite3_step(payload);
        sqlite3_reset(payload);
      }
      sqlite3_bind_text(cur, 1, "EXPORT", -1, SQLITE_STATIC);
      sqlite3_bind_int64(cur, 2, n - 1);
      sqlite3_bind_int64(cur, 3, 1);
      sqlite3_bind_int64(cur, 4, 1);  // tenant 1
      sqlite3_step(cur);
      sqlite3_reset(cur);
      exec("COMMIT");
    }
    sqlite3_finalize(highest);
    for (auto* stmt : {ins[0], ins[1], payloads[0], payloads[1]}) sqlite3_finalize(stmt);
    sqlite3_finalize(cur);
    return total / seconds_since(start);
  }

  // The outbox's claim window chooses in memory among open events it loaded in sequence order;
  // here every package loads its ids with the window's own statement, reads them, records a lease,
  // then settles them and ends the lease.
  double claim_settle(int package) {
    sqlite3_stmt* load = prepare(queries::kLoadWindow);
    sqlite3_stmt* read = prepare(queries::read_claimed("pending"));
    sqlite3_stmt* lease = prepare(queries::kInsertLease);
    sqlite3_stmt* done = prepare(queries::kSettleDone);
    sqlite3_stmt* end_lease = prepare(queries::kEndLease);
    std::int64_t total = 0, token = 1, last_sequence = 0;
    std::size_t bytes = 0;
    const auto start = Clock::now();
    for (;; ++token) {
      sqlite3_bind_int64(load, 1, last_sequence);
      sqlite3_bind_int(load, 2, package);
      sqlite3_bind_int64(load, 3, 1);  // tenant 1
      std::string ids = "[";
      int chosen = 0;
      while (sqlite3_step(load) == SQLITE_ROW) {
        if (chosen++) ids += ',';
        ids += std::to_string(sqlite3_column_int64(load, 0));
        last_sequence = sqlite3_column_int64(load, 1);
      }
      sqlite3_reset(load);
      if (chosen == 0) break;
      ids += ']';
      sqlite3_bind_text(read, 1, ids.c_str(), -1, SQLITE_STATIC);
      int rows = 0;
      while (sqlite3_step(read) == SQLITE_ROW) {
        ++rows;
        bytes += static_cast<std::size_t>(sqlite3_column_bytes(read, 8));  // the payload
      }
      sqlite3_reset(read);
      sqlite3_bind_int64(lease, 1, token);
      sqlite3_bind_int64(lease, 2, 1'000'000);
      sqlite3_bind_text(lease, 3, ids.c_str(), -1, SQLITE_STATIC);
      sqlite3_step(lease);
      sqlite3_reset(lease);
      exec("BEGIN IMMEDIATE");
      sqlite3_bind_int64(done, 1, 2);
      sqlite3_bind_text(done, 2, ids.c_str(), -1, SQLITE_STATIC);
      sqlite3_step(done);
      sqlite3_reset(done);
      sqlite3_bind_int64(end_lease, 1, token);
      sqlite3_step(end_lease);
      sqlite3_reset(end_lease);
      exec("COMMIT");
      total += rows;
    }
    sqlite3_finalize(load);
    sqlite3_finalize(read);
    sqlite3_finalize(lease);
    sqlite3_finalize(done);
    sqlite3_finalize(end_lease);
    return total / seconds_since(start);
  }
};

// The plain queue: no ordering, no leases, no history.
struct Raw {
  sqlite3* db = nullptr;
  explicit Raw(const fs::path& path) {
    sqlite3_open(path.c_str(), &db);
    exec("PRAGMA journal_mode = WAL");
    exec("PRAGMA synchronous = NORMAL");
    exec(
        "CREATE TABLE q (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, service TEXT NOT NULL, "
        "sequence INTEGER NOT NULL, transport_id TEXT NOT NULL, payload TEXT NOT NULL)");
  }
  ~Raw() { sqlite3_close(db); }
  void exec(const char* sql) { sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }

  double enqueue(std::int64_t total, int batch) {
    sqlite3_stmt* ins = nullptr;
    sqlite3_prepare_v2(
        db, "INSERT INTO q (event_id, service, sequence, transport_id, payload) VALUES (?, ?, ?, ?, ?)", -1,
        &ins, nullptr);
    const auto start = Clock::now();
    for (std::int64_t n = 1; n <= total;) {
      exec("BEGIN IMMEDIATE");
      for (int i = 0; i < batch && n <= total; ++i, ++n) {
        const auto id = uuid_for(n);
        const auto transport = "S4DK9" + std::to_string(10000 + n % 5000);
        sqlite3_bind_text(ins, 1, id.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 2, "EXPORT", -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 3, n);
        sqlite3_bind_text(ins, 4, transport.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 5, kPayload.data(), static_cast<int>(kPayload.size()), SQLITE_STATIC);
        sqlite3_step(ins);
        sqlite3_reset(ins);
      }
      exec("COMMIT");
    }
    sqlite3_finalize(ins);
    return total / seconds_since(start);
  }

  double claim_delete(int package) {
    sqlite3_stmt* del = nullptr;
    sqlite3_prepare_v2(
        db, "DELETE FROM q WHERE id IN (SELECT id FROM q ORDER BY id LIMIT ?) RETURNING id, payload", -1,
        &del, nullptr);
    std::int64_t done = 0;
    std::size_t bytes = 0;
    const auto start = Clock::now();
    for (;;) {
      exec("BEGIN IMMEDIATE");
      sqlite3_bind_int(del, 1, package);
      int rows = 0;
      while (sqlite3_step(del) == SQLITE_ROW) {
        bytes += static_cast<std::size_t>(sqlite3_column_bytes(del, 1));
        ++rows;
      }
      sqlite3_reset(del);
      exec("COMMIT");
      if (rows == 0) break;
      done += rows;
    }
    sqlite3_finalize(del);
    return done / seconds_since(start);
  }
};

double outbox_enqueue(Outbox& box, std::int64_t first, std::int64_t total, int batch) {
  std::vector<NewEvent> events;
  const auto start = Clock::now();
  for (std::int64_t n = first; n < first + total;) {
    events.clear();
    for (int i = 0; i < batch && n < first + total; ++i, ++n) events.push_back(numbered(n));
    box.enqueue(kTenant, Service::Export, events, n - 1, 1);
  }
  return total / seconds_since(start);
}

// Claims and settles up to `limit` events in packages of `package`; returns events/s, and how many
// were settled in `settled` when given.
double outbox_claim_settle(Outbox& box, int package, std::int64_t limit, std::int64_t* settled = nullptr) {
  RetryPolicy policy;
  std::int64_t done = 0;
  const auto start = Clock::now();
  while (done < limit) {
    ClaimRequest r;
    r.service = Service::Export;
    r.max_events = package;
    r.now = 2;
    const auto p = box.claim(r);
    if (p.events.empty()) break;
    std::vector<Settlement> s;
    s.reserve(p.events.size());
    for (const auto& e : p.events) s.push_back(Settlement::done(e.id));
    box.settle(p.lease_token, s, 2, policy);
    done += static_cast<std::int64_t>(p.events.size());
  }
  if (settled) *settled = done;
  return done / seconds_since(start);
}

std::unique_ptr<Outbox> open_outbox(const fs::path& path) {
  OutboxOptions o;
  o.path = path;
  return std::make_unique<Outbox>(o);
}

}  // namespace

// `bench_outbox --floor N DIR`: the physical floor of a durable queue on this disk, for bench/run
// e2e: N events enqueued in batches of 1000, then claimed and deleted in packages of 100, on bare
// SQLite with the same WAL settings. Prints `floor_events_per_s <rate>`.
int floor_only(std::int64_t total, const fs::path& dir) {
  Raw plain(fresh(dir, "floor.db"));
  const auto start = Clock::now();
  plain.enqueue(total, 1000);
  plain.claim_delete(100);
  std::printf("floor_events_per_s %.0f\n", static_cast<double>(total) / seconds_since(start));
  fresh(dir, "floor.db");
  return 0;
}

// `bench_outbox --drain N DIR`: N events through the bridge's outbox alone, stored in batches of
// 1000, then claimed and settled in packages of 100. bench/outbox-instructions.sh counts the
// instructions of each half under callgrind (outbox_enqueue, outbox_claim_settle).
int drain_only(std::int64_t total, const fs::path& dir) {
  auto box = open_outbox(fresh(dir, "drain.db"));
  outbox_enqueue(*box, 1, total, 1000);
  std::int64_t settled = 0;
  outbox_claim_settle(*box, 100, total, &settled);
  box.reset();
  fresh(dir, "drain.db");
  std::printf("drained %lld of %lld events\n", static_cast<long long>(settled),
              static_cast<long long>(total));
  return settled == total ? 0 : 1;
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows as it happens, even through a pipe
  if (argc == 4 && std::string_view(argv[1]) == "--floor") {
    fs::create_directories(argv[3]);
    return floor_only(std::stoll(argv[2]), argv[3]);
  }
  if (argc == 4 && std::string_view(argv[1]) == "--drain") {
    fs::create_directories(argv[3]);
    return drain_only(std::stoll(argv[2]), argv[3]);
  }
  const bool asks_help =
      argc > 1 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h");
  if (asks_help || argc > 2 || (argc == 2 && argv[1][0] == '-')) {
    std::fprintf(
        asks_help ? stdout : stderr,
        "usage: bench_outbox [DIR]          outbox vs the same statements vs a plain queue, in DIR\n"
        "                                    (default: %s)\n"
        "       bench_outbox --floor N DIR  the floor for bench/run e2e: N events through a plain queue\n"
        "       bench_outbox --drain N DIR  N events stored, claimed and settled by the outbox alone\n",
        (fs::temp_directory_path() / "ato-bench-outbox").c_str());
    return asks_help ? 0 : 2;
  }
  const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "ato-bench-outbox";
  fs::create_directories(dir);
  std::printf("disk: %s, payload %zu bytes, WAL + synchronous=NORMAL for both\n", dir.c_str(),
              kPayload.size());

  std::printf("\n%-26s %16s %12s %8s %14s\n", "enqueue (rows/s)", "same statements", "outbox", "ratio",
              "plain queue");
  for (int batch : {1, 100, 1000}) {
    const std::int64_t total = batch == 1 ? 20'000 : 200'000;
    SameStatements same(fresh(dir, "raw.db"));
    const double r = same.enqueue(total, batch);
    Raw plain(fresh(dir, "plain.db"));
    const double q = plain.enqueue(total, batch);
    auto box = open_outbox(fresh(dir, "outbox.db"));
    const double o = outbox_enqueue(*box, 1, total, batch);
    std::printf("%-26s %16.0f %12.0f %8.3f %14.0f\n", ("batches of " + std::to_string(batch)).c_str(), r, o,
                o / r, q);
    std::printf("ratio outbox_vs_sqlite_enqueue_%d %.3f\n", batch, o / r);
    std::printf("ratio outbox_vs_plain_queue_enqueue_%d %.3f\n", batch, o / q);
  }

  std::printf("\n%-26s %16s %12s %8s %14s\n", "claim + settle (rows/s)", "same statements", "outbox", "ratio",
              "plain c+delete");
  {
    SameStatements same(fresh(dir, "raw.db"));
    same.enqueue(200'000, 1000);
    const double r = same.claim_settle(100);
    Raw plain(fresh(dir, "plain.db"));
    plain.enqueue(200'000, 1000);
    const double q = plain.claim_delete(100);
    auto box = open_outbox(fresh(dir, "outbox.db"));
    outbox_enqueue(*box, 1, 200'000, 1000);
    const double o = outbox_claim_settle(*box, 100, 200'000);
    std::printf("%-26s %16.0f %12.0f %8.3f %14.0f\n", "packages of 100", r, o, o / r, q);
    std::printf("ratio outbox_vs_sqlite_claim_settle_100 %.3f\n", o / r);
    std::printf("ratio outbox_vs_plain_queue_claim_100 %.3f\n", o / q);
  }

  std::printf("\nclaim + settle with a backlog (packages of 100, 50,000 events measured each)\n");
  {
    auto small = open_outbox(fresh(dir, "outbox.db"));
    outbox_enqueue(*small, 1, 60'000, 1000);
    const double at_small = outbox_claim_settle(*small, 100, 50'000);
    small.reset();
    auto big = open_outbox(fresh(dir, "outbox.db"));
    const auto start = Clock::now();
    outbox_enqueue(*big, 1, 1'000'000, 1000);
    std::printf("  filled 1,000,000 events in %.1f s\n", seconds_since(start));
    const double at_front = outbox_claim_settle(*big, 100, 50'000);
    // Drain to the middle of the backlog and measure again.
    outbox_claim_settle(*big, 1000, 400'000);
    const double at_middle = outbox_claim_settle(*big, 100, 50'000);
    std::printf("  backlog   60,000: %10.0f rows/s\n", at_small);
    std::printf("  backlog 1,000,000: %10.0f rows/s (front), %10.0f rows/s (after draining 450,000)\n",
                at_front, at_middle);
    std::printf("ratio outbox_claim_backlog_1m_vs_60k %.3f\n", at_front / at_small);
    std::printf("ratio outbox_claim_backlog_mid_vs_front %.3f\n", at_middle / at_front);
  }
  for (const char* f : {"raw.db", "plain.db", "outbox.db"}) fresh(dir, f);
}
