// The outbox's file: opening and creating it, its identity, migrations, pragmas, checks, and
// groups of operations in one transaction.
#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "bridge/outbox/outbox_impl.hpp"
#include "bridge/outbox/queries.hpp"
#include "schema/outbox_migrations.hpp"

namespace ato::bridge {

using sqlite::Statement;
using sqlite::Transaction;

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
    file.created = true;
  }
  db = std::make_unique<sqlite::Database>(options.path, SQLITE_OPEN_READWRITE);
  statements.attach(*db);
  file.id = file_id(options.path);
  db->exec(queries::with_placeholder(sql::busy_timeout, "%VALUE%", std::to_string(options.busy_timeout.count())));
  if (db->query_int(sql::page_count) == 0) {
    if (std::filesystem::file_size(options.path, ec) > 0 || ec)
      throw OutboxError(fmt::format("outbox {}: not a database", options.path.string()));
    if (!file.created) refuse_missing_or_empty(false);
    db->exec(sql::choose_incremental_vacuum);
  }
  if (read) {
    finish_read_only_open();
    return;
  }
  if (db->query_text(sql::use_wal) != "wal")
    throw OutboxError(fmt::format("outbox {}: cannot switch to WAL mode (is it on a network filesystem?)",
                                  options.path.string()));
  db->exec(sql::small_page_cache);
  db->exec(sql::map_memory);
  db->exec(sql::temp_in_memory);
  db->exec(queries::with_placeholder(sql::synchronous, "%VALUE%", options.durability_full ? "FULL" : "NORMAL"));
  if (options.max_size_bytes > 0) {
    const auto page_size = db->query_int(sql::page_size);
    db->exec(queries::with_placeholder(sql::max_page_count, "%VALUE%",
                           std::to_string(std::max<std::int64_t>(1, options.max_size_bytes / page_size))));
  }
  migrate();
  check_identity();
  prepare();
  checkpointer = std::make_unique<Checkpointer>(options.path, db->handle(), options.durability_full);
}

// Read access (status, check, listings): the outbox as it is, never migrated or checkpointed.
void Outbox::Impl::finish_read_only_open() {
  db->exec(sql::map_memory);
  const int version = static_cast<int>(db->query_int(sql::user_version));
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
  file.identity = db->query_text(sql::read_identity);
  const auto recorded = recorded_identity(options.path);
  if (recorded && *recorded != file.identity && !options.accept_new)
    throw OutboxError(fmt::format(
        "outbox {} is not the outbox that lived there: its identity is {}, {} says {}. It was replaced by "
        "another file, and the events of the one that lived there are not here. Put that one back; to use "
        "this file as it is: ato-bridge run --new-outbox",
        options.path.string(), file.identity, identity_file(options.path).string(), *recorded));
  if (options.access == OutboxAccess::Write && recorded != file.identity) {
    record_identity(options.path, file.identity);
    if (recorded)
      spdlog::warn("outbox {}: taken as the outbox from now on (--new-outbox)", options.path.string());
  }
}

void Outbox::Impl::migrate() {
  const int current = static_cast<int>(db->query_int(sql::user_version));
  const int latest = latest_schema_version();
  if (current > latest)
    throw OutboxError(fmt::format(
        "outbox {} has schema version {}, written by a newer ato-bridge; this one knows versions up to {}. "
        "Use that newer ato-bridge, or point outbox.path at another file.",
        options.path.string(), current, latest));
  for (const auto& migration : schema::kOutboxMigrations) {
    if (migration.version <= current) continue;
    Transaction tx(*db);
    db->exec(sql::create_migration_log);
    db->exec(migration.sql);
    Statement record(*db, sql::record_migration);
    record.bind(1, migration.version).bind(2, migration.name).bind(3, now_epoch_millis()).run();
    db->exec(queries::with_placeholder(sql::set_user_version, "%VALUE%", std::to_string(migration.version)));
    tx.commit();
  }
}

// The statements of the hot paths are prepared at open, so a file they do not fit fails here.
void Outbox::Impl::prepare() {
  statements.warm({sql::highest_id,     sql::stored_ids,           sql::advance_cursor,
                   sql::load_cursors,   sql::load_window,          sql::data_version,
                   sql::insert_lease,   sql::shrink_lease,         sql::end_lease,
                   sql::load_leases,    sql::settle_done,          sql::read_for_failure,
                   sql::record_failure, sql::expired_lease_events, sql::end_expired_leases,
                   sql::all_event_ids,  sql::event_at_row,         sql::stored_at_sequence,
                   sql::insert_dead,    sql::retention_scan,       sql::retention_delete});
  load_tenants();
}

void Outbox::Impl::notice_other_writers() {
  auto& version_of_file = statements(sql::data_version);
  version_of_file.step();
  const std::int64_t version = version_of_file.int64(0);
  version_of_file.reset();
  if (version != seen_data_version) {
    memory.forget();
    memory.event_ids.loaded = false;  // another process may have stored events (or renamed a tenant)
  }
  seen_data_version = version;
}

Outbox::Outbox(OutboxOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->guarded("open", [&] { impl_->open(); });
}

Outbox::~Outbox() = default;

int Outbox::schema_version() const {
  return impl_->guarded("schema version",
                        [&] { return static_cast<int>(impl_->db->query_int(sql::user_version)); });
}

int Outbox::latest_schema_version() {
  return std::size(schema::kOutboxMigrations) == 0 ? 0 : std::end(schema::kOutboxMigrations)[-1].version;
}

std::string Outbox::identity() const {
  return impl_->file.identity;
}

void Outbox::verify_file() const {
  const auto now = file_id(impl_->options.path);
  if (now && impl_->file.id && *now == *impl_->file.id) return;
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
      Statement integrity(*impl_->db, sql::integrity_check);
      while (integrity.step())
        if (integrity.text(0) != "ok") problems.push_back("SQLite: " + std::string(integrity.text(0)));
    } catch (const sqlite::Error& e) {  // too damaged for the check itself to finish
      problems.push_back(std::string("SQLite: ") + e.what());
    }
    if (!problems.empty()) return problems;
    const auto count = [&](const char* sql) { return impl_->db->query_int(sql); };
    if (auto n = count(sql::count_events_without_payload))
      problems.push_back(fmt::format("{} events have no payload", n));
    if (auto n = count(sql::count_leased_not_open))
      problems.push_back(fmt::format("{} leased events are missing or settled already", n));
    if (auto n = count(sql::count_events_above_cursor))
      problems.push_back(fmt::format("{} events lie above their service's cursor", n));
    return problems;
  });
}

std::vector<std::string> Outbox::check_memory() const {
  return impl_->guarded("memory check", [&] { return impl_->memory.check(*impl_->db); });
}

bool Outbox::together(const std::vector<std::function<void()>>& steps) {
  OneUser::Inside inside(impl_->door);
  auto& db = *impl_->db;
  // What the steps told memory is undone with them when the group does not commit.
  const auto rolled_back = [&] {
    impl_->memory.forget();
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
  } catch (const sqlite::Error&) {
    return rolled_back();  // BEGIN or COMMIT failed: rolled back
  } catch (...) {
    impl_->memory.forget();
    throw;
  }
}

void Outbox::probe_write() {
  impl_->changing("write probe", [&] {
    Transaction tx(*impl_->db);
    impl_->db->exec(sql::probe_write);
    tx.commit();
  });
}

void Outbox::set_max_size_bytes(std::int64_t bytes) {
  impl_->guarded("size limit", [&] {
    const auto page_size = impl_->db->query_int(sql::page_size);
    const auto pages = bytes > 0 ? std::max<std::int64_t>(1, bytes / page_size) : 4294967294LL;
    impl_->db->exec(queries::with_placeholder(sql::max_page_count, "%VALUE%", std::to_string(pages)));
  });
}

}  // namespace ato::bridge
