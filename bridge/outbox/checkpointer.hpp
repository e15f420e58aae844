// Copies the outbox's WAL back into the database file from a thread and connection of its own.
// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, on the writer's
// thread, and the writer waits while pages are copied back and the file is fsynced (~15 us per
// delivered event in a settle-heavy replay). A checkpoint from another connection runs beside the
// writer in WAL mode: bench/e2e.sh's 94,458-event backlog went from ~11.3k to 14.0k-15.6k events/s.
//
// The writer's commits report the WAL's size through SQLite's WAL hook (which replaces the
// automatic checkpoint); past kStartPages new frames the thread checkpoints (PASSIVE: never blocks
// a writer or a reader). Under a steady stream of commits a background checkpoint never catches the
// WAL's end, so the WAL would not start over: past kInlinePages the committing writer checkpoints
// itself (little is left to copy by then), and the WAL restarts. Should the background checkpoint be
// running just then, the writer waits for it first and then checkpoints: a fast writer otherwise
// kept appending meanwhile (the WAL reached 84 MB when storing went 50 events per statement). It
// stays below ~70 MB.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

namespace ato::bridge {

class Checkpointer {
 public:
  static constexpr int kStartPages = 1000;    // SQLite's own default threshold
  static constexpr int kInlinePages = 16384;  // 64 MiB of 4 KiB pages

  // Installs the WAL hook on `writer` (which must outlive this) and starts the thread.
  Checkpointer(const std::filesystem::path& database, sqlite3* writer, bool durability_full);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

 private:
  static int on_commit(void* self, sqlite3* writer, const char* schema, int wal_pages);
  void run();

  std::filesystem::path database_;
  sqlite3* writer_;
  bool durability_full_;
  std::mutex mutex_;
  std::condition_variable wake_;
  int wal_pages_ = 0;             // frames in the WAL after the last commit
  int checked_upto_ = 0;          // the WAL's size at the last checkpoint (it restarts below it)
  bool checkpointing_ = false;    // the thread is copying pages back now
  std::condition_variable idle_;  // ...and is done
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ato::bridge
