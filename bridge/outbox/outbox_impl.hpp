// Inside the outbox (private to bridge/outbox/): the state the parts share. Each part of the
// facade's operations lives in a file of its own:
//   lifecycle.cpp        open, identity, migrations, pragmas, checks, groups (together)
//   tenants_cursors.cpp  tenant names and numbers, the feed cursors, the low watermark
//   ingestion.cpp        enqueue: storing events, duplicates, conflicts, dead letters at the door
//   leases.cpp           claim, settle, release, rescue (one way to record a failure)
//   administration.cpp   dead letters, counts, retention, the recording's reads
// What memory mirrors of the file, and the invariants, are in memory.hpp; the SQL in sql/.
#pragma once

#include <fmt/format.h>

#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "bridge/outbox/checkpointer.hpp"
#include "bridge/outbox/memory.hpp"
#include "bridge/outbox/one_user.hpp"
#include "bridge/outbox/outbox.hpp"
#include "bridge/outbox/outbox_file.hpp"
#include "bridge/outbox/prepared_statements.hpp"
#include "bridge/outbox/sql.hpp"
#include "core/json_writer.hpp"
#include "core/sqlite.hpp"

namespace ato::bridge {

inline std::string_view state_name(EventState s) {
  return name_of(kEventStateNames, s);
}
inline Service service_from(std::string_view text) {
  return value_of(kServiceNames, text).value_or(Service::Export);
}
// Row ids as a JSON array, for `id IN (SELECT value FROM json_each(?))`: one statement per package.
inline std::string json_array(const std::vector<std::int64_t>& ids) {
  std::string out;
  JsonWriter json(out);
  json.begin_array();
  for (std::int64_t id : ids) json.value(id);
  json.end_array();
  return out;
}

// A failed attempt, from a push's answer or an expired lease, before the retry policy decided.
struct Failure {
  std::int64_t id = 0;
  int attempts = 0;  // including this one
  EpochMillis enqueued_at = 0;
  bool retryable = true;  // false: dead now, whatever the policy says
  int http_status = 0;    // 0: no HTTP answer
  std::string_view message;
  std::optional<std::chrono::milliseconds> retry_after;
};

struct Outbox::Impl {
  struct OpenedFile {
    bool created = false;      // open() made the file: an empty database is expected
    std::optional<FileId> id;  // the file the path named when opened (verify_file)
    std::string identity;      // schema/outbox/008
  };
  struct ClaimTurns {
    std::map<Service, int> last_served_tenant;  // tenants take turns, per service
    std::set<int> warned_blocked;               // tenants whose window was said to be blocked
  };

  OutboxOptions options;
  std::unique_ptr<sqlite::Database> db;
  std::unique_ptr<Checkpointer> checkpointer;  // declared after db: stops before db closes
  PreparedStatements statements;               // finalized before db closes
  OutboxMemory memory;
  OpenedFile file;
  ClaimTurns turns;
  std::mt19937_64 random{std::random_device{}()};
  std::int64_t seen_data_version = -1;
  mutable OneUser door;

  // Runs `f` as the outbox's one user, turning SQLite's errors into ours: disk trouble is its own type.
  template <typename F>
  auto guarded(std::string_view operation, F&& f) const -> decltype(f()) {
    OneUser::Inside inside(door);
    try {
      return f();
    } catch (const sqlite::Error& e) {
      const std::string message =
          fmt::format("outbox {}: {}: {}", options.path.string(), operation, e.what());
      if (e.is_disk_trouble()) throw DiskTroubleError(message);
      if (e.primary_code() == SQLITE_CORRUPT || e.primary_code() == SQLITE_NOTADB)
        throw OutboxDamagedError(message + "; " + damaged_outbox_advice(options.path));
      throw OutboxError(message);
    }
  }

  // Like guarded(), for operations that change rows: when one fails, what it already told memory
  // may have been rolled back, so memory is dropped.
  template <typename F>
  auto changing(std::string_view operation, F&& f) -> decltype(f()) {
    OneUser::Inside inside(door);
    try {
      return guarded(operation, std::forward<F>(f));
    } catch (...) {
      memory.forget();
      throw;
    }
  }

  double jitter() {
    if (options.jitter) return options.jitter();
    return std::uniform_real_distribution<double>(0.0, 1.0)(random);
  }

  // lifecycle.cpp
  void open();
  void refuse_missing_or_empty(bool missing) const;
  void finish_read_only_open();
  void check_identity();
  void migrate();
  void prepare();
  // Another process (`ato-bridge dead-letters requeue`) may have changed rows memory holds: SQLite
  // counts commits by other connections in data_version. Then memory is dropped.
  void notice_other_writers();

  // tenants_cursors.cpp
  void load_tenants();
  int tenant_number(std::string_view name, bool create);  // 0: unknown (and not created)
  const std::string& tenant_name(int tenant);
  std::int64_t cursor_of(int tenant, Service service);  // -1: none

  // ingestion.cpp
  std::int64_t highest_stored_id();  // 0 when empty
  void store(int tenant, const std::vector<NewEvent>& events, std::size_t first, std::size_t rows,
             std::int64_t first_id, EpochMillis now, EnqueueResult& result);
  std::vector<std::string> ingestion_problems(int tenant, const std::vector<NewEvent>& events);
  void load_event_ids();
  struct StoredRow {
    int tenant = 0;
    std::int64_t sequence = 0;
    std::optional<std::string> payload;  // none once delivered events' payloads are gone
  };
  std::optional<StoredRow> stored_row(std::int64_t id, std::string_view event_id);
  void store_dead(int tenant, const NewEvent& event, const std::string& reason, std::int64_t id,
                  EpochMillis now, EnqueueResult& result);
  void check_same_content(int tenant, const NewEvent& event);

  // leases.cpp
  ClaimWindow& window_of(int tenant);
  // Loads the tenant's window when it wants more; `notice`: first learn whether another process
  // wrote (a claim across tenants asks once, not once per tenant).
  void refresh_window(int tenant, bool notice = true);
  void load_window_rows(int tenant);
  void load_leases();
  ClaimedPackage claim_from(int tenant, const ClaimRequest& request, std::int64_t watermark, int max_events);
  void note_if_blocked(int tenant, const ClaimRequest& request, std::int64_t watermark);
  struct Recorded {
    EventState state = EventState::Dead;  // Retryable or Dead
    EpochMillis next_attempt_at = 0;
  };
  Recorded record_failure(const Failure& failure, EpochMillis now, const std::string& now_text,
                          const RetryPolicy& policy);
  void end_in_flight(std::int64_t token, const std::vector<std::int64_t>& settled_ids);
  RescueResult rescue(EpochMillis now, EpochMillis expired_by, const RetryPolicy& policy);

  // administration.cpp
  OutboxMemory::Tally count_stored();
};

}  // namespace ato::bridge
