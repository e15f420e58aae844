// At most `count` holders at once, for coroutines on one io_context (so no locking). The bridge
// runs two push workers per Cloud ALM connection and lets a worker hold a permit only while its
// package is on the wire: the other worker sends while this one settles the answer in the outbox.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <deque>

namespace ato::bridge {

class Permits {
 public:
  // A permit while it lives; an empty one (default) holds nothing.
  class Held {
   public:
    Held() = default;
    explicit Held(Permits* owner) : owner_(owner) {}
    Held(Held&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
    Held& operator=(Held&& other) noexcept;
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    ~Held() { reset(); }
    void reset();  // gives the permit back now

   private:
    Permits* owner_ = nullptr;
  };

  explicit Permits(std::size_t count) : available_(count) {}
  Permits(const Permits&) = delete;
  Permits& operator=(const Permits&) = delete;

  // Waits, first come first served, until a permit is free.
  boost::asio::awaitable<Held> acquire();
  std::size_t available() const { return available_; }
  std::size_t waiting() const { return waiting_.size(); }

 private:
  struct Waiter {
    boost::asio::steady_timer* wake;
    bool handed = false;  // release() passed its permit to this waiter
  };
  void release();

  std::size_t available_;
  std::deque<Waiter*> waiting_;
};

}  // namespace ato::bridge
