#include "bridge/collect/collector.hpp"

#include "core/log.hpp"

#include <fmt/format.h>
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

// What a page brings: its events up to `up_to` for the outbox, the highest sequence among them, and
// the cursor the page reaches. The page is in sequence order, so reaching `up_to` means everything of
// the service up to it was read.
struct PageBatch {
  std::int64_t cursor = 0;
  std::int64_t highest_event = 0;  // 0: no event on the page
};

PageBatch to_batch(const FeedPage& page, std::int64_t cursor, std::int64_t up_to,
                   std::vector<NewEvent>& batch) {
  batch.clear();
  batch.reserve(page.events.size());
  PageBatch out;
  for (const auto& event : page.events) {
    cursor = std::max(cursor, event.sequence);
    out.highest_event = std::max(out.highest_event, event.sequence);
    if (event.sequence <= up_to) batch.push_back(to_new_event(event));
  }
  // The last page was served with everything up to the head: collected up to there.
  if (!page.next_link) cursor = std::max(cursor, page.head_sequence);
  out.cursor = std::min(cursor, up_to);
  return out;
}

// The service as `ato-bridge tick` and `ato-bridge cursor` name it.
std::string_view command_name(Service service) {
  return service == Service::Export ? "export" : service == Service::Import ? "import" : "status_change";
}

}  // namespace

asio::awaitable<EnqueueResult> Collector::store(Service service, const std::vector<NewEvent>* batch,
                                                std::int64_t cursor) {
  EnqueueResult stored;
  try {
    stored = co_await store_.store(service, *batch, cursor);
  } catch (const SequenceConflictError& e) {
    throw FeedResetError(fmt::format("{}: {}", label(service), e.what()));
  }
  co_return stored;
}

// "S4D~080 export": the spelling of the engine's job lines, `tick` and `cursor` (one spelling in logs).
std::string Collector::label(Service service) const {
  return fmt::format("{} {}", tenant_, command_name(service));
}

void Collector::record(CollectReport& report, const EnqueueResult& stored, std::int64_t cursor) const {
  report.collected += stored.inserted;
  report.duplicates += stored.duplicates;
  report.dead += stored.dead;
  report.dead_reasons.insert(report.dead_reasons.end(), stored.dead_reasons.begin(),
                             stored.dead_reasons.end());
  report.cursor = cursor;
  if (stored.inserted > 0 && hooks_.stored) hooks_.stored();
}

std::string Collector::next_link(Service service, const FeedPage& page, int pages_read,
                                 std::unordered_set<std::string>& seen) const {
  std::string url = feed_.next_page_url(*page.next_link);
  if (!seen.insert(url).second)
    throw FeedError(
        fmt::format("{}: the ATO feed at {} sent an @odata.nextLink it had sent before in this run "
                    "({}): a loop; the run stops, what was stored stays",
                    label(service), feed_.origin(), url.substr(0, 300)),
        false);
  if (pages_read >= max_pages_)
    throw FeedError(fmt::format("{}: read {} pages of the ATO feed at {} in one run and it still sends "
                                "@odata.nextLink; the run stops here (collect.max_pages_per_run), what was "
                                "stored stays and the next run goes on from there",
                                label(service), pages_read, feed_.origin()),
                    false);
  return url;
}

asio::awaitable<CollectReport> Collector::collect(Service service, std::int64_t up_to,
                                                  CollectReport* progress) {
  CollectReport own;
  CollectReport& report = progress ? *progress : own;
  const auto cursor = co_await store_.cursor(service);
  // A catch-up with nothing to do (without backfill, a service's first run sets its cursor).
  if (up_to < kMaxSequence && (cursor ? *cursor >= up_to : !backfill_)) {
    report.cursor = cursor.value_or(0);
    co_return report;
  }
  if (!cursor && !backfill_) {
    const std::int64_t head = co_await feed_.head(service);  // verified: an event carries it
    co_await store_.store(service, {}, head);
    log_with_fields(
        spdlog::level::info, {{"tenant", tenant_}, {"service", command_name(service)}, {"cursor", head}},
        fmt::format("{}: first run: starting at the feed's head, sequence {} (no historic data is "
                    "sent, as SAP documents; collect.backfill or --backfill collects from the "
                    "beginning)",
                    label(service), head));
    report.cursor = head;
    report.started_at_head = true;
    co_return report;
  }
  // Said once: an empty feed leaves the service without a cursor, and each run would say it again.
  if (!cursor && backfill_announced_.insert(service).second)
    log_with_fields(spdlog::level::info, {{"tenant", tenant_}, {"service", command_name(service)}},
                    label(service) + ": first run with backfill: collecting the feed from the beginning");
  report.cursor = cursor.value_or(0);

  FeedPage page = co_await feed_.first_page(service, report.cursor);
  std::vector<NewEvent> batch;
  std::unordered_set<std::string> seen_links;
  for (;;) {
    ++report.pages;
    if (page.head_sequence < report.cursor)
      throw FeedResetError(fmt::format(
          "{}: the ATO feed at {} says its head is sequence {}, below this service's cursor {}: the feed was "
          "reset or replaced, or another system answers at the tenant's feed_url. Nothing is skipped or "
          "collected "
          "twice on a guess: check the feed, then set the cursor with `ato-bridge cursor set --tenant {} {} "
          "N` "
          "(with the bridge stopped)",
          label(service), feed_.origin(), page.head_sequence, report.cursor, tenant_, command_name(service)));
    const PageBatch reached = to_batch(page, report.cursor, up_to, batch);
    // A head beyond every event seen would skip whatever lies between: believed only when verified.
    // Unverified, the page's events are still stored, with the cursor at the last of them.
    if (reached.cursor > std::max(report.cursor, reached.highest_event)) {
      std::exception_ptr unverified;
      try {
        co_await feed_.verify_head(reached.cursor);
      } catch (const FeedError&) {
        unverified = std::current_exception();
      }
      if (unverified) {
        const std::int64_t verified = std::max(report.cursor, std::min(reached.highest_event, up_to));
        if (!batch.empty()) record(report, co_await store(service, &batch, verified), verified);
        std::rethrow_exception(unverified);
      }
    }
    const bool more = page.next_link && reached.cursor < up_to && !(hooks_.stopping && hooks_.stopping());
    std::string link;
    std::exception_ptr refused;  // a link not to follow: this page is still stored, then the run fails
    try {
      if (more) link = next_link(service, page, report.pages, seen_links);
    } catch (const FeedError&) {
      refused = std::current_exception();
    }
    if (refused) {
      if (!batch.empty() || reached.cursor > report.cursor)
        record(report, co_await store(service, &batch, reached.cursor), reached.cursor);
      std::rethrow_exception(refused);
    }
    if (batch.empty() && reached.cursor == report.cursor) {  // nothing to store
      if (!more) break;
      page = co_await feed_.next_page(service, link);
      continue;
    }
    if (!more) {
      const auto stored = co_await store(service, &batch, reached.cursor);
      record(report, stored, reached.cursor);
      break;
    }
    // The next page is read while this one is stored: the feed and the outbox work side by side.
    // Pages are still stored one after the other, each with its cursor, so a failure loses nothing.
    const auto executor = co_await asio::this_coro::executor;
    auto [order, store_error, stored, read_error, next] =
        co_await asio::experimental::make_parallel_group(
            asio::co_spawn(executor, store(service, &batch, reached.cursor), asio::deferred),
            asio::co_spawn(executor, feed_.next_page(service, link), asio::deferred))
            .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    if (store_error) std::rethrow_exception(store_error);
    record(report, stored, reached.cursor);
    if (read_error) std::rethrow_exception(read_error);
    page = std::move(next);
  }
  co_return report;
}

}  // namespace ato::bridge
