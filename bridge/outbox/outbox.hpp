// The outbox: every collected event rests here until Cloud ALM accepted it (done) or it was given
// up on with a stated reason (dead). One SQLite file in WAL mode, one writer connection.
//
// States of an event (a row of `events`; in flight is a lease listing it, schema/outbox/006):
//
//   enqueue --> pending --claim--> in flight --settle: accepted--------------> done --retention--> (gone)
//                  ^                  |  |  '--settle: refused, retry left--> retryable
//                  |                  |  '-----settle: refused for good, or --> dead
//                  |                  |        retries spent (retry policy)
//                  |                  '--release (shutdown, full disk): back as claimed, no attempt spent
//                  |                  '--lease expired (a crash): an attempt spent, then as a refusal
//                  |    retryable --claim (the retry job)--> in flight
//                  '--- dead --requeue (an operator)
//
// Invariants (`ato-bridge outbox check` tests the file's; memory.hpp lists memory's):
//   - every event has its payload until retention deletes the row;
//   - no event lies above its tenant's cursor of its service, and a cursor never goes backwards
//     (but by an operator's `cursor set`);
//   - a lease lists only open events (not done, not dead), each in at most one lease;
//   - per tenant, an event leaves only when every earlier open event of its transport is done or
//     dead, and none above the tenant's low watermark leaves (claim_window.hpp);
//   - a sequence of a tenant is stored once; an eventId stored under another sequence is a dead
//     letter, never pushed.
//
// One door: one thread uses an outbox at a time (the running bridge's outbox thread, a command's
// main thread); another thread arriving meanwhile gets std::logic_error (one_user.hpp). Other
// processes may read and write the file: the outbox notices their commits and reloads.
// The parts behind this facade: outbox_impl.hpp.
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
  // What memory mirrors of the file against the file (memory.hpp): each disagreement, in words.
  // For tests, after every step of a randomized run.
  std::vector<std::string> check_memory() const;

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
