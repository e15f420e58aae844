// The outbox: every collected event rests here until Cloud ALM accepted it (done) or it was given
// up on with a stated reason (dead). One SQLite file in WAL mode, one writer connection.
//
// Life of an event:  pending --claim--> in_flight --settle--> done | retryable | dead
//                    retryable --claim (retry job)--> in_flight;  in_flight --release--> back, no attempt
//                    spent in_flight --lease expired (crash)--> retryable (rescue);  dead --requeue-->
//                    pending
// In flight means listed by a lease: one row per claimed package, while the event's own row keeps
// the state it was claimed from (schema/outbox/006 says why).
//
// Thread-safe: one operation (or one group of them, see together()) at a time, so the bridge's
// outbox thread writes while the network thread reads its status; other processes may read the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bridge/outbox/types.hpp"

namespace ato::bridge {

class Outbox {
 public:
  // Creates the file (mode 0600) when missing, applies the migrations in schema/outbox in order,
  // and refuses a database written by a newer ato-bridge.
  explicit Outbox(OutboxOptions options);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  int schema_version() const;
  static int latest_schema_version();
  // The random identity kept in the file and in `<outbox>.id` beside it.
  std::string identity() const;
  // Throws OutboxDamagedError when the path no longer names the file this outbox opened (deleted or
  // replaced while running): every write would go to a file nobody can find again.
  void verify_file() const;

  // `ato-bridge outbox check`: SQLite's integrity check and the outbox's own invariants. Each
  // problem found, in words; empty when all is well.
  std::vector<std::string> check_integrity() const;

  // Stores `events` (all of `service`, collected from `tenant`'s feed) and moves the tenant's cursor
  // of the service to `cursor` in one
  // transaction. Events already stored (same feed sequence, eventId and content) are ignored. An
  // event whose eventId is stored with another sequence (or appears twice in the batch), or whose
  // JSON is over max_event_bytes, is stored as a dead letter with its reason, never pushed. Other
  // content under a stored sequence throws SequenceConflictError (nothing stored). The cursor must
  // cover the batch and never goes backwards.
  EnqueueResult enqueue(const std::string& tenant, Service service, const std::vector<NewEvent>& events,
                        std::int64_t cursor, EpochMillis now);

  std::optional<std::int64_t> cursor(const std::string& tenant, Service service) const;
  // An operator's correction (`ato-bridge cursor set`, only while no bridge runs): the cursor becomes
  // `sequence`, lower or higher. Lower: events above it are read again (stored ones are skipped).
  void set_cursor(const std::string& tenant, Service service, std::int64_t sequence, EpochMillis now);
  // The lowest of the tenant's cursors among the active event services (0 when one has none yet):
  // nothing of the tenant above it may leave, so an event never overtakes an earlier one of its
  // tenant that a slower service has yet to collect.
  std::int64_t low_watermark(const std::string& tenant, const std::vector<Service>& active_services) const;

  struct CursorRow {
    std::string tenant;
    Service service = Service::Export;
    std::int64_t sequence = 0;
    EpochMillis updated_at = 0;
  };
  std::vector<CursorRow> cursors() const;    // every stored cursor, by tenant and service
  std::vector<std::string> tenants() const;  // every tenant the outbox knows, by name
  // `ato-bridge tenant rename` (only while no bridge runs): the events and cursors of `from` belong
  // to `to` from now on. Refused when `to` exists already or `from` does not.
  void rename_tenant(const std::string& from, const std::string& to);

  ClaimedPackage claim(const ClaimRequest& request);
  SettleResult settle(std::int64_t lease_token, const std::vector<Settlement>& settlements, EpochMillis now,
                      const RetryPolicy& policy);
  // In-flight events whose lease ran out (or all of them, at start-up after a crash) count the
  // attempt as failed and go through the retry policy like any failure: retryable after the backoff
  // (they may have reached Cloud ALM, which deduplicates), or dead once max_attempts or max_age is
  // reached, so a package that crashes the bridge every time it is pushed is not retried forever.
  RescueResult rescue_expired(EpochMillis now, const RetryPolicy& policy);
  RescueResult rescue_all_in_flight(EpochMillis now, const RetryPolicy& policy);

  std::vector<DeadLetter> dead_letters(const DeadLetterFilter& filter) const;
  std::optional<DeadLetter> dead_letter(const std::string& event_id) const;
  // Back to pending with attempts reset; the error history is kept. Returns how many.
  int requeue_dead(const std::string& event_id, EpochMillis now);
  int requeue_dead(const DeadLetterFilter& filter, EpochMillis now);

  StateCounts counts() const;
  // Age of the oldest event not yet done or dead (nullopt when there is none).
  std::optional<std::chrono::milliseconds> oldest_waiting_age(EpochMillis now) const;
  // Deletes done events settled before `before`, walking in stored order in transactions of
  // `batch` rows, then frees pages. Stops at the first done event settled since: one delivered late
  // keeps those stored after it until it is old enough too. Never deletes an event settled since.
  std::int64_t delete_done_before(EpochMillis before, int batch = 1000);

  void set_max_size_bytes(std::int64_t bytes);

  // A small write (a row of the identity table rewritten): throws DiskTroubleError while the outbox
  // cannot write. How the bridge learns that a full disk has room again.
  void probe_write();
  // The packages of these leases go back to the outbox as they were claimed, no attempt spent: their
  // settle failed (a full disk), and nobody holds them any more. Returns how many events went back.
  int release_leases(const std::vector<std::int64_t>& lease_tokens);

  // Runs `steps` (outbox operations) in one transaction and has the outbox to itself meanwhile:
  // their own transactions nest as savepoints, so a step that throws undoes only its part. True
  // when it committed. False when it could not (SQLite rolls everything back by itself on a full
  // disk or an I/O error): then nothing of it is stored, and no step ran after the loss.
  bool together(const std::vector<std::function<void()>>& steps);

  // For the recording (`run --record`): events in the order they were stored.
  struct StoredEvent {
    std::int64_t id = 0;
    std::string payload;
  };
  std::vector<StoredEvent> stored_after(std::int64_t id, int limit) const;
  // The row of the event stored with this eventId and sequence (of any tenant), if any. A scan: for
  // the recording's start, not for a hot path.
  std::optional<std::int64_t> id_of_event(const std::string& event_id, std::int64_t sequence) const;
  std::int64_t last_id() const;  // 0 when empty

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ato::bridge
