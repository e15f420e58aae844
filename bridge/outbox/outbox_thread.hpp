// Outbox work on a thread of its own. SQLite's statements, WAL writes and checkpoint fsyncs take
// milliseconds; on the network thread they stalled every TLS read behind them (a 300 KB feed page
// waited ~280 ms for its records while claims and settles ran). A coroutine awaits `run(work)`: the
// work runs on the outbox thread, and the coroutine resumes on its own executor with the result, or
// with the work's exception rethrown.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <tuple>
#include <type_traits>
#include <utility>

namespace ato::bridge {

class OutboxThread {
 public:
  OutboxThread() : pool_(1) {}
  ~OutboxThread() { pool_.join(); }
  OutboxThread(const OutboxThread&) = delete;
  OutboxThread& operator=(const OutboxThread&) = delete;

  // `work` returns a default-constructible value, or nothing. It is used where it is: pass it in
  // the co_await expression itself (`co_await thread.run([&] { ... })`), whose temporaries live
  // until the coroutine resumes. Only a pointer to it goes through Asio's initiation, a coroutine
  // that copies its arguments: GCC 12 destroys such copies twice when they own memory.
  template <typename Work>
  auto run(Work&& work) {
    using Job = std::remove_reference_t<Work>;
    using Result = std::invoke_result_t<Job&>;
    Job* job = &work;
    if constexpr (std::is_void_v<Result>) {
      return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>, void(std::exception_ptr)>(
          [this](auto handler, Job* job) {
            start(std::move(handler), [job] {
              (*job)();
              return std::tuple<>{};
            });
          },
          boost::asio::use_awaitable, job);
    } else {
      return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>,
                                         void(std::exception_ptr, Result)>(
          [this](auto handler, Job* job) { start(std::move(handler), [job] { return (*job)(); }); },
          boost::asio::use_awaitable, job);
    }
  }

 private:
  // Runs `work` on the pool, then completes `handler` on the handler's own executor, which is kept
  // busy meanwhile so its io_context does not run out of work.
  template <typename Handler, typename Work>
  void start(Handler handler, Work work) {
    auto home = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
    boost::asio::post(
        pool_, [handler = std::move(handler), work = std::move(work), home = std::move(home)]() mutable {
          std::exception_ptr error;
          std::invoke_result_t<Work&> result{};
          try {
            result = work();
          } catch (...) {
            error = std::current_exception();
          }
          auto executor = home.get_executor();
          boost::asio::post(executor, [handler = std::move(handler), error, result = std::move(result),
                                       home = std::move(home)]() mutable {
            if constexpr (std::is_same_v<decltype(result), std::tuple<>>)
              std::move(handler)(error);
            else
              std::move(handler)(error, std::move(result));
          });
        });
  }

  boost::asio::thread_pool pool_;
};

}  // namespace ato::bridge
