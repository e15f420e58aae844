#include "core/sqlite.hpp"

#include <fmt/format.h>

namespace ato::sqlite {

Error::Error(int code, const std::string& message) : std::runtime_error(message), code_(code) {}

bool Error::is_disk_trouble() const {
  const int primary = primary_code();
  return primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN;
}

namespace {

// Once per process, before the first connection initializes SQLite. Memory statistics (on in
// Debian's build) take a global mutex around every allocation SQLite makes; nothing here reads
// them. Off, the outbox thread spent ~5% less CPU per event draining a backlog (bench/e2e.sh).
// Should SQLite be initialized already (a host program), the call is refused and nothing changes.
void configure_sqlite_once() {
  static const bool configured = [] { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK; }();
  (void)configured;
}

}  // namespace

Database::Database(const std::filesystem::path& path, int flags) {
  configure_sqlite_once();
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(rc, fmt::format("cannot open {}: {}", path.string(), message));
  }
  sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() {
  sqlite3_close(db_);
}

void Database::fail(int rc, std::string_view what) const {
  throw Error(sqlite3_extended_errcode(db_) ? sqlite3_extended_errcode(db_) : rc,
              fmt::format("{}: {}", what, sqlite3_errmsg(db_)));
}

void Database::exec(std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc, "SQLite");
}

std::int64_t Database::query_int(std::string_view sql) {
  Statement stmt(*this, sql);
  return stmt.step() ? stmt.int64(0) : 0;
}

std::string Database::query_text(std::string_view sql) {
  Statement stmt(*this, sql);
  return stmt.step() ? std::string(stmt.text(0)) : std::string();
}

Statement::Statement(const Database& db, std::string_view sql) : db_(db) {
  const int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) db.fail(rc, "SQLite prepare");
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, std::int64_t value) {
  if (int rc = sqlite3_bind_int64(stmt_, index, value); rc != SQLITE_OK) db_.fail(rc, "SQLite bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  if (int rc = sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
      rc != SQLITE_OK)
    db_.fail(rc, "SQLite bind");
  return *this;
}

Statement& Statement::bind_static(int index, std::string_view text) {
  if (int rc = sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
      rc != SQLITE_OK)
    db_.fail(rc, "SQLite bind");
  return *this;
}

Statement& Statement::bind_null(int index) {
  if (int rc = sqlite3_bind_null(stmt_, index); rc != SQLITE_OK) db_.fail(rc, "SQLite bind");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(stmt_);
  db_.fail(rc, "SQLite");
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
}

int Statement::changes() const {
  return sqlite3_changes(db_.handle());
}

std::string_view Statement::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return data ? std::string_view(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
              : std::string_view();
}

Transaction::Transaction(Database& db, Mode mode) : db_(db), nested_(db.in_transaction()) {
  db_.exec(nested_ ? "SAVEPOINT nested" : mode == Mode::Immediate ? "BEGIN IMMEDIATE" : "BEGIN");
}

Transaction::~Transaction() {
  if (!open_) return;
  // Errors ignored: SQLite may have rolled the whole transaction back already (full disk).
  if (nested_)
    sqlite3_exec(db_.handle(), "ROLLBACK TO nested; RELEASE nested", nullptr, nullptr, nullptr);
  else
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec(nested_ ? "RELEASE nested" : "COMMIT");
  open_ = false;
}

}  // namespace ato::sqlite
