#include "bridge/outbox/outbox_thread.hpp"

namespace ato::bridge {

OutboxThread::OutboxThread(Grouper grouper, std::size_t max_group)
    : grouper_(std::move(grouper)),
      max_group_(std::max<std::size_t>(1, max_group)),
      thread_([this] { loop(); }) {}

OutboxThread::~OutboxThread() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void OutboxThread::enqueue(std::unique_ptr<Item> item) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(item));
  }
  wake_.notify_one();
}

void OutboxThread::loop() {
  std::vector<std::unique_ptr<Item>> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is done
      // What queued up meanwhile, up to a group's size; work that must run alone goes by itself.
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
      while (batch.front()->groupable && batch.size() < max_group_ && !queue_.empty() &&
             queue_.front()->groupable) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    run_batch(batch);
    for (auto& item : batch) item->complete();
    batch.clear();
  }
}

void OutboxThread::run_batch(std::vector<std::unique_ptr<Item>>& batch) {
  if (batch.size() > 1 && grouper_) {
    std::vector<std::function<void()>> steps;
    steps.reserve(batch.size());
    for (auto& item : batch) steps.push_back([item = item.get()] { item->execute(); });
    bool committed = false;
    try {
      committed = grouper_(steps);
    } catch (...) {
      committed = false;
    }
    if (committed) {
      ++groups_committed_;
      return;
    }
    // Nothing of the group was stored: each piece again, alone, with its own outcome.
  }
  for (auto& item : batch) item->execute();
}

}  // namespace ato::bridge
