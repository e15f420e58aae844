#include "bridge/collect/collector.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace ato::bridge {
namespace asio = boost::asio;

namespace {

// A page's events up to `up_to` for the outbox; returns the cursor the page reaches. The page is in
// sequence order, so reaching `up_to` means everything of the service up to it was read.
std::int64_t to_batch(const FeedPage& page, std::int64_t cursor, std::int64_t up_to,
                      std::vector<NewEvent>& batch) {
  batch.clear();
  batch.reserve(page.events.size());
  for (const auto& event : page.events) {
    cursor = std::max(cursor, event.sequence);
    if (event.sequence <= up_to) batch.push_back(to_new_event(event));
  }
  // The last page was served with everything up to the head: collected up to there.
  if (!page.next_link) cursor = std::max(cursor, page.head_sequence);
  return std::min(cursor, up_to);
}

}  // namespace

asio::awaitable<EnqueueResult> Collector::store(Service service, const std::vector<NewEvent>* batch,
                                                std::int64_t cursor) {
  const auto stored =
      co_await outbox_thread_.run([&] { return outbox_.enqueue(service, *batch, cursor, hooks_.clock()); });
  co_return stored;
}

void Collector::record(CollectReport& report, const EnqueueResult& stored, std::int64_t cursor) const {
  report.collected += stored.inserted;
  report.duplicates += stored.duplicates;
  report.cursor = cursor;
  if (stored.inserted > 0 && hooks_.stored) hooks_.stored();
}

asio::awaitable<CollectReport> Collector::collect(Service service, std::int64_t up_to) {
  CollectReport report;
  const auto cursor = co_await outbox_thread_.run([&] { return outbox_.cursor(service); });
  if (up_to < kMaxSequence && (!cursor || *cursor >= up_to)) {  // a catch-up with nothing to do
    report.cursor = cursor.value_or(0);
    co_return report;
  }
  if (!cursor && !backfill_) {
    const std::int64_t head = co_await feed_.head(service);
    co_await outbox_thread_.run([&] { return outbox_.enqueue(service, {}, head, hooks_.clock()); });
    spdlog::info(
        "{}: first run: starting at the feed's head, sequence {} (no historic data is sent, as SAP "
        "documents; collect.backfill or --backfill collects from the beginning)",
        to_string(service), head);
    report.cursor = head;
    report.started_at_head = true;
    co_return report;
  }
  if (!cursor)
    spdlog::info("{}: first run with backfill: collecting the feed from the beginning", to_string(service));
  report.cursor = cursor.value_or(0);

  FeedPage page = co_await feed_.first_page(service, report.cursor);
  std::vector<NewEvent> batch;
  for (;;) {
    ++report.pages;
    const std::int64_t page_cursor = to_batch(page, report.cursor, up_to, batch);
    const bool more = page.next_link && page_cursor < up_to && !(hooks_.stopping && hooks_.stopping());
    if (batch.empty() && page_cursor == report.cursor) {  // nothing to store
      if (!more) break;
      page = co_await feed_.next_page(service, *page.next_link);
      continue;
    }
    if (!more) {
      const auto stored = co_await store(service, &batch, page_cursor);
      record(report, stored, page_cursor);
      break;
    }
    // The next page is read while this one is stored: the feed and the outbox work side by side.
    // Pages are still stored one after the other, each with its cursor, so a failure loses nothing.
    const auto executor = co_await asio::this_coro::executor;
    auto [order, store_error, stored, read_error, next] =
        co_await asio::experimental::make_parallel_group(
            asio::co_spawn(executor, store(service, &batch, page_cursor), asio::deferred),
            asio::co_spawn(executor, feed_.next_page(service, *page.next_link), asio::deferred))
            .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    if (store_error) std::rethrow_exception(store_error);
    record(report, stored, page_cursor);
    if (read_error) std::rethrow_exception(read_error);
    page = std::move(next);
  }
  co_return report;
}

}  // namespace ato::bridge
