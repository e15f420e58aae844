// Outbox work on a thread of its own. SQLite's statements, WAL writes and checkpoint fsyncs take
// milliseconds; on the network thread they stalled every TLS read behind them (a 300 KB feed page
// waited ~280 ms for its records while claims and settles ran). A coroutine awaits `run(work)`: the
// work runs on the outbox thread, and the coroutine resumes on its own executor with the result, or
// with the work's exception rethrown.
//
// Group commit: work that queued up while the thread was busy (the settles and claims of several
// push workers, a page of collected events) runs in one transaction when a `Grouper` is given.
// Pages those operations share (the claimable index, the rows next to each other) go to the WAL
// once per group instead of once per operation, and there is one commit instead of several. A
// piece of work completes only after its group committed. When the group cannot commit, nothing
// of it was stored, and each piece runs again alone: so work must be a database operation that can
// be repeated after a rollback (every outbox call is).
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace ato::bridge {

class OutboxThread {
 public:
  // Runs every step in one transaction; true when it committed. False (or a throw) means nothing
  // of it was stored. Outbox::together is the one the bridge uses.
  using Grouper = std::function<bool(const std::vector<std::function<void()>>& steps)>;

  explicit OutboxThread(Grouper grouper = {}, std::size_t max_group = 32);
  ~OutboxThread();  // finishes the work queued so far
  OutboxThread(const OutboxThread&) = delete;
  OutboxThread& operator=(const OutboxThread&) = delete;

  // `work` returns a default-constructible value, or nothing. It is used where it is: pass it in
  // the co_await expression itself (`co_await thread.run([&] { ... })`), whose temporaries live
  // until the coroutine resumes. Only a pointer to it goes through Asio's initiation, a coroutine
  // that copies its arguments: GCC 12 destroys such copies twice when they own memory.
  template <typename Work>
  auto run(Work&& work) {
    return submit(&work, true);
  }
  // Work that commits by itself in small transactions (retention deleting a large backlog of
  // delivered rows) and must not hold one group open meanwhile.
  template <typename Work>
  auto run_alone(Work&& work) {
    return submit(&work, false);
  }

  std::uint64_t groups_committed() const { return groups_committed_; }  // for tests

 private:
  struct Item {
    virtual ~Item() = default;
    virtual void execute() noexcept = 0;  // may run twice: in a group that failed, then alone
    virtual void complete() = 0;          // hands the result to the waiting coroutine
    bool groupable = true;
  };

  template <typename Handler, typename Job>
  struct JobItem final : Item {
    using Result = std::invoke_result_t<Job&>;
    using Stored = std::conditional_t<std::is_void_v<Result>, std::tuple<>, Result>;

    JobItem(Handler h, Job* j, bool group)
        : handler(std::move(h)),
          job(j),
          home(boost::asio::make_work_guard(boost::asio::get_associated_executor(handler))) {
      groupable = group;
    }
    void execute() noexcept override {
      error = nullptr;
      try {
        if constexpr (std::is_void_v<Result>)
          (*job)();
        else
          result = (*job)();
      } catch (...) {
        error = std::current_exception();
      }
    }
    void complete() override {
      auto executor = home.get_executor();
      boost::asio::post(executor, [handler = std::move(handler), error = error, result = std::move(result),
                                   home = std::move(home)]() mutable {
        if constexpr (std::is_void_v<Result>)
          std::move(handler)(error);
        else
          std::move(handler)(error, std::move(result));
      });
    }

    Handler handler;
    Job* job;
    // Keeps the waiting coroutine's io_context from running out of work meanwhile.
    boost::asio::executor_work_guard<boost::asio::associated_executor_t<Handler>> home;
    std::exception_ptr error;
    Stored result{};
  };

  template <typename Result>
  struct CompletionOf {
    using type = void(std::exception_ptr, Result);
  };

  template <typename Job>
  auto submit(Job* job, bool groupable) {
    using Signature = typename CompletionOf<std::invoke_result_t<Job&>>::type;
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>, Signature>(
        [this, groupable](auto handler, Job* job) {
          enqueue(std::make_unique<JobItem<decltype(handler), Job>>(std::move(handler), job, groupable));
        },
        boost::asio::use_awaitable, job);
  }

  void enqueue(std::unique_ptr<Item> item);
  void loop();
  void run_batch(std::vector<std::unique_ptr<Item>>& batch);

  Grouper grouper_;
  std::size_t max_group_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Item>> queue_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> groups_committed_{0};
  std::thread thread_;  // last: starts once everything above exists
};

template <>
struct OutboxThread::CompletionOf<void> {
  using type = void(std::exception_ptr);
};

}  // namespace ato::bridge
