#include "bridge/push/permits.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace ato::bridge {
namespace asio = boost::asio;

Permits::Held& Permits::Held::operator=(Held&& other) noexcept {
  if (this != &other) {
    reset();
    owner_ = other.owner_;
    other.owner_ = nullptr;
  }
  return *this;
}

void Permits::Held::reset() {
  if (owner_) owner_->release();
  owner_ = nullptr;
}

asio::awaitable<Permits::Held> Permits::acquire() {
  if (available_ > 0 && waiting_.empty()) {
    --available_;
    co_return Held(this);
  }
  asio::steady_timer wake(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
  Waiter waiter{&wake};
  waiting_.push_back(&waiter);
  // Gone before its turn (the io_context shut down): out of the queue, and a permit handed to it
  // goes on to the next one.
  struct Leave {
    Permits& permits;
    Waiter& waiter;
    bool took = false;
    ~Leave() {
      if (took) return;
      auto& queue = permits.waiting_;
      queue.erase(std::remove(queue.begin(), queue.end(), &waiter), queue.end());
      if (waiter.handed) permits.release();
    }
  } leave{*this, waiter};
  boost::system::error_code ignored;
  while (!waiter.handed) co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  leave.took = true;
  co_return Held(this);
}

void Permits::release() {
  if (waiting_.empty()) {
    ++available_;
    return;
  }
  Waiter* next = waiting_.front();  // the permit passes on directly: no one can overtake it
  waiting_.pop_front();
  next->handed = true;
  next->wake->cancel();
}

}  // namespace ato::bridge
