// The outbox thread's group commit: work that queued up while the thread was busy shares one
// transaction, yet every piece completes with its own result or error, and nothing is stored twice
// or lost when a group cannot commit.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <array>
#include <future>

#include "bridge/outbox/outbox.hpp"
#include "bridge/outbox/outbox_thread.hpp"
#include "core/sqlite.hpp"
#include "tests/support/process.hpp"

using namespace ato;
using namespace ato::bridge;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {
// The tenant every event of this file belongs to (schema/outbox/009).
const std::string kTenant = "default";

constexpr EpochMillis kT0 = 1'800'000'000'000;
constexpr int kPieces = 8;

NewEvent event(std::int64_t sequence, std::size_t payload_bytes = 40) {
  char id[40];
  std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012lld", static_cast<long long>(sequence));
  return NewEvent{id,        Service::Export,
                  sequence,  "S4DK9" + std::to_string(10000 + sequence),
                  "S4D~080", std::string(payload_bytes, 'x')};
}

// Holds the outbox thread until every piece of work is queued behind it, so they form one group.
struct Gate {
  std::promise<void> open;
  std::shared_future<void> opened = open.get_future().share();
  std::promise<void> enter;
  std::future<void> entered = enter.get_future();  // the outbox thread is inside the held job
  bool held = false;  // the outbox thread really waited here (and did not time out)
};

asio::awaitable<void> hold(OutboxThread* thread, Gate* gate) {
  co_await thread->run([gate] {
    gate->enter.set_value();
    gate->held = gate->opened.wait_for(10s) == std::future_status::ready;
  });
}

struct Stored {
  EnqueueResult result;
  std::string error;  // what() of the exception the piece completed with, if any
  int completions = 0;
};

asio::awaitable<void> store(OutboxThread* thread, Outbox* outbox, std::int64_t sequence, std::size_t payload,
                            Stored* out) {
  try {
    out->result = co_await thread->run(
        [&] { return outbox->enqueue(kTenant, Service::Export, {event(sequence, payload)}, sequence, kT0); });
  } catch (const std::exception& e) {
    out->error = e.what();
  }
  ++out->completions;
}

// Runs `pieces` queued behind a held outbox thread; returns once all completed.
template <typename Start>
void run_behind_gate(OutboxThread& thread, Start start) {
  asio::io_context io;
  Gate gate;
  asio::co_spawn(io, hold(&thread, &gate), asio::detached);
  // The pieces queue only once the outbox thread is inside the held job: a thread that woke late
  // would otherwise take the first pieces into the held job's batch, and they would form two groups.
  asio::post(io, [&] {
    if (gate.entered.wait_for(10s) != std::future_status::ready) return;  // gate.held stays false
    start(io);
    asio::post(io, [&] { gate.open.set_value(); });  // after every piece above queued its work
  });
  io.run_for(20s);
  CHECK(gate.held);
}

OutboxOptions options_in(const test::TempDir& dir, std::int64_t max_size = 0) {
  OutboxOptions options;
  options.path = dir / "outbox.db";
  options.max_size_bytes = max_size;
  return options;
}

}  // namespace

TEST_CASE("work queued while the outbox thread is busy commits as one group, each with its own result") {
  test::TempDir dir;
  Outbox outbox(options_in(dir));
  OutboxThread thread([&](const auto& steps) { return outbox.together(steps); });
  std::array<Stored, kPieces> stored;
  run_behind_gate(thread, [&](asio::io_context& io) {
    for (int i = 0; i < kPieces; ++i)
      asio::co_spawn(io, store(&thread, &outbox, i + 1, 40, &stored[i]), asio::detached);
  });
  CHECK(thread.groups_committed() == 1);
  for (const auto& s : stored) {
    CHECK(s.completions == 1);
    CHECK(s.error.empty());
    CHECK(s.result.inserted == 1);
  }
  CHECK(outbox.counts().total(EventState::Pending) == kPieces);
  CHECK(outbox.cursor(kTenant, Service::Export) == kPieces);
}

TEST_CASE("a piece that fails in a group fails alone: the others are stored, it left no trace") {
  test::TempDir dir;
  Outbox outbox(options_in(dir, 256 * 1024));  // a 256 KiB outbox stands in for a small filesystem
  OutboxThread thread([&](const auto& steps) { return outbox.together(steps); });
  std::array<Stored, kPieces> stored;
  constexpr int kTooLarge = 3;  // its 1 MiB payload cannot fit
  run_behind_gate(thread, [&](asio::io_context& io) {
    for (int i = 0; i < kPieces; ++i)
      asio::co_spawn(io, store(&thread, &outbox, i + 1, i == kTooLarge ? 1 << 20 : 40, &stored[i]),
                     asio::detached);
  });
  for (int i = 0; i < kPieces; ++i) {
    CAPTURE(i);
    CHECK(stored[i].completions == 1);
    if (i == kTooLarge) {
      CHECK(stored[i].error.find("outbox") != std::string::npos);
      CHECK(stored[i].result.inserted == 0);
    } else {
      CHECK(stored[i].error.empty());
      CHECK(stored[i].result.inserted == 1);
    }
  }
  CHECK(outbox.counts().total(EventState::Pending) == kPieces - 1);
  CHECK_FALSE(outbox.id_of_event(event(kTooLarge + 1).event_id, kTooLarge + 1).has_value());
}

TEST_CASE("when a group cannot commit, each piece runs again alone and completes once") {
  for (bool throws : {false, true}) {
    CAPTURE(throws);
    std::array<int, kPieces> runs{};
    // Runs the pieces, then fails as a COMMIT would: nothing of the group counts.
    OutboxThread thread([&](const std::vector<std::function<void()>>& steps) {
      for (const auto& step : steps) step();
      if (throws) throw std::runtime_error("commit failed");
      return false;
    });
    std::array<int, kPieces> results{};
    std::array<int, kPieces> completions{};
    auto piece = [](OutboxThread* thread, int* runs, int* result, int* completions) -> asio::awaitable<void> {
      *result = co_await thread->run([runs] { return ++*runs; });
      ++*completions;
    };
    run_behind_gate(thread, [&](asio::io_context& io) {
      for (int i = 0; i < kPieces; ++i)
        asio::co_spawn(io, piece(&thread, &runs[i], &results[i], &completions[i]), asio::detached);
    });
    CHECK(thread.groups_committed() == 0);
    for (int i = 0; i < kPieces; ++i) {
      CAPTURE(i);
      CHECK(runs[i] == 2);         // once in the group, once alone
      CHECK(results[i] == 2);      // the result is the one of the run that counted
      CHECK(completions[i] == 1);  // and it arrived once
    }
  }
}

TEST_CASE("work that must run alone is never grouped") {
  test::TempDir dir;
  Outbox outbox(options_in(dir));
  OutboxThread thread([&](const auto& steps) { return outbox.together(steps); });
  int alone_completions = 0;
  auto alone = [](OutboxThread* thread, int* completions) -> asio::awaitable<void> {
    co_await thread->run_alone([] {});
    ++*completions;
  };
  run_behind_gate(thread, [&](asio::io_context& io) {
    for (int i = 0; i < kPieces; ++i) asio::co_spawn(io, alone(&thread, &alone_completions), asio::detached);
  });
  CHECK(alone_completions == kPieces);
  CHECK(thread.groups_committed() == 0);
}

TEST_CASE("a transaction inside a transaction is a savepoint: a throw undoes only its own part") {
  test::TempDir dir;
  ato::sqlite::Database db(dir / "nested.db", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  db.exec("CREATE TABLE t (v INTEGER)");
  {
    ato::sqlite::Transaction outer(db);
    db.exec("INSERT INTO t VALUES (1)");
    try {
      ato::sqlite::Transaction inner(db);
      db.exec("INSERT INTO t VALUES (2)");
      throw std::runtime_error("the inner part fails");
    } catch (const std::runtime_error&) {
    }
    {
      ato::sqlite::Transaction inner(db);
      db.exec("INSERT INTO t VALUES (3)");
      inner.commit();
    }
    CHECK(db.in_transaction());
    outer.commit();
  }
  CHECK_FALSE(db.in_transaction());
  CHECK(db.query_int("SELECT group_concat(v) = '1,3' FROM t") == 1);
  {
    ato::sqlite::Transaction outer(db);
    ato::sqlite::Transaction inner(db);
    db.exec("INSERT INTO t VALUES (4)");
    inner.commit();
  }  // the outer one never committed: its savepoint's work goes with it
  CHECK(db.query_int("SELECT count(*) FROM t") == 2);
}
