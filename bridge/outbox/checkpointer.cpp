#include "bridge/outbox/checkpointer.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "bridge/outbox/queries.hpp"
#include "core/sqlite.hpp"

namespace ato::bridge {

Checkpointer::Checkpointer(const std::filesystem::path& database, sqlite3* writer, bool durability_full)
    : database_(database), writer_(writer), durability_full_(durability_full) {
  sqlite3_wal_hook(writer_, &Checkpointer::on_commit, this);
  thread_ = std::thread([this] { run(); });
}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  sqlite3_wal_hook(writer_, nullptr, nullptr);  // closing the writer checkpoints what is left
}

int Checkpointer::on_commit(void* self, sqlite3* writer, const char* schema, int wal_pages) {
  auto& c = *static_cast<Checkpointer*>(self);
  bool wake = false;
  {
    std::lock_guard lock(c.mutex_);
    c.wal_pages_ = wal_pages;
    if (wal_pages < c.checked_upto_) c.checked_upto_ = 0;  // the WAL started over
    wake = wal_pages - c.checked_upto_ >= kStartPages;
  }
  if (wake) c.wake_.notify_one();
  if (wal_pages < kInlinePages) return SQLITE_OK;
  if (sqlite3_wal_checkpoint_v2(writer, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) == SQLITE_BUSY) {
    // The thread's checkpoint holds the lock: wait for it (bounded), then copy back what is left.
    {
      std::unique_lock lock(c.mutex_);
      c.idle_.wait_for(lock, std::chrono::seconds(5), [&] { return !c.checkpointing_; });
    }
    sqlite3_wal_checkpoint_v2(writer, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  return SQLITE_OK;
}

void Checkpointer::run() {
  std::unique_ptr<sqlite::Database> db;
  try {
    db = std::make_unique<sqlite::Database>(database_, SQLITE_OPEN_READWRITE);
    // The checkpoint syncs as the writer's durability says (WAL before copying, file after).
    db->exec(queries::with_placeholder(sql::synchronous, "%VALUE%", durability_full_ ? "FULL" : "NORMAL"));
  } catch (const std::exception& e) {
    // The writer's commits then checkpoint inline past kInlinePages: slower, never unbounded.
    spdlog::warn("outbox {}: no background checkpoints ({})", database_.string(), e.what());
    return;
  }
  bool warned = false;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::seconds(1),
                   [&] { return stopping_ || wal_pages_ - checked_upto_ >= kStartPages; });
    if (stopping_ || wal_pages_ - checked_upto_ < kStartPages) continue;
    checkpointing_ = true;
    lock.unlock();
    int frames = 0, copied = 0;
    const int rc =
        sqlite3_wal_checkpoint_v2(db->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY && !warned) {
      // The frames stay in the WAL, committed and safe; the next attempt may succeed (disk full).
      spdlog::warn("outbox {}: checkpoint failed: {}", database_.string(), sqlite3_errstr(rc));
      warned = true;
    }
    lock.lock();
    checkpointing_ = false;
    idle_.notify_all();
    if (rc == SQLITE_OK) {
      warned = false;
      checked_upto_ = frames;  // what readers still hold waits for the next kStartPages
    }
    if (rc != SQLITE_OK) {  // do not spin on a failing checkpoint
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      lock.lock();
    }
  }
}

}  // namespace ato::bridge
