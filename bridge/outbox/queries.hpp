// The outbox's hot SQL by the names the outbox, the plan test (tests/unit/migration_test.cpp) and
// the benchmark (bench/outbox.cpp, the same statements on bare SQLite as its reference) share. The
// text of every statement is in bridge/outbox/sql/ (comments there say why each is written so);
// this header fills in the placeholders a few of them have.
#pragma once

#include <string>
#include <string_view>

#include "bridge/outbox/sql.hpp"

namespace ato::bridge::queries {

// `sql` with every `placeholder` (e.g. "%VALUE%") replaced by `value`.
inline std::string with_placeholder(std::string_view sql, std::string_view placeholder, std::string_view value) {
  std::string out(sql);
  for (auto at = out.find(placeholder); at != std::string::npos;
       at = out.find(placeholder, at + value.size()))
    out.replace(at, placeholder.size(), value);
  return out;
}

// sql/leases/read_claimed.sql for the state the window saw ("pending" or "retryable").
inline std::string read_claimed(std::string_view state) {
  return with_placeholder(sql::read_claimed, "%STATE%", state);
}

inline constexpr const char* kInsertLease = sql::insert_lease;
inline constexpr const char* kShrinkLease = sql::shrink_lease;
inline constexpr const char* kEndLease = sql::end_lease;
inline constexpr const char* kLoadLeases = sql::load_leases;
inline constexpr const char* kLoadWindow = sql::load_window;
inline constexpr const char* kSettleDone = sql::settle_done;
inline constexpr const char* kHighestId = sql::highest_id;
inline constexpr const char* kStoredIds = sql::stored_ids;
inline constexpr const char* kUpsertCursor = sql::advance_cursor;
inline constexpr const char* kRetentionScan = sql::retention_scan;

// Events are stored kStoreChunk to a statement (sql/ingestion/insert_events.sql says why), or one.
inline constexpr int kStoreChunk = 50;
inline constexpr int kInsertEventColumns = 9;

namespace detail {
inline std::string rows_of(int rows, std::string_view row) {
  std::string out;
  for (int r = 0; r < rows; ++r) (out += r ? "," : "") += row;
  return out;
}
}  // namespace detail

inline std::string insert_events(int rows) {
  return with_placeholder(sql::insert_events, "%ROWS%", detail::rows_of(rows, "(?,?,?,?,?,?,?,?,?)"));
}
inline std::string insert_payloads(int rows) {
  return with_placeholder(sql::insert_payloads, "%ROWS%", detail::rows_of(rows, "(?,?)"));
}

}  // namespace ato::bridge::queries
