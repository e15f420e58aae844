#include "bridge/collect/collector.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace ato::bridge {
namespace asio = boost::asio;

asio::awaitable<CollectReport> Collector::collect(Service service) {
  CollectReport report;
  const auto cursor = co_await outbox_thread_.run([&] { return outbox_.cursor(service); });
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
    batch.clear();
    batch.reserve(page.events.size());
    std::int64_t page_cursor = report.cursor;
    for (const auto& event : page.events) {
      batch.push_back(to_new_event(event));
      page_cursor = std::max(page_cursor, event.sequence);
    }
    // The last page was served with everything up to the head: collected up to there.
    if (!page.next_link) page_cursor = std::max(page_cursor, page.head_sequence);
    if (!batch.empty() || page_cursor != report.cursor) {
      const auto stored = co_await outbox_thread_.run(
          [&] { return outbox_.enqueue(service, batch, page_cursor, hooks_.clock()); });
      report.collected += stored.inserted;
      report.duplicates += stored.duplicates;
      report.cursor = page_cursor;
      if (stored.inserted > 0 && hooks_.stored) hooks_.stored();
    }
    if (!page.next_link || (hooks_.stopping && hooks_.stopping())) break;
    page = co_await feed_.next_page(service, *page.next_link);
  }
  co_return report;
}

}  // namespace ato::bridge
