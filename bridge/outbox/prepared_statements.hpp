// The outbox's prepared statements, by their SQL (bridge/outbox/sql/): each is prepared on first
// use (or by warm(), at open) and kept for the connection's life. Keyed by the text's address, so
// the text must live as long as the outbox: the generated sql:: constants, or a function's static.
#pragma once

#include <memory>
#include <unordered_map>

#include "core/sqlite.hpp"

namespace ato::bridge {

class PreparedStatements {
 public:
  void attach(const sqlite::Database& db) { db_ = &db; }
  sqlite::Statement& operator()(const char* sql) {
    auto& statement = by_text_[sql];
    if (!statement) statement = std::make_unique<sqlite::Statement>(*db_, sql);
    return *statement;
  }
  void warm(std::initializer_list<const char*> sqls) {
    for (const char* sql : sqls) (*this)(sql);
  }

 private:
  const sqlite::Database* db_ = nullptr;
  std::unordered_map<const char*, std::unique_ptr<sqlite::Statement>> by_text_;
};

}  // namespace ato::bridge
