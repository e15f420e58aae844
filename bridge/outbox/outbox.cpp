#include "bridge/outbox/outbox.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <random>
#include <set>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "bridge/outbox/checkpointer.hpp"
#include "bridge/outbox/claim_window.hpp"
#include "bridge/outbox/event_ids.hpp"
#include "bridge/outbox/in_flight.hpp"
#include "bridge/outbox/outbox_file.hpp"
#include "bridge/outbox/queries.hpp"
#include "core/json_writer.hpp"
#include "core/sqlite.hpp"
#include "schema/outbox_migrations.hpp"

namespace ato::bridge {
namespace {

using ato::sqlite::Statement;
using ato::sqlite::Transaction;

std::string_view state_name(EventState s) {
  return name_of(kEventStateNames, s);
}
Service service_from(std::string_view text) {
  return value_of(kServiceNames, text).value_or(Service::Export);
}

// Row ids as a JSON array, for `id IN (SELECT value FROM json_each(?))`: one statement per package.
std::string json_array(const std::vector<std::int64_t>& ids) {
  std::string out;
  JsonWriter json(out);
  json.begin_array();
  for (std::int64_t id : ids) json.value(id);
  json.end_array();
  return out;
}

// Appends one entry to the row's error history.
constexpr std::string_view kAppendError =
    "json_insert(errors, '$[#]', json_object('at', ?, 'attempt', ?, 'http_status', ?, 'message', ?))";

}  // namespace

NewEvent to_new_event(const AtoEvent& event) {
  return NewEvent{event.event_id,     event.service,      event.sequence,
                  event.transport_id, event.source.key(), to_json(event)};
}

std::int64_t StateCounts::total(EventState state) const {
  std::int64_t sum = 0;
  for (const auto& [service, states] : by_service)
    if (auto it = states.find(state); it != states.end()) sum += it->second;
  return sum;
}

struct Outbox::Impl {
  OutboxOptions options;
  std::unique_ptr<ato::sqlite::Database> db;
  std::unique_ptr<Checkpointer> checkpointer;  // declared after db: stops before db closes
  std::mt19937_64 random{std::random_device{}()};
  std::unique_ptr<Statement> insert_event, insert_events, insert_payload, insert_payloads, highest_id,
      stored_ids, upsert_cursor, select_cursor, load_window, data_version, read_claimed_pending,
      read_claimed_retryable, insert_lease, shrink_lease, end_lease, select_leases, settle_done,
      select_for_failure, settle_failure, rescue_events, rescue_leases, retention_scan, retention_delete,
      all_event_ids, event_at_row, stored_at_sequence, insert_dead;
  // Tenants by name and number (schema/outbox/009): read at open, added as they first store.
  std::map<std::string, int, std::less<>> tenant_numbers;
  std::map<int, std::string> tenant_names;
  bool tenants_loaded = false;
  // One claim window per tenant (per-transport order is per tenant), and whose turn it is next.
  std::map<int, std::unique_ptr<ClaimWindow>> windows;
  std::map<Service, int> last_served_tenant;
  InFlight in_flight;  // loaded with the windows, kept by claims and settles
  // Events per tenant, service and stored state (in flight comes from the leases): counted by a scan
  // when first asked for, then kept by every transition, so /status and /metrics cost next to
  // nothing however large the outbox. Dropped whenever the windows are, and counted again.
  using Tally = std::map<int, StateCounts::ByService>;
  std::optional<Tally> tally;
  // The cursors, read once and kept by every write (the claim asks for the low watermarks often).
  std::optional<std::map<std::pair<int, Service>, std::int64_t>> cursor_cache;
  std::int64_t seen_data_version = -1;
  std::set<int> warned_blocked;       // tenants whose window was said to be blocked
  bool created_file = false;          // open() made the file: an empty database is expected
  std::optional<FileId> opened_file;  // the file the path named when opened (verify_file)
  std::string identity;               // schema/outbox/008
  EventIdIndex event_ids;             // stored eventIds, for conflicts at ingestion (event_ids.hpp)
  bool event_ids_loaded = false;
  std::int64_t deleted_since_load = 0;

  // One operation at a time, whichever thread asks (the bridge writes from its outbox thread and
  // reads for /status and /metrics from the network thread). Recursive: a group (together()) holds
  // it while its operations take it again.
  mutable std::recursive_mutex mutex;

  // Runs `f` alone, turning SQLite's errors into ours: disk trouble is its own type.
  template <typename F>
  auto guarded(std::string_view operation, F&& f) const -> decltype(f()) {
    std::lock_guard lock(mutex);
    try {
      return f();
    } catch (const ato::sqlite::Error& e) {
      const std::string message =
          fmt::format("outbox {}: {}: {}", options.path.string(), operation, e.what());
      if (e.is_disk_trouble()) throw DiskTroubleError(message);
      if (e.primary_code() == SQLITE_CORRUPT || e.primary_code() == SQLITE_NOTADB)
        throw OutboxDamagedError(message + "; " + damaged_outbox_advice(options.path));
      throw OutboxError(message);
    }
  }

  // Like guarded(), for operations that change rows: when one fails, what it already told the
  // window may have been rolled back, so the window is loaded again.
  template <typename F>
  auto changing(std::string_view operation, F&& f) -> decltype(f()) {
    std::lock_guard lock(mutex);
    try {
      return guarded(operation, std::forward<F>(f));
    } catch (...) {
      forget();
      throw;
    }
  }

  // Drops what memory knows of the open events (the window, the leases, the counts): SQLite has
  // the truth, and the next claim, settle or count loads them again.
  void forget() {
    for (auto& [tenant, window] : windows) window->clear();
    in_flight.forget();
    tally.reset();
    cursor_cache.reset();
    tenants_loaded = false;  // a rolled-back store may have named a tenant
  }

  void count(int tenant, Service service, EventState state, std::int64_t n) {
    if (tally) (*tally)[tenant][service][state] += n;
  }
  void count_move(int tenant, Service service, EventState from, EventState to) {
    count(tenant, service, from, -1);
    count(tenant, service, to, +1);
  }

  void load_tenants();
  int tenant_number(std::string_view name, bool create);  // 0: unknown (and not created)
  const std::string& tenant_name(int tenant);
  ClaimWindow& window_of(int tenant);
  std::int64_t cursor_of(int tenant, Service service);

  double jitter() {
    if (options.jitter) return options.jitter();
    return std::uniform_real_distribution<double>(0.0, 1.0)(random);
  }

  void open();
  void refuse_missing_or_empty(bool missing) const;
  void finish_read_only_open();
  void check_identity();
  bool created_now() const { return created_file; }
  void migrate();
  void prepare();
  // Loads the tenant's window when it wants more; `notice`: first learn whether another process
  // wrote (a claim across tenants asks once, not once per tenant).
  void refresh_window(int tenant, bool notice = true);
  void load_window_rows(int tenant);
  void notice_other_writers();
  Tally count_stored();
  ClaimedPackage claim_from(int tenant, const ClaimRequest& request, std::int64_t watermark, int max_events);
  void load_leases();
  std::int64_t highest_stored_id() {  // 0 when empty
    highest_id->step();
    const std::int64_t id = highest_id->int64(0);
    highest_id->reset();
    return id;
  }
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
  void end_in_flight(std::int64_t token, const std::vector<std::int64_t>& settled_ids);
  RescueResult rescue(EpochMillis now, EpochMillis expired_by, const RetryPolicy& policy);

  // Says once, while it lasts, that a tenant's window is full of events that cannot leave.
  void note_if_blocked(int tenant, const ClaimRequest& request, std::int64_t watermark) {
    const ClaimWindow& window = window_of(tenant);
    const bool blocked = window.blocked(request.now, watermark, request.excluded_systems);
    if (blocked && !warned_blocked.contains(tenant))
      spdlog::warn(
          "outbox {}: none of the first {} waiting events of tenant {} can leave now (backoff, paused "
          "systems, or earlier events of their transports in flight); its later events wait until these "
          "move",
          options.path.string(), window.size(), tenant_name(tenant));
    if (blocked)
      warned_blocked.insert(tenant);
    else
      warned_blocked.erase(tenant);
  }
};

// Refuses a file that is missing or empty where an outbox lived (see schema/outbox/008), and a
// missing one that this access may not create.
void Outbox::Impl::refuse_missing_or_empty(bool missing) const {
  const bool read = options.access == OutboxAccess::Read;
  const std::string what = missing ? "does not exist" : "is empty";
  if (outbox_lived_here(options.path, options.used_before) && !options.accept_new)
    throw OutboxError(fmt::format(
        "outbox {0} {1}, but an outbox lived there ({2} or the bridge's lock or run file says so): it was "
        "deleted or emptied, and the events it held are not here. Restore it from a backup; a fresh start "
        "would begin at the feed's head and never send them. To start anew on purpose: ato-bridge run "
        "--new-outbox (or remove {2})",
        options.path.string(), what, identity_file(options.path).string()));
  if (read || !options.create)
    throw OutboxError(fmt::format("outbox {} {}: no bridge has run with it yet ({} creates it)",
                                  options.path.string(), what, "`ato-bridge run`"));
}

void Outbox::Impl::open() {
  const bool read = options.access == OutboxAccess::Read;
  std::error_code ec;
  if (!std::filesystem::exists(options.path, ec)) {
    refuse_missing_or_empty(true);
    // Create the file ourselves so it is private from its first byte (SQLite would use the umask).
    const int fd = ::open(options.path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0)
      throw OutboxError(
          fmt::format("outbox {}: cannot create or open: {}", options.path.string(), std::strerror(errno)));
    ::close(fd);
    created_file = true;
  }
  db = std::make_unique<ato::sqlite::Database>(options.path, SQLITE_OPEN_READWRITE);
  opened_file = file_id(options.path);
  db->exec(fmt::format("PRAGMA busy_timeout = {}", options.busy_timeout.count()));
  if (db->query_int("PRAGMA page_count") == 0) {
    if (std::filesystem::file_size(options.path, ec) > 0 || ec)
      throw OutboxError(fmt::format("outbox {}: not a database", options.path.string()));
    if (!created_now()) refuse_missing_or_empty(false);
    // Incremental vacuum must be chosen before the first table exists.
    db->exec("PRAGMA auto_vacuum = INCREMENTAL");
  }
  if (read) {
    finish_read_only_open();
    return;
  }
  if (db->query_text("PRAGMA journal_mode = WAL") != "wal")
    throw OutboxError(fmt::format("outbox {}: cannot switch to WAL mode (is it on a network filesystem?)",
                                  options.path.string()));
  // Memory-mapped reads: the claim walks indexes across the whole backlog, and re-reading pages
  // through pread() would dominate (measured: bench/run outbox). The mapping is capped at 256 MiB
  // so the bridge's memory stays bounded however large the backlog grows (mapped pages count in its
  // RSS; bench/run e2e watches it while 1,000,000 events drain).
  // A small page cache (4 MiB): every commit walks the cache's hash table (perf: a loop in the page
  // cache under sqlite3PagerCommitPhaseTwo), ~9% of the outbox thread with 64 MiB. Draining 1,000,000
  // events: 14.4k events/s with 64 MiB; 16.6k, 18.8k, 16.8k with 2, 4, 8 MiB (bench/e2e.sh).
  db->exec("PRAGMA cache_size = -4096");
  db->exec("PRAGMA mmap_size = 268435456");
  // Statement journals (a settle's multi-row UPDATE with triggers needs one) and sort scratch in
  // memory: spilled to temporary files, each spill cost an open, access, unlink and close (measured:
  // 7% of the outbox thread while draining a backlog). They are small and short-lived.
  db->exec("PRAGMA temp_store = MEMORY");
  // Set in code: Debian's SQLite build would otherwise make WAL synchronous=FULL.
  db->exec(options.durability_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  if (options.max_size_bytes > 0) {
    const auto page_size = db->query_int("PRAGMA page_size");
    db->exec(fmt::format("PRAGMA max_page_count = {}",
                         std::max<std::int64_t>(1, options.max_size_bytes / page_size)));
  }
  migrate();
  check_identity();
  prepare();
  checkpointer = std::make_unique<Checkpointer>(options.path, db->handle(), options.durability_full);
}

// Read access (status, check, listings): the outbox as it is, never migrated or checkpointed.
void Outbox::Impl::finish_read_only_open() {
  db->exec("PRAGMA mmap_size = 268435456");
  const int version = static_cast<int>(db->query_int("PRAGMA user_version"));
  if (version != latest_schema_version())
    throw OutboxError(fmt::format("outbox {} has schema version {}, this ato-bridge reads version {}: {}",
                                  options.path.string(), version, latest_schema_version(),
                                  version < latest_schema_version()
                                      ? "`ato-bridge run` migrates it (read-only commands never do)"
                                      : "use the newer ato-bridge that wrote it"));
  check_identity();
  prepare();
}

// The identity in the file against `<outbox>.id`: another outbox at this path (a swapped or
// restored-from-elsewhere file) is refused unless the operator accepts it; a missing record is written.
void Outbox::Impl::check_identity() {
  identity = db->query_text("SELECT id FROM outbox_identity");
  const auto recorded = recorded_identity(options.path);
  if (recorded && *recorded != identity && !options.accept_new)
    throw OutboxError(fmt::format(
        "outbox {} is not the outbox that lived there: its identity is {}, {} says {}. It was replaced by "
        "another file, and the events of the one that lived there are not here. Put that one back; to use "
        "this file as it is: ato-bridge run --new-outbox",
        options.path.string(), identity, identity_file(options.path).string(), *recorded));
  if (options.access == OutboxAccess::Write && recorded != identity) {
    record_identity(options.path, identity);
    if (recorded)
      spdlog::warn("outbox {}: taken as the outbox from now on (--new-outbox)", options.path.string());
  }
}

void Outbox::Impl::migrate() {
  const int current = static_cast<int>(db->query_int("PRAGMA user_version"));
  const int latest = latest_schema_version();
  if (current > latest)
    throw OutboxError(fmt::format(
        "outbox {} has schema version {}, written by a newer ato-bridge; this one knows versions up to {}. "
        "Use that newer ato-bridge, or point outbox.path at another file.",
        options.path.string(), current, latest));
  for (const auto& migration : schema::kOutboxMigrations) {
    if (migration.version <= current) continue;
    Transaction tx(*db);
    db->exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at INTEGER NOT NULL)");
    db->exec(migration.sql);
    Statement record(*db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
    record.bind(1, migration.version).bind(2, migration.name).bind(3, now_epoch_millis()).run();
    db->exec(fmt::format("PRAGMA user_version = {}", migration.version));
    tx.commit();
  }
}

void Outbox::Impl::prepare() {
  insert_event = std::make_unique<Statement>(*db, queries::insert_events(1));
  insert_events = std::make_unique<Statement>(*db, queries::insert_events(queries::kStoreChunk));
  insert_payload = std::make_unique<Statement>(*db, queries::insert_payloads(1));
  insert_payloads = std::make_unique<Statement>(*db, queries::insert_payloads(queries::kStoreChunk));
  highest_id = std::make_unique<Statement>(*db, queries::kHighestId);
  stored_ids = std::make_unique<Statement>(*db, queries::kStoredIds);
  upsert_cursor = std::make_unique<Statement>(*db, queries::kUpsertCursor);
  select_cursor = std::make_unique<Statement>(*db, "SELECT tenant, service, sequence FROM cursors");
  load_window = std::make_unique<Statement>(*db, queries::kLoadWindow);
  data_version = std::make_unique<Statement>(*db, "PRAGMA data_version");
  // The claim reads the events the window chose, then records one lease for the package.
  read_claimed_pending =
      std::make_unique<Statement>(*db, queries::read_claimed(state_name(EventState::Pending)));
  read_claimed_retryable =
      std::make_unique<Statement>(*db, queries::read_claimed(state_name(EventState::Retryable)));
  insert_lease = std::make_unique<Statement>(*db, queries::kInsertLease);
  shrink_lease = std::make_unique<Statement>(*db, queries::kShrinkLease);
  end_lease = std::make_unique<Statement>(*db, queries::kEndLease);
  select_leases = std::make_unique<Statement>(*db, queries::kLoadLeases);
  settle_done = std::make_unique<Statement>(*db, queries::kSettleDone);
  select_for_failure = std::make_unique<Statement>(
      *db, "SELECT attempts, enqueued_at FROM events WHERE id = ?1 AND settled_at IS NULL");
  settle_failure = std::make_unique<Statement>(
      *db, fmt::format("UPDATE events SET state = ?, attempts = ?, next_attempt_at = ?, settled_at = ?, "
                       "dead_reason = ?, errors = {} WHERE id = ?",
                       kAppendError));
  // The open events of leases that ran out by ?1 (all of them at start-up after a crash).
  rescue_events =
      std::make_unique<Statement>(*db,
                                  "SELECT e.id, e.attempts, e.enqueued_at, e.service FROM leases l, "
                                  "json_each(l.event_ids) j JOIN events e "
                                  "ON e.id = j.value WHERE l.expires_at <= ?1 AND e.settled_at IS NULL");
  rescue_leases = std::make_unique<Statement>(*db, "DELETE FROM leases WHERE expires_at <= ?1");
  all_event_ids = std::make_unique<Statement>(*db, "SELECT event_id, id FROM events");
  event_at_row = std::make_unique<Statement>(
      *db,
      "SELECT e.event_id, e.tenant, e.sequence, p.payload FROM events e LEFT JOIN "
      "payloads p ON p.id = e.id WHERE e.id = ?1");
  stored_at_sequence = std::make_unique<Statement>(
      *db,
      "SELECT e.event_id, p.payload FROM events e JOIN payloads p ON p.id = e.id WHERE e.tenant = ?1 AND "
      "e.sequence = ?2");
  insert_dead = std::make_unique<Statement>(
      *db,
      "INSERT INTO events (id, tenant, event_id, service, sequence, transport_id, source_system, state, "
      "enqueued_at, next_attempt_at, settled_at, dead_reason, errors) VALUES (?1, ?10, ?2, ?3, ?4, ?5, ?6, "
      "'dead', ?7, ?7, ?7, ?8, "
      "json_array(json_object('at', ?9, 'attempt', 0, 'http_status', NULL, 'message', ?8))) "
      "ON CONFLICT (tenant, sequence) DO NOTHING");
  retention_scan = std::make_unique<Statement>(*db, queries::kRetentionScan);
  retention_delete =
      std::make_unique<Statement>(*db, "DELETE FROM events WHERE id IN (SELECT value FROM json_each(?1))");
  load_tenants();
}

void Outbox::Impl::load_tenants() {
  tenants_loaded = true;
  tenant_numbers.clear();
  tenant_names.clear();
  Statement stmt(*db, "SELECT id, name FROM tenants");
  while (stmt.step()) {
    const int number = static_cast<int>(stmt.int64(0));
    tenant_numbers.emplace(std::string(stmt.text(1)), number);
    tenant_names.emplace(number, std::string(stmt.text(1)));
  }
}

// The tenant's number; a new name gets the next one (in the caller's transaction).
int Outbox::Impl::tenant_number(std::string_view name, bool create) {
  if (!tenants_loaded) load_tenants();
  if (auto found = tenant_numbers.find(name); found != tenant_numbers.end()) return found->second;
  if (!create) return 0;
  if (name.empty() || name.size() > 64)
    throw std::invalid_argument(fmt::format("tenant name '{}': expected 1 to 64 characters", name));
  const int number = tenant_names.empty() ? 1 : tenant_names.rbegin()->first + 1;
  Statement insert(*db, "INSERT INTO tenants (id, name, created_at) VALUES (?1, ?2, ?3)");
  insert.bind(1, number).bind(2, std::string(name)).bind(3, now_epoch_millis()).run();
  tenant_numbers.emplace(std::string(name), number);
  tenant_names.emplace(number, std::string(name));
  return number;
}

const std::string& Outbox::Impl::tenant_name(int tenant) {
  static const std::string unknown = "?";
  if (!tenants_loaded) load_tenants();
  const auto found = tenant_names.find(tenant);
  return found == tenant_names.end() ? unknown : found->second;
}

// A tenant's window holds its share of the capacity (as many tenants as the outbox knew when the
// window was made), never less than kMinWindowPerTenant (unless the whole capacity is smaller: tests).
ClaimWindow& Outbox::Impl::window_of(int tenant) {
  auto& window = windows[tenant];
  if (!window) {
    const std::size_t tenants = std::max<std::size_t>(1, tenant_names.size());
    window = std::make_unique<ClaimWindow>(
        std::max(std::min(kMinWindowPerTenant, options.window_capacity), options.window_capacity / tenants));
  }
  return *window;
}

std::int64_t Outbox::Impl::cursor_of(int tenant, Service service) {
  if (!cursor_cache) {
    cursor_cache.emplace();
    auto& stmt = *select_cursor;
    while (stmt.step())
      (*cursor_cache)[{static_cast<int>(stmt.int64(0)), service_from(stmt.text(1))}] = stmt.int64(2);
    stmt.reset();
  }
  const auto found = cursor_cache->find({tenant, service});
  return found == cursor_cache->end() ? -1 : found->second;
}

Outbox::Outbox(OutboxOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->guarded("open", [&] { impl_->open(); });
}

// Another process (`ato-bridge dead-letters requeue`) may have changed rows the window holds: SQLite
// counts commits by other connections in data_version. Then, or when the window has room for many
// more open events than it holds, it loads.
void Outbox::Impl::refresh_window(int tenant, bool notice) {
  if (notice) notice_other_writers();
  load_leases();
  if (window_of(tenant).wants_more()) load_window_rows(tenant);
}

void Outbox::Impl::notice_other_writers() {
  data_version->step();
  const std::int64_t version = data_version->int64(0);
  data_version->reset();
  if (version != seen_data_version) {
    forget();
    event_ids_loaded = false;  // another process may have stored events (or renamed a tenant)
  }
  seen_data_version = version;
}

void Outbox::Impl::load_leases() {
  if (in_flight.loaded()) return;
  auto& load = *select_leases;
  while (load.step())
    in_flight.add(load.int64(1),
                  InFlight::Event{load.int64(0), service_from(load.text(4)),
                                  value_of(kEventStateNames, load.text(2)).value_or(EventState::Pending),
                                  load.int64(3), static_cast<int>(load.int64(5))});
  load.reset();
  in_flight.mark_loaded();
}

void Outbox::Impl::load_window_rows(int tenant) {
  ClaimWindow& window = window_of(tenant);
  const std::int64_t wanted = static_cast<std::int64_t>(window.room());
  auto& load = *load_window;
  load.bind(1, window.loaded() ? window.horizon() : std::int64_t{0}).bind(2, wanted).bind(3, tenant);
  std::int64_t rows = 0, last = window.horizon();
  while (load.step()) {
    ++rows;
    last = load.int64(1);
    const std::int64_t id = load.int64(0);
    const EventState state = in_flight.find(id)
                                 ? EventState::InFlight
                                 : value_of(kEventStateNames, load.text(5)).value_or(EventState::Pending);
    window.add_loaded(WindowEvent{id, last, service_from(load.text(2)), std::string(load.text(3)),
                                  std::string(load.text(4)), state, load.int64(6), load.int64(7)});
  }
  load.reset();
  window.finish_load(last, rows < wanted);
}

Outbox::~Outbox() = default;

int Outbox::schema_version() const {
  return impl_->guarded("schema version",
                        [&] { return static_cast<int>(impl_->db->query_int("PRAGMA user_version")); });
}

std::string Outbox::identity() const {
  return impl_->identity;
}

void Outbox::verify_file() const {
  const auto now = file_id(impl_->options.path);
  if (now && impl_->opened_file && *now == *impl_->opened_file) return;
  throw OutboxDamagedError(
      fmt::format("outbox {} was {} while the bridge ran: what it stores goes to a file no path names any "
                  "more. Collecting "
                  "stops. Before stopping the bridge, copy the open file out of /proc/{}/fd/ (the link to "
                  "'{} (deleted)') "
                  "and put it back at {}",
                  impl_->options.path.string(), now ? "replaced by another file" : "deleted", ::getpid(),
                  impl_->options.path.string(), impl_->options.path.string()));
}

std::vector<std::string> Outbox::check_integrity() const {
  return impl_->guarded("integrity check", [&] {
    std::vector<std::string> problems;
    try {
      ato::sqlite::Statement integrity(*impl_->db, "PRAGMA integrity_check(20)");
      while (integrity.step())
        if (integrity.text(0) != "ok") problems.push_back("SQLite: " + std::string(integrity.text(0)));
    } catch (const ato::sqlite::Error& e) {  // too damaged for the check itself to finish
      problems.push_back(std::string("SQLite: ") + e.what());
    }
    if (!problems.empty()) return problems;
    const auto count = [&](const char* sql) { return impl_->db->query_int(sql); };
    if (auto n = count(
            "SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM payloads p WHERE p.id = e.id)"))
      problems.push_back(fmt::format("{} events have no payload", n));
    if (auto n = count("SELECT count(*) FROM leases l, json_each(l.event_ids) j LEFT JOIN events e ON e.id = "
                       "j.value WHERE e.id IS NULL OR e.settled_at IS NOT NULL"))
      problems.push_back(fmt::format("{} leased events are missing or settled already", n));
    if (auto n =
            count("SELECT count(*) FROM events e LEFT JOIN cursors c ON c.tenant = e.tenant AND c.service = "
                  "e.service WHERE c.sequence IS NULL OR e.sequence > c.sequence"))
      problems.push_back(fmt::format("{} events lie above their service's cursor", n));
    return problems;
  });
}

int Outbox::latest_schema_version() {
  return std::size(schema::kOutboxMigrations) == 0 ? 0 : std::end(schema::kOutboxMigrations)[-1].version;
}

EnqueueResult Outbox::enqueue(const std::string& tenant_name, Service service,
                              const std::vector<NewEvent>& events, std::int64_t cursor, EpochMillis now) {
  for (const auto& e : events) {
    if (e.service != service)
      throw std::invalid_argument(fmt::format("enqueue for {}: event {} is of service {}", to_string(service),
                                              e.event_id, to_string(e.service)));
    if (e.sequence > cursor)
      throw std::invalid_argument(
          fmt::format("enqueue for {}: event {} has sequence {}, above the new cursor {}", to_string(service),
                      e.event_id, e.sequence, cursor));
  }
  return impl_->changing("enqueue", [&] {
    EnqueueResult result;
    Transaction tx(*impl_->db);
    const int tenant = impl_->tenant_number(tenant_name, true);
    const std::vector<std::string> problems = impl_->ingestion_problems(tenant, events);
    std::int64_t next_id = impl_->highest_stored_id() + 1;
    for (std::size_t first = 0; first < events.size();) {
      if (!problems[first].empty()) {
        impl_->store_dead(tenant, events[first], problems[first], next_id++, now, result);
        ++first;
        continue;
      }
      std::size_t clean = first;  // the run of events without a problem
      while (clean < events.size() && problems[clean].empty() && clean - first < queries::kStoreChunk)
        ++clean;
      const std::size_t rows =
          clean - first == static_cast<std::size_t>(queries::kStoreChunk) ? queries::kStoreChunk : 1;
      impl_->store(tenant, events, first, rows, next_id, now, result);
      first += rows;
      next_id += static_cast<std::int64_t>(rows);
    }
    impl_->upsert_cursor->bind(1, to_string(service)).bind(2, cursor).bind(3, now).bind(4, tenant).run();
    tx.commit();
    if (impl_->cursor_cache) {
      auto& cached = (*impl_->cursor_cache)[{tenant, service}];
      cached = std::max(cached, cursor);
    }
    return result;
  });
}

// Stores events[first, first + rows) as rows first_id, first_id + 1, ... in one statement (their
// payloads in another); a duplicate leaves its id unused.
void Outbox::Impl::store(int tenant, const std::vector<NewEvent>& events, std::size_t first, std::size_t rows,
                         std::int64_t first_id, EpochMillis now, EnqueueResult& result) {
  auto& insert = rows == 1 ? *insert_event : *insert_events;
  for (std::size_t r = 0; r < rows; ++r) {
    const NewEvent& e = events[first + r];
    const int at = static_cast<int>(r) * queries::kInsertEventColumns;
    // The strings outlive the step: no copies.
    insert.bind(at + 1, first_id + static_cast<std::int64_t>(r)).bind_static(at + 2, e.event_id);
    insert.bind_static(at + 3, to_string(e.service)).bind(at + 4, e.sequence);
    insert.bind_static(at + 5, e.transport_id).bind_static(at + 6, e.source_system);
    insert.bind(at + 7, now).bind(at + 8, now).bind(at + 9, tenant);
  }
  insert.run();
  std::vector<bool> stored(rows, true);
  const bool all_stored = insert.changes() == static_cast<int>(rows);
  if (!all_stored) {  // duplicates among them (a feed page read again): which ids were stored?
    stored.assign(rows, false);
    std::vector<std::int64_t> ids;
    for (std::size_t r = 0; r < rows; ++r) ids.push_back(first_id + static_cast<std::int64_t>(r));
    const std::string ids_json = json_array(ids);
    auto& which = *stored_ids;
    which.bind_static(1, ids_json);
    while (which.step()) stored[static_cast<std::size_t>(which.int64(0) - first_id)] = true;
    which.reset();
  }
  if (all_stored) {
    auto& payloads = rows == 1 ? *insert_payload : *insert_payloads;
    for (std::size_t r = 0; r < rows; ++r)
      payloads.bind(static_cast<int>(r) * 2 + 1, first_id + static_cast<std::int64_t>(r))
          .bind_static(static_cast<int>(r) * 2 + 2, events[first + r].payload);
    payloads.run();
  } else {
    for (std::size_t r = 0; r < rows; ++r)
      if (stored[r])
        insert_payload->bind(1, first_id + static_cast<std::int64_t>(r))
            .bind_static(2, events[first + r].payload)
            .run();
  }
  for (std::size_t r = 0; r < rows; ++r) {
    const NewEvent& e = events[first + r];
    if (!stored[r]) {
      check_same_content(tenant, e);
      ++result.duplicates;
      continue;
    }
    const std::int64_t id = first_id + static_cast<std::int64_t>(r);
    event_ids.add(e.event_id, id);
    window_of(tenant).stored(WindowEvent{id, e.sequence, e.service, e.transport_id, e.source_system,
                                         EventState::Pending, now, now});
    count(tenant, e.service, EventState::Pending, +1);
    ++result.inserted;
  }
}

// Why each event must not be pushed (empty: it may): over the size limit, or an eventId already
// stored (or earlier in the batch) with another sequence. Cloud ALM deduplicates by eventId, so it
// would answer "duplicate" for the second and the bridge would count it delivered.
std::vector<std::string> Outbox::Impl::ingestion_problems(int tenant, const std::vector<NewEvent>& events) {
  load_event_ids();
  std::vector<std::string> problems(events.size());
  std::unordered_map<std::string_view, std::int64_t> first_in_batch;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const NewEvent& e = events[i];
    if (e.payload.size() > options.max_event_bytes) {
      problems[i] = fmt::format("{}: the event is {} bytes, over the limit of {} bytes per event",
                                kEventTooLarge, e.payload.size(), options.max_event_bytes);
      continue;
    }
    auto [earlier, inserted] = first_in_batch.emplace(e.event_id, e.sequence);
    if (!inserted && earlier->second != e.sequence) {
      problems[i] = fmt::format(
          "{}: eventId {} came with sequence {} in the same page, and now with sequence {} and "
          "other content; not pushed (Cloud ALM would take it for the first)",
          kEventIdConflict, e.event_id, earlier->second, e.sequence);
      continue;
    }
    const auto candidate = event_ids.find(e.event_id);
    const auto stored = candidate ? stored_row(*candidate, e.event_id) : std::nullopt;
    if (!stored || (stored->tenant == tenant && stored->sequence == e.sequence))
      continue;  // new, or a re-read of the same sequence (checked for its content when stored)
    if (stored->tenant != tenant && stored->payload == e.payload) {
      problems[i] = fmt::format(
          "{}: eventId {} is stored as sequence {} of tenant {}: the same event from two tenants, with the "
          "same content (do two tenants read one feed? `ato-bridge config check` compares their feed "
          "URLs); not pushed twice",
          kEventIdConflict, e.event_id, stored->sequence, tenant_name(stored->tenant));
      continue;
    }
    problems[i] = fmt::format(
        "{}: eventId {} is stored with sequence {}{}; the feed now sends it with sequence {} "
        "and other content; not pushed (Cloud ALM would answer duplicate and it would be "
        "counted as delivered)",
        kEventIdConflict, e.event_id, stored->sequence,
        stored->tenant == tenant ? "" : " of tenant " + tenant_name(stored->tenant), e.sequence);
  }
  return problems;
}

// Every stored eventId, read once (and again after another process wrote, or retention deleted as
// many as are left): a scan of the events table.
void Outbox::Impl::load_event_ids() {
  if (event_ids_loaded) return;
  event_ids.clear();
  auto& scan = *all_event_ids;
  while (scan.step()) event_ids.add(scan.text(0), scan.int64(1));  // eventId, row
  scan.reset();
  event_ids_loaded = true;
  deleted_since_load = 0;
}

// Where the row a fingerprint named is stored, when it carries `event_id` (confirms the candidate).
std::optional<Outbox::Impl::StoredRow> Outbox::Impl::stored_row(std::int64_t id, std::string_view event_id) {
  auto& stmt = *event_at_row;
  stmt.bind(1, id);
  std::optional<StoredRow> row;
  if (stmt.step() && stmt.text(0) == event_id)
    row = StoredRow{static_cast<int>(stmt.int64(1)), stmt.int64(2),
                    stmt.is_null(3) ? std::nullopt : std::optional<std::string>(stmt.text(3))};
  stmt.reset();
  return row;
}

void Outbox::Impl::store_dead(int tenant, const NewEvent& e, const std::string& reason, std::int64_t id,
                              EpochMillis now, EnqueueResult& result) {
  auto& insert = *insert_dead;
  insert.bind(1, id).bind_static(2, e.event_id).bind_static(3, to_string(e.service)).bind(4, e.sequence);
  insert.bind_static(5, e.transport_id).bind_static(6, e.source_system).bind(7, now).bind_static(8, reason);
  insert.bind(9, format_iso8601_utc(now)).bind(10, tenant).run();
  if (insert.changes() == 0) {  // its sequence is stored: a re-read of the same dead letter, or other content
    check_same_content(tenant, e);
    ++result.duplicates;
    return;
  }
  insert_payload->bind(1, id).bind_static(2, e.payload).run();
  event_ids.add(e.event_id, id);
  count(tenant, e.service, EventState::Dead, +1);
  ++result.dead;
  result.dead_reasons.push_back(reason);
}

// A sequence stored already must hold the same event: other content means the feed was reset or
// replaced, and storing nothing (the cursor stays) is the only safe answer.
void Outbox::Impl::check_same_content(int tenant, const NewEvent& e) {
  auto& stmt = *stored_at_sequence;
  stmt.bind(1, tenant).bind(2, e.sequence);
  std::string problem;
  if (stmt.step() && (stmt.text(0) != e.event_id || stmt.text(1) != e.payload))
    problem = fmt::format(
        "sequence {} of tenant {} is stored as eventId {}; the feed now serves {} under it{}: the feed was "
        "reset or replaced (nothing of this page was stored and the cursor stays; see `ato-bridge cursor`)",
        e.sequence, tenant_name(tenant), stmt.text(0), e.event_id,
        stmt.text(0) == e.event_id ? " with other content" : "");
  stmt.reset();
  if (!problem.empty())
    throw SequenceConflictError(fmt::format("outbox {}: {}", options.path.string(), problem));
}

std::optional<std::int64_t> Outbox::cursor(const std::string& tenant, Service service) const {
  return impl_->guarded("read cursor", [&]() -> std::optional<std::int64_t> {
    impl_->notice_other_writers();
    const int number = impl_->tenant_number(tenant, false);
    const std::int64_t value = number ? impl_->cursor_of(number, service) : -1;
    if (value < 0) return std::nullopt;
    return value;
  });
}

void Outbox::set_cursor(const std::string& tenant, Service service, std::int64_t sequence, EpochMillis now) {
  if (sequence < 0 || sequence > kMaxSequence)
    throw std::invalid_argument(
        fmt::format("cursor {} is not a feed sequence (0 to {})", sequence, kMaxSequence));
  impl_->changing("set cursor", [&] {
    Transaction tx(*impl_->db);
    const int number = impl_->tenant_number(tenant, true);
    ato::sqlite::Statement set(
        *impl_->db,
        "INSERT INTO cursors (tenant, service, sequence, updated_at) VALUES (?4, ?1, ?2, ?3) "
        "ON CONFLICT (tenant, service) DO UPDATE SET sequence = excluded.sequence, "
        "updated_at = excluded.updated_at");
    set.bind(1, to_string(service)).bind(2, sequence).bind(3, now).bind(4, number).run();
    tx.commit();
    impl_->cursor_cache.reset();
  });
}

std::int64_t Outbox::low_watermark(const std::string& tenant,
                                   const std::vector<Service>& active_services) const {
  return impl_->guarded("read cursors", [&] {
    const int number = impl_->tenant_number(tenant, false);
    std::int64_t lowest = kMaxSequence;
    for (Service s : active_services)
      lowest = std::min(lowest, number ? std::max<std::int64_t>(0, impl_->cursor_of(number, s)) : 0);
    return lowest;
  });
}

std::vector<Outbox::CursorRow> Outbox::cursors() const {
  return impl_->guarded("read cursors", [&] {
    Statement stmt(
        *impl_->db,
        "SELECT t.name, c.service, c.sequence, c.updated_at FROM cursors c JOIN tenants t ON t.id = "
        "c.tenant ORDER BY t.name, c.service");
    std::vector<CursorRow> rows;
    while (stmt.step())
      rows.push_back({std::string(stmt.text(0)), service_from(stmt.text(1)), stmt.int64(2), stmt.int64(3)});
    return rows;
  });
}

std::vector<std::string> Outbox::tenants() const {
  return impl_->guarded("read tenants", [&] {
    impl_->notice_other_writers();
    if (!impl_->tenants_loaded) impl_->load_tenants();
    std::vector<std::string> names;
    for (const auto& [name, number] : impl_->tenant_numbers) names.push_back(name);
    return names;
  });
}

void Outbox::rename_tenant(const std::string& from, const std::string& to) {
  if (to.empty() || to.size() > 64)
    throw std::invalid_argument(fmt::format("tenant name '{}': expected 1 to 64 characters", to));
  impl_->changing("rename tenant", [&] {
    impl_->load_tenants();
    if (!impl_->tenant_number(from, false))
      throw OutboxError(fmt::format("outbox {}: no tenant named '{}' (it knows: {})",
                                    impl_->options.path.string(), from, fmt::join(tenants(), ", ")));
    if (impl_->tenant_number(to, false))
      throw OutboxError(
          fmt::format("outbox {}: a tenant named '{}' exists already", impl_->options.path.string(), to));
    Statement rename(*impl_->db, "UPDATE tenants SET name = ?2 WHERE name = ?1");
    rename.bind(1, from).bind(2, to).run();
    impl_->load_tenants();
  });
}

// Tenants take turns: the claim starts with the tenant after the one served last for this service
// and takes the first whose window has events that may leave now. A package is one tenant's.
ClaimedPackage Outbox::claim(const ClaimRequest& request) {
  return impl_->changing("claim", [&] {
    impl_->notice_other_writers();
    std::vector<int> order;
    if (!request.tenant.empty()) {
      if (const int only = impl_->tenant_number(request.tenant, false)) order.push_back(only);
    } else {
      const int last = impl_->last_served_tenant[request.service];
      if (!impl_->tenants_loaded) impl_->load_tenants();
      for (const auto& [number, name] : impl_->tenant_names)
        if (number > last) order.push_back(number);
      for (const auto& [number, name] : impl_->tenant_names)
        if (number <= last) order.push_back(number);
    }
    for (int tenant : order) {
      const auto per_tenant = [&](const auto& values, auto otherwise) {
        if (values.empty()) return otherwise;
        const auto it = values.find(impl_->tenant_name(tenant));
        return it == values.end() ? decltype(otherwise){0} : it->second;
      };
      const std::int64_t watermark = per_tenant(request.watermark_of, request.watermark);
      const int max_events = per_tenant(request.max_events_of, request.max_events);
      if (max_events <= 0) continue;  // the service is not this tenant's
      ClaimedPackage package = impl_->claim_from(tenant, request, watermark, max_events);
      if (!package.events.empty()) {
        impl_->last_served_tenant[request.service] = tenant;
        return package;
      }
    }
    return ClaimedPackage{};
  });
}

ClaimedPackage Outbox::Impl::claim_from(int tenant, const ClaimRequest& request, std::int64_t watermark,
                                        int max_events) {
  ClaimedPackage package;
  const EventState from = request.from == ClaimFrom::Pending ? EventState::Pending : EventState::Retryable;
  refresh_window(tenant, false);  // the claim noticed other writers once, for all tenants
  ClaimWindow& window = window_of(tenant);
  const WindowQuery query{request.service,           from,      request.now, watermark,
                          &request.excluded_systems, max_events};
  const std::vector<std::int64_t> chosen = window.claimable(query);
  if (chosen.empty()) {
    note_if_blocked(tenant, request, watermark);
    return package;
  }
  package.tenant = tenant_name(tenant);
  package.lease_token = static_cast<std::int64_t>(random() >> 2) + 1;
  package.from = request.from;
  package.lease_expires_at = request.now + request.lease.count();
  std::string ids = json_array(chosen);
  std::vector<std::int64_t> read_ids;
  std::vector<EpochMillis> due;
  auto& stmt = from == EventState::Pending ? *read_claimed_pending : *read_claimed_retryable;
  stmt.bind_static(1, ids);
  while (stmt.step()) {
    if (stmt.is_null(8)) {
      const std::string event_id(stmt.text(1));
      stmt.reset();
      throw OutboxError(fmt::format("outbox {}: event {} has no payload", options.path.string(), event_id));
    }
    package.events.push_back(ClaimedEvent{stmt.int64(0), std::string(stmt.text(1)), request.service,
                                          stmt.int64(2), std::string(stmt.text(3)), std::string(stmt.text(4)),
                                          std::string(stmt.text(8)), static_cast<int>(stmt.int64(5)),
                                          stmt.int64(6)});
    read_ids.push_back(stmt.int64(0));
    due.push_back(stmt.int64(7));
  }
  stmt.reset();
  // A chosen row was no longer in the state the window saw: it is stale, load it again.
  const bool stale = read_ids.size() != chosen.size();
  if (read_ids.empty()) {
    forget();
    package.events.clear();
    return package;
  }
  if (stale) ids = json_array(read_ids);
  insert_lease->bind(1, package.lease_token).bind(2, package.lease_expires_at).bind_static(3, ids).run();
  for (std::size_t i = 0; i < read_ids.size(); ++i) {
    in_flight.add(read_ids[i], InFlight::Event{package.lease_token, request.service, from, due[i], tenant});
    window.claimed(read_ids[i]);
  }
  if (stale) forget();
  std::sort(package.events.begin(), package.events.end(),
            [](const ClaimedEvent& a, const ClaimedEvent& b) { return a.sequence < b.sequence; });
  return package;
}

SettleResult Outbox::settle(std::int64_t lease_token, const std::vector<Settlement>& settlements,
                            EpochMillis now, const RetryPolicy& policy) {
  return impl_->changing("settle", [&] {
    SettleResult result;
    impl_->load_leases();
    // An event is ours to settle while our lease lists it; one rescued meanwhile is not.
    const auto ours = [&](std::int64_t id) { return impl_->in_flight.holds(lease_token, id); };
    std::vector<std::int64_t> settled_ids;
    Transaction tx(*impl_->db);
    const std::string now_text = format_iso8601_utc(now);
    // All accepted events of the package in one statement: the common case, and the hot one.
    std::vector<std::int64_t> done_ids;
    for (const auto& s : settlements) {
      if (s.kind != Settlement::Kind::Done) continue;
      if (ours(s.id))
        done_ids.push_back(s.id);
      else
        ++result.stale;
    }
    if (!done_ids.empty()) {
      auto& stmt = *impl_->settle_done;
      stmt.bind(1, now).bind(2, json_array(done_ids)).run();
      if (stmt.changes() != static_cast<int>(done_ids.size()))
        throw OutboxError(fmt::format("{} of {} events in flight were no longer open",
                                      done_ids.size() - static_cast<std::size_t>(stmt.changes()),
                                      done_ids.size()));
      result.done = stmt.changes();
      for (std::int64_t id : done_ids) {
        const auto& was = *impl_->in_flight.find(id);
        impl_->window_of(was.tenant).settled(id);
        impl_->count_move(was.tenant, was.service, was.state, EventState::Done);
      }
      settled_ids = std::move(done_ids);
    }
    for (const auto& s : settlements) {
      if (s.kind == Settlement::Kind::Done) continue;
      if (!ours(s.id)) {
        ++result.stale;
        continue;
      }
      settled_ids.push_back(s.id);
      if (s.kind == Settlement::Kind::Release) {  // back as it was claimed: its row never changed
        const auto& was = *impl_->in_flight.find(s.id);
        impl_->window_of(was.tenant).waiting(s.id, was.state, was.next_attempt_at);
        ++result.released;
        continue;
      }
      auto& row = *impl_->select_for_failure;
      row.bind(1, s.id);
      if (!row.step()) {
        row.reset();
        throw OutboxError(fmt::format("event row {} in flight is no longer open", s.id));
      }
      const int attempts = static_cast<int>(row.int64(0)) + 1;
      const EpochMillis enqueued_at = row.int64(1);
      row.reset();

      EventState state = EventState::Dead;
      std::string reason = s.message;
      EpochMillis next_attempt_at = now;
      if (s.kind == Settlement::Kind::Retry) {
        const auto decision =
            decide_retry(policy, attempts, enqueued_at, now, s.retry_after, impl_->jitter());
        if (decision.give_up) {
          reason = decision.reason + "; last error: " + s.message;
        } else {
          state = EventState::Retryable;
          next_attempt_at = decision.next_attempt_at;
        }
      }
      auto& update = *impl_->settle_failure;
      update.bind(1, state_name(state)).bind(2, attempts).bind(3, next_attempt_at);
      if (state == EventState::Dead)
        update.bind(4, now).bind(5, reason);
      else
        update.bind_null(4).bind_null(5);
      update.bind(6, now_text).bind(7, attempts);
      if (s.http_status)
        update.bind(8, s.http_status);
      else
        update.bind_null(8);
      update.bind(9, s.message).bind(10, s.id).run();
      const auto& was = *impl_->in_flight.find(s.id);
      impl_->count_move(was.tenant, was.service, was.state, state);
      if (state == EventState::Dead)
        impl_->window_of(was.tenant).settled(s.id);
      else
        impl_->window_of(was.tenant).waiting(s.id, state, next_attempt_at);
      ++(state == EventState::Dead ? result.dead : result.retryable);
    }
    impl_->end_in_flight(lease_token, settled_ids);
    tx.commit();
    return result;
  });
}

// The settled events leave their lease, in the settle's transaction; the row goes with the last.
void Outbox::Impl::end_in_flight(std::int64_t token, const std::vector<std::int64_t>& settled_ids) {
  if (settled_ids.empty()) return;
  const std::vector<std::int64_t> still = in_flight.end(token, settled_ids);
  if (still.empty())
    end_lease->bind(1, token).run();
  else
    shrink_lease->bind(1, token).bind(2, json_array(still)).run();
}

RescueResult Outbox::Impl::rescue(EpochMillis now, EpochMillis expired_by, const RetryPolicy& policy) {
  constexpr std::string_view kLeaseExpired =
      "lease expired while in flight (the bridge stopped or hung); it may have been delivered, Cloud ALM "
      "deduplicates";
  struct Lost {
    std::int64_t id;
    int attempts;
    EpochMillis enqueued_at;
  };
  Transaction tx(*db);
  std::vector<Lost> lost;
  auto& select = *rescue_events;
  select.bind(1, expired_by);
  while (select.step())
    lost.push_back({select.int64(0), static_cast<int>(select.int64(1)) + 1, select.int64(2)});
  select.reset();
  RescueResult result;
  const std::string now_text = format_iso8601_utc(now);
  for (const auto& event : lost) {
    const auto decision =
        decide_retry(policy, event.attempts, event.enqueued_at, now, std::nullopt, jitter());
    auto& update = *settle_failure;
    update.bind(1, state_name(decision.give_up ? EventState::Dead : EventState::Retryable))
        .bind(2, event.attempts)
        .bind(3, decision.give_up ? now : decision.next_attempt_at);
    if (decision.give_up)
      update.bind(4, now).bind(5, decision.reason + "; last error: " + std::string(kLeaseExpired));
    else
      update.bind_null(4).bind_null(5);
    update.bind(6, now_text).bind(7, event.attempts).bind_null(8).bind_static(9, kLeaseExpired);
    update.bind(10, event.id).run();
    ++(decision.give_up ? result.dead : result.retryable);
  }
  rescue_leases->bind(1, expired_by).run();
  const int leases = rescue_leases->changes();
  tx.commit();
  if (leases > 0) forget();  // rare: a package was lost in flight
  return result;
}

RescueResult Outbox::rescue_expired(EpochMillis now, const RetryPolicy& policy) {
  return impl_->changing("rescue", [&] { return impl_->rescue(now, now, policy); });
}

RescueResult Outbox::rescue_all_in_flight(EpochMillis now, const RetryPolicy& policy) {
  return impl_->changing("rescue", [&] { return impl_->rescue(now, kMaxEpochMillis, policy); });
}

namespace {

constexpr std::string_view kDeadFilter =
    "state = 'dead' AND (?1 IS NULL OR service = ?1) AND (?2 IS NULL OR transport_id = ?2) "
    "AND (?3 IS NULL OR instr(dead_reason, ?3) > 0) "
    "AND (?5 IS NULL OR tenant = (SELECT id FROM tenants WHERE name = ?5))";

void bind_filter(Statement& stmt, const DeadLetterFilter& filter) {
  if (filter.service)
    stmt.bind(1, to_string(*filter.service));
  else
    stmt.bind_null(1);
  if (filter.transport_id)
    stmt.bind(2, *filter.transport_id);
  else
    stmt.bind_null(2);
  if (filter.reason_contains)
    stmt.bind(3, *filter.reason_contains);
  else
    stmt.bind_null(3);
  if (filter.tenant)
    stmt.bind(5, *filter.tenant);
  else
    stmt.bind_null(5);
}

constexpr std::string_view kDeadColumns =
    "event_id, service, sequence, transport_id, source_system, attempts, enqueued_at, settled_at, "
    "dead_reason, errors, (SELECT payload FROM payloads WHERE payloads.id = events.id), "
    "(SELECT name FROM tenants WHERE tenants.id = events.tenant)";

DeadLetter read_dead_letter(const Statement& stmt, bool with_payload) {
  DeadLetter d;
  d.event_id = stmt.text(0);
  d.service = service_from(stmt.text(1));
  d.sequence = stmt.int64(2);
  d.transport_id = stmt.text(3);
  d.source_system = stmt.text(4);
  d.attempts = static_cast<int>(stmt.int64(5));
  d.enqueued_at = stmt.int64(6);
  d.died_at = stmt.int64(7);
  d.reason = stmt.text(8);
  d.errors = stmt.text(9);
  if (with_payload) d.payload = stmt.text(10);
  d.tenant = stmt.text(11);
  return d;
}

}  // namespace

std::vector<DeadLetter> Outbox::dead_letters(const DeadLetterFilter& filter) const {
  return impl_->guarded("list dead letters", [&] {
    Statement stmt(*impl_->db, fmt::format("SELECT {} FROM events WHERE {} ORDER BY settled_at, id LIMIT ?4",
                                           kDeadColumns, kDeadFilter));
    bind_filter(stmt, filter);
    stmt.bind(4, filter.limit);
    std::vector<DeadLetter> out;
    while (stmt.step()) out.push_back(read_dead_letter(stmt, false));
    return out;
  });
}

std::optional<DeadLetter> Outbox::dead_letter(const std::string& event_id) const {
  return impl_->guarded("show dead letter", [&]() -> std::optional<DeadLetter> {
    Statement stmt(*impl_->db,
                   fmt::format("SELECT {} FROM events WHERE event_id = ? AND state = 'dead'", kDeadColumns));
    stmt.bind(1, event_id);
    if (!stmt.step()) return std::nullopt;
    return read_dead_letter(stmt, true);
  });
}

namespace {

// Back to pending, attempts reset; the history records the requeue so nothing is forgotten.
constexpr std::string_view kRequeue =
    "UPDATE events SET state = 'pending', attempts = 0, next_attempt_at = ?10, settled_at = NULL, "
    "dead_reason = NULL, "
    "errors = json_insert(errors, '$[#]', json_object('at', ?11, 'requeued_after_attempts', attempts, "
    "'dead_reason', dead_reason)) WHERE ";

}  // namespace

int Outbox::requeue_dead(const std::string& event_id, EpochMillis now) {
  return impl_->changing("requeue dead letter", [&] {
    Statement stmt(*impl_->db, std::string(kRequeue) + "event_id = ?1 AND state = 'dead'");
    stmt.bind(1, event_id).bind(10, now).bind(11, format_iso8601_utc(now)).run();
    if (stmt.changes() > 0) impl_->forget();  // open again, perhaps ahead of held events
    return stmt.changes();
  });
}

int Outbox::requeue_dead(const DeadLetterFilter& filter, EpochMillis now) {
  return impl_->changing("requeue dead letters", [&] {
    Statement stmt(*impl_->db, std::string(kRequeue) + std::string(kDeadFilter));
    bind_filter(stmt, filter);
    stmt.bind(10, now).bind(11, format_iso8601_utc(now)).run();
    if (stmt.changes() > 0) impl_->forget();
    return stmt.changes();
  });
}

StateCounts Outbox::counts() const {
  return impl_->guarded("count", [&] {
    impl_->notice_other_writers();
    impl_->load_leases();
    if (!impl_->tally) impl_->tally = impl_->count_stored();
    Impl::Tally tally = *impl_->tally;
    // In flight is not a state of the row but a lease listing it (schema/outbox/006): move those.
    for (const auto& [id, leased] : impl_->in_flight.events()) {
      auto& states = tally[leased.tenant][leased.service];
      --states[leased.state];
      ++states[EventState::InFlight];
    }
    StateCounts counts;
    for (const auto& [tenant, by_service] : tally) {
      counts.by_tenant[impl_->tenant_name(tenant)] = by_service;
      for (const auto& [service, states] : by_service)
        for (const auto& [state, n] : states) counts.by_service[service][state] += n;
    }
    return counts;
  });
}

// The full scan the tally starts from.
Outbox::Impl::Tally Outbox::Impl::count_stored() {
  Tally counts;
  Statement stmt(*db, "SELECT tenant, service, state, count(*) FROM events GROUP BY tenant, service, state");
  while (stmt.step()) {
    const auto state = value_of(kEventStateNames, stmt.text(2));
    if (state) counts[static_cast<int>(stmt.int64(0))][service_from(stmt.text(1))][*state] = stmt.int64(3);
  }
  return counts;
}

std::optional<std::chrono::milliseconds> Outbox::oldest_waiting_age(EpochMillis now) const {
  return impl_->guarded("oldest waiting", [&]() -> std::optional<std::chrono::milliseconds> {
    // From the claim window: a walk of every open row held the outbox for ~0.1 s per /metrics
    // scrape with a 1,000,000-event backlog.
    std::optional<EpochMillis> oldest;
    impl_->notice_other_writers();
    if (!impl_->tenants_loaded) impl_->load_tenants();
    std::vector<int> numbers;
    for (const auto& [tenant, name] : impl_->tenant_names) numbers.push_back(tenant);
    for (int tenant : numbers) {
      impl_->refresh_window(tenant);
      const auto of_tenant = impl_->window_of(tenant).oldest_enqueued_at();
      if (of_tenant && (!oldest || *of_tenant < *oldest)) oldest = of_tenant;
    }
    if (!oldest) return std::nullopt;
    return std::chrono::milliseconds(std::max<std::int64_t>(0, now - *oldest));
  });
}

// Walks the rows in stored order, `batch` rows per transaction so the collector and pusher are
// never blocked for long: done rows settled before `before` go, open rows and dead letters stay, and
// the first done row settled since ends the walk (schema/outbox/007 says why that is enough).
std::int64_t Outbox::delete_done_before(EpochMillis before, int batch) {
  std::int64_t deleted = 0, after = 0;
  for (bool more = true; more;) {
    more = impl_->guarded("retention", [&] {
      Transaction tx(*impl_->db);
      auto& scan = *impl_->retention_scan;
      scan.bind(1, after).bind(2, batch);
      std::vector<std::int64_t> old;
      std::map<std::pair<int, Service>, std::int64_t> old_per_service;
      int rows = 0;
      bool reached_recent = false;
      while (!reached_recent && scan.step()) {
        ++rows;
        after = scan.int64(0);
        if (scan.is_null(1)) continue;  // open or dead
        if (scan.int64(1) < before) {
          old.push_back(after);
          ++old_per_service[{static_cast<int>(scan.int64(3)), service_from(scan.text(2))}];
        } else {
          reached_recent = true;
        }
      }
      scan.reset();
      if (!old.empty()) {
        impl_->retention_delete->bind(1, json_array(old)).run();
        if (impl_->retention_delete->changes() != static_cast<int>(old.size())) impl_->tally.reset();
        deleted += impl_->retention_delete->changes();
      }
      tx.commit();
      for (const auto& [of, n] : old_per_service) impl_->count(of.first, of.second, EventState::Done, -n);
      return !reached_recent && rows == batch;
    });
  }
  if (deleted > 0) impl_->guarded("retention", [&] { impl_->db->exec("PRAGMA incremental_vacuum"); });
  // The deleted events' eventIds stay in memory (harmless: a candidate is confirmed by its row) until
  // as many were deleted as are left; then they are read again, so memory follows what is stored.
  impl_->deleted_since_load += deleted;
  if (impl_->deleted_since_load * 2 > static_cast<std::int64_t>(impl_->event_ids.size()))
    impl_->event_ids_loaded = false;
  return deleted;
}

std::vector<Outbox::StoredEvent> Outbox::stored_after(std::int64_t id, int limit) const {
  return impl_->guarded("read stored events", [&] {
    Statement stmt(*impl_->db, "SELECT id, payload FROM payloads WHERE id > ?1 ORDER BY id LIMIT ?2");
    stmt.bind(1, id).bind(2, limit);
    std::vector<StoredEvent> out;
    while (stmt.step()) out.push_back({stmt.int64(0), std::string(stmt.text(1))});
    return out;
  });
}

std::optional<std::int64_t> Outbox::id_of_event(const std::string& event_id, std::int64_t sequence) const {
  return impl_->guarded("find event", [&]() -> std::optional<std::int64_t> {
    Statement stmt(*impl_->db, "SELECT id FROM events WHERE sequence = ?1 AND event_id = ?2");
    stmt.bind(1, sequence).bind(2, event_id);
    if (!stmt.step()) return std::nullopt;
    return stmt.int64(0);
  });
}

std::int64_t Outbox::last_id() const {
  return impl_->guarded("last id", [&] { return impl_->highest_stored_id(); });
}

bool Outbox::together(const std::vector<std::function<void()>>& steps) {
  std::lock_guard lock(impl_->mutex);
  auto& db = *impl_->db;
  // What the steps told the window is undone with them when the group does not commit.
  const auto rolled_back = [&] {
    impl_->forget();
    return false;
  };
  try {
    Transaction tx(db);
    for (const auto& step : steps) {
      if (!db.in_transaction()) return rolled_back();  // rolled back under us: stop before storing more
      step();
    }
    if (!db.in_transaction()) return rolled_back();
    tx.commit();
    return true;
  } catch (const ato::sqlite::Error&) {
    return rolled_back();  // BEGIN or COMMIT failed: rolled back
  } catch (...) {
    impl_->forget();
    throw;
  }
}

void Outbox::probe_write() {
  impl_->changing("write probe", [&] {
    Transaction tx(*impl_->db);
    impl_->db->exec("UPDATE outbox_identity SET created_at = created_at + 1");
    impl_->db->exec("UPDATE outbox_identity SET created_at = created_at - 1");
    tx.commit();
  });
}

int Outbox::release_leases(const std::vector<std::int64_t>& lease_tokens) {
  if (lease_tokens.empty()) return 0;
  return impl_->changing("release leases", [&] {
    Transaction tx(*impl_->db);
    const auto events = impl_->db->query_int(
        fmt::format("SELECT coalesce(sum(json_array_length(event_ids)), 0) FROM leases WHERE token IN "
                    "(SELECT value FROM json_each('{}'))",
                    json_array(lease_tokens)));
    impl_->db->exec(fmt::format("DELETE FROM leases WHERE token IN (SELECT value FROM json_each('{}'))",
                                json_array(lease_tokens)));
    tx.commit();
    impl_->forget();  // the window and the in-flight list load again, with these events waiting
    return static_cast<int>(events);
  });
}

void Outbox::set_max_size_bytes(std::int64_t bytes) {
  impl_->guarded("size limit", [&] {
    const auto page_size = impl_->db->query_int("PRAGMA page_size");
    const auto pages = bytes > 0 ? std::max<std::int64_t>(1, bytes / page_size) : 4294967294LL;
    impl_->db->exec(fmt::format("PRAGMA max_page_count = {}", pages));
  });
}

}  // namespace ato::bridge
