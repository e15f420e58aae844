// The outbox's value types and errors: what goes in (NewEvent), what a claim gives (ClaimedPackage),
// what a push decides (Settlement), what the outbox answers (counts, dead letters). Everything that
// works with events without opening the outbox (push/, collect/, config/, loadtest/) includes this,
// not outbox.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/outbox/retry_policy.hpp"
#include "core/event.hpp"

namespace ato::bridge {

enum class Durability;  // bridge/config.hpp

enum class EventState { Pending, InFlight, Retryable, Done, Dead };
inline constexpr EnumNames<EventState, 5> kEventStateNames{{{EventState::Pending, "pending"},
                                                            {EventState::InFlight, "in_flight"},
                                                            {EventState::Retryable, "retryable"},
                                                            {EventState::Done, "done"},
                                                            {EventState::Dead, "dead"}}};

// Any outbox failure. what() says what failed and where.
class OutboxError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The disk is full (or the outbox reached its size limit) or cannot be read or written. What was
// stored is intact; the operation did not happen. Stop collecting, report unhealthy, try later.
class DiskTroubleError : public OutboxError {
 public:
  using OutboxError::OutboxError;
};

// The outbox file is damaged (SQLite finds it malformed, or it is not a database), or the path no
// longer names the file this process writes (deleted or replaced while running). Nothing recovers
// it by itself: stop, keep a copy, check it (`ato-bridge outbox check`), restore or salvage.
class OutboxDamagedError : public OutboxError {
 public:
  using OutboxError::OutboxError;
};

// How a command uses the outbox. Read: an existing outbox as it is (status, check, listings):
// never created, migrated or checkpointed. Write: the bridge and the commands that change it.
enum class OutboxAccess { Write, Read };

struct OutboxOptions {
  std::filesystem::path path;
  OutboxAccess access = OutboxAccess::Write;
  bool create = true;  // Write: a missing file may be created (when nothing says an outbox lived there)
  // The operator said so (`run --new-outbox`): a missing, empty or replaced file is taken as the
  // outbox from now on, and its identity recorded in `<outbox>.id`.
  bool accept_new = false;
  // An earlier bridge used this path (its `<outbox>.lock` existed before this process made one).
  bool used_before = false;
  bool durability_full = false;  // synchronous=FULL instead of NORMAL (see README, "Durability")
  std::chrono::milliseconds busy_timeout{5000};
  std::int64_t max_size_bytes = 0;  // 0: no limit; reaching it behaves like a full disk
  // Jitter source in [0, 1) for retry backoff; tests make it deterministic.
  std::function<double()> jitter;
  // How many of the lowest open events the claim windows hold in memory (bridge/outbox/
  // claim_window.hpp): ~200 bytes each, shared among the tenants (each window holds at least
  // kMinWindowPerTenant). Claims choose among them; tests make it small.
  std::size_t window_capacity = 50'000;
  // An event whose JSON is larger is stored as a dead letter (EVENT_TOO_LARGE), never pushed: one
  // event an ATO tenant sends is well under a kilobyte.
  std::size_t max_event_bytes = 256 * 1024;
};

// An event as it enters the outbox.
struct NewEvent {
  std::string event_id;
  Service service = Service::Export;
  std::int64_t sequence = 0;
  std::string transport_id;
  std::string source_system;  // SID~client
  std::string payload;        // the event's JSON, pushed as is
};
NewEvent to_new_event(const AtoEvent& event);

// A tenant's name in the outbox: what the configuration calls it (schema/outbox/009_tenants.sql).
inline constexpr std::string_view kDefaultTenant = "default";
inline constexpr std::size_t kMinWindowPerTenant = 2'000;

struct EnqueueResult {
  int inserted = 0;    // stored to be pushed
  int duplicates = 0;  // already stored (the same sequence, eventId and content): ignored
  int dead = 0;        // stored as dead letters at once (EVENT_ID_CONFLICT, EVENT_TOO_LARGE): never pushed
  std::vector<std::string> dead_reasons;  // one per dead letter, in the order stored

  EnqueueResult& operator+=(const EnqueueResult& other) {
    inserted += other.inserted;
    duplicates += other.duplicates;
    dead += other.dead;
    dead_reasons.insert(dead_reasons.end(), other.dead_reasons.begin(), other.dead_reasons.end());
    return *this;
  }
};

// Dead-letter reasons given at ingestion; a dead letter's reason starts with its code.
inline constexpr std::string_view kEventIdConflict = "EVENT_ID_CONFLICT";
inline constexpr std::string_view kEventTooLarge = "EVENT_TOO_LARGE";

// The feed served other content under a sequence already stored (another eventId, or the same with
// other fields): it was reset or replaced. Nothing of the batch was stored; the cursor did not move.
class SequenceConflictError : public OutboxError {
 public:
  using OutboxError::OutboxError;
};

struct ClaimedEvent {
  std::int64_t id = 0;
  std::string event_id;
  Service service = Service::Export;
  std::int64_t sequence = 0;
  std::string transport_id;
  std::string source_system;
  std::string payload;
  int attempts = 0;  // failed attempts so far
  EpochMillis enqueued_at = 0;
};

enum class ClaimFrom { Pending, Retryable };  // the service's own job / the retry job

// One tenant's events of one service: each tenant's arrangement pushes its own.
struct ClaimedPackage {
  std::string tenant;
  std::int64_t lease_token = 0;  // positive: what settle() and release_leases() name the lease by
  EpochMillis lease_expires_at = 0;
  ClaimFrom from = ClaimFrom::Pending;  // which job's claim it is (the retry job's are counted apart)
  std::vector<ClaimedEvent> events;     // ascending sequence
};

struct ClaimRequest {
  Service service = Service::Export;
  ClaimFrom from = ClaimFrom::Pending;
  int max_events = 100;
  EpochMillis now = 0;
  std::chrono::milliseconds lease{std::chrono::minutes(2)};
  // Events above this sequence of their tenant's feed are not claimable: the low watermark (see
  // low_watermark()). watermark_of, when not empty, gives it per tenant (0 for a tenant it does not
  // name); otherwise `watermark` holds for all. Values, taken before the claim: the outbox asks
  // nobody while it claims.
  std::int64_t watermark = kMaxSequence;
  std::map<std::string, std::int64_t> watermark_of;
  // Per tenant, when not empty (instead of max_events): its package size; 0, or a tenant it does
  // not name, skips the tenant (the service is not active there).
  std::map<std::string, int> max_events_of;
  // Only this tenant's events (empty: any tenant, taking turns).
  std::string tenant;
  // Source systems (SID~client) whose events are not claimed now (pushing paused for them).
  std::vector<std::string> excluded_systems;
};

// What became of one claimed event.
struct Settlement {
  enum class Kind { Done, Retry, Dead, Release };
  std::int64_t id = 0;
  Kind kind = Kind::Done;
  int http_status = 0;  // 0 when there was no HTTP answer (timeout, connection error)
  std::string message;  // for Retry and Dead: what went wrong
  std::optional<std::chrono::milliseconds> retry_after;

  static Settlement done(std::int64_t id) { return {id, Kind::Done, 0, {}, {}}; }
  static Settlement retry(std::int64_t id, int status, std::string message,
                          std::optional<std::chrono::milliseconds> retry_after = {}) {
    return {id, Kind::Retry, status, std::move(message), retry_after};
  }
  static Settlement dead(std::int64_t id, int status, std::string message) {
    return {id, Kind::Dead, status, std::move(message), {}};
  }
  static Settlement release(std::int64_t id) { return {id, Kind::Release, 0, {}, {}}; }
};

struct SettleResult {
  int done = 0;
  int retryable = 0;
  int dead = 0;  // including those the retry policy gave up on
  int released = 0;
  int stale = 0;  // the lease was no longer ours (rescued meanwhile): nothing written for these

  SettleResult& operator+=(const SettleResult& other) {
    done += other.done;
    retryable += other.retryable;
    dead += other.dead;
    released += other.released;
    stale += other.stale;
    return *this;
  }
};

struct RescueResult {
  int retryable = 0;
  int dead = 0;  // the retry policy gave up on them
  int total() const { return retryable + dead; }
};

struct DeadLetter {
  std::string tenant;
  std::string event_id;
  Service service = Service::Export;
  std::int64_t sequence = 0;
  std::string transport_id;
  std::string source_system;
  int attempts = 0;
  EpochMillis enqueued_at = 0;
  EpochMillis died_at = 0;
  std::string reason;
  std::string errors;   // JSON array: every failed attempt {at, attempt, http_status, message}
  std::string payload;  // filled by show_dead_letter only
};

struct DeadLetterFilter {
  std::optional<Service> service;
  std::optional<std::string> transport_id;
  std::optional<std::string> reason_contains;
  int limit = 100;
  std::optional<std::string> tenant;
};

struct StateCounts {
  using ByService = std::map<Service, std::map<EventState, std::int64_t>>;
  ByService by_service;                        // all tenants
  std::map<std::string, ByService> by_tenant;  // per tenant
  std::int64_t total(EventState state) const;
};

}  // namespace ato::bridge
