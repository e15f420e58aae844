// The outbox has one door: one thread uses it at a time (the running bridge's outbox thread; a
// command's main thread). Its operations nest (a group of them in together()), so a depth is kept
// for the thread inside. A second thread arriving meanwhile is a bug in the caller, not a reason to
// wait: it gets std::logic_error at once, which the tests would see.
#pragma once

#include <atomic>
#include <stdexcept>
#include <thread>

namespace ato::bridge {

class OneUser {
 public:
  class Inside {
   public:
    explicit Inside(OneUser& door) : door_(door) { door_.enter(); }
    ~Inside() { door_.leave(); }
    Inside(const Inside&) = delete;
    Inside& operator=(const Inside&) = delete;

   private:
    OneUser& door_;
  };

 private:
  void enter() {
    const auto me = std::this_thread::get_id();
    std::thread::id nobody;
    if (owner_.load(std::memory_order_acquire) == me) {
      ++depth_;
      return;
    }
    if (!owner_.compare_exchange_strong(nobody, me, std::memory_order_acquire))
      throw std::logic_error(
          "outbox used by two threads at once: every use goes through the outbox thread "
          "(bridge/outbox/outbox_thread.hpp)");
    depth_ = 1;
  }
  void leave() {
    if (--depth_ == 0) owner_.store(std::thread::id{}, std::memory_order_release);
  }

  std::atomic<std::thread::id> owner_{};
  int depth_ = 0;  // only the owner touches it
};

}  // namespace ato::bridge
