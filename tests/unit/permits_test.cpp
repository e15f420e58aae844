// Push permits (bridge/push/permits.hpp): never more holders than permits, first come first
// served, and a permit given back goes to the longest waiter, not to whoever asks next.
#include "bridge/push/permits.hpp"

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <memory>
#include <vector>

using ato::bridge::Permits;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

struct Record {
  int holding = 0;
  int most_holding = 0;
  std::vector<int> order;  // who got a permit, in turn
  int done = 0;
};

asio::awaitable<void> hold_for(Permits& permits, Record& record, int who,
                               std::chrono::milliseconds how_long) {
  Permits::Held permit = co_await permits.acquire();
  record.order.push_back(who);
  record.most_holding = std::max(record.most_holding, ++record.holding);
  asio::steady_timer timer(co_await asio::this_coro::executor, how_long);
  co_await timer.async_wait(asio::use_awaitable);
  --record.holding;
  ++record.done;
}

}  // namespace

TEST_CASE("no more holders than permits, served in the order they asked") {
  asio::io_context context;
  Permits permits(2);
  Record record;
  for (int who = 0; who < 7; ++who)
    asio::co_spawn(context, hold_for(permits, record, who, 3ms), asio::detached);
  context.run_for(5s);
  CHECK(record.done == 7);
  CHECK(record.most_holding == 2);
  CHECK(record.order == std::vector<int>{0, 1, 2, 3, 4, 5, 6});
  CHECK(permits.available() == 2);
  CHECK(permits.waiting() == 0);
}

TEST_CASE("a permit given back goes to the waiter, not to a later request") {
  asio::io_context context;
  Permits permits(1);
  std::vector<int> order;
  // 0 holds and, having given its permit back, asks again at once: 1 has waited longer.
  asio::co_spawn(
      context,
      [&]() -> asio::awaitable<void> {
        Permits::Held first = co_await permits.acquire();
        order.push_back(0);
        asio::steady_timer timer(co_await asio::this_coro::executor, 2ms);
        co_await timer.async_wait(asio::use_awaitable);
        first.reset();
        Permits::Held again = co_await permits.acquire();
        order.push_back(0);
      },
      asio::detached);
  asio::co_spawn(
      context,
      [&]() -> asio::awaitable<void> {
        Permits::Held permit = co_await permits.acquire();
        order.push_back(1);
      },
      asio::detached);
  context.run_for(5s);
  CHECK(order == std::vector<int>{0, 1, 0});
  CHECK(permits.available() == 1);
}

TEST_CASE("a waiter that goes away before its turn neither keeps nor loses a permit") {
  Permits permits(1);
  {
    asio::io_context context;
    Record record;
    asio::co_spawn(context, hold_for(permits, record, 0, 1h), asio::detached);  // holds past the end
    asio::co_spawn(context, hold_for(permits, record, 1, 1ms), asio::detached);
    context.run_for(20ms);
    CHECK(permits.waiting() == 1);
    CHECK(record.order == std::vector<int>{0});
  }  // the io_context is destroyed with both coroutines: the holder gives its permit back
  CHECK(permits.waiting() == 0);
  CHECK(permits.available() == 1);
}
