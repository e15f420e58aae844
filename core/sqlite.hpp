// A thin RAII layer over SQLite's C API: statements that bind and step, transactions that roll
// back unless committed, and errors that keep SQLite's codes so callers can tell disk trouble
// (full, I/O) from everything else.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ato::sqlite {

class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& message);
  int code() const { return code_; }  // extended result code
  int primary_code() const { return code_ & 0xff; }
  // The disk is full, or the file cannot be read or written: the database is intact but the
  // operation did not happen.
  bool is_disk_trouble() const;

 private:
  int code_;
};

class Database {
 public:
  Database(const std::filesystem::path& path, int flags);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(std::string_view sql);
  // Runs a single-value query such as `PRAGMA user_version`.
  std::int64_t query_int(std::string_view sql);
  std::string query_text(std::string_view sql);
  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  // An explicit transaction is open (SQLite may roll one back by itself on a full disk or an I/O
  // error: this tells).
  bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }
  sqlite3* handle() const { return db_; }
  [[noreturn]] void fail(int rc, std::string_view what) const;

 private:
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement(const Database& db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, std::string_view text);  // copied by SQLite (SQLITE_TRANSIENT)
  // Not copied: `text` must stay alive and unchanged until the statement is reset or rebound.
  Statement& bind_static(int index, std::string_view text);
  Statement& bind_null(int index);

  bool step();   // true when a row is available
  void run();    // steps to completion, ignoring rows
  void reset();  // ready to bind and step again (bindings kept until rebound)
  int changes() const;

  std::int64_t int64(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::string_view text(int column) const;
  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  const Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE (or DEFERRED) ... COMMIT; rolls back when destroyed uncommitted (e.g. on throw).
// Inside a transaction already open it is a savepoint: its commit releases it, and a throw undoes
// only its own part. That lets the outbox run several operations in one transaction.
class Transaction {
 public:
  enum class Mode { Immediate, Deferred };
  explicit Transaction(Database& db, Mode mode = Mode::Immediate);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool nested_;
  bool open_ = true;
};

}  // namespace ato::sqlite
