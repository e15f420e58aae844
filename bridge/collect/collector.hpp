// One collection run of an event service: read the feed after the service's cursor, page by page
// until no @odata.nextLink, and store each page's events with the new cursor in one outbox
// transaction, so a crash between pages loses nothing and collects nothing twice. The next page is
// read while one is stored. A service's first
// run starts at the feed's head (SAP sends no historic data) unless backfill is configured.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <set>
#include <unordered_set>

#include <optional>

#include "bridge/collect/feed_client.hpp"
#include "bridge/outbox/types.hpp"

namespace ato::bridge {

// Where a collector's pages go and its cursors come from: for the bridge the outbox, on the outbox
// thread (bridge/runtime/engine/collection_jobs.cpp wires it). The collector itself knows no outbox.
struct CollectedStore {
  // A page's events (all of `service`) and the cursor they reach, in one transaction. Throws as
  // Outbox::enqueue does (SequenceConflictError: other content under a stored sequence).
  std::function<boost::asio::awaitable<EnqueueResult>(Service service, const std::vector<NewEvent>& events,
                                                      std::int64_t cursor)>
      store;
  std::function<boost::asio::awaitable<std::optional<std::int64_t>>(Service service)> cursor;
};

struct CollectReport {
  int pages = 0;
  std::int64_t collected = 0;   // newly stored
  std::int64_t duplicates = 0;  // already stored (a re-read after a crash)
  std::int64_t dead = 0;        // stored as dead letters at ingestion (EVENT_ID_CONFLICT, EVENT_TOO_LARGE)
  std::vector<std::string> dead_reasons;
  std::int64_t cursor = 0;
  bool started_at_head = false;  // first run without backfill: history skipped
};

// Pages one run may follow before it stops with an error: a feed whose nextLinks never end (or loop
// through ever new URLs) cannot keep a run busy forever. 10,000 pages of 1,000 events is ten million.
inline constexpr int kDefaultMaxPagesPerRun = 10'000;

struct CollectorHooks {
  std::function<EpochMillis()> clock;
  std::function<void()> stored;    // after each stored page: pushers may have work
  std::function<bool()> stopping;  // stop between pages (shutdown)
};

class Collector {
 public:
  // Collects tenant `tenant`'s feed into `store` (the bridge's stores on the outbox thread, so the
  // feed's reads never wait behind SQLite).
  Collector(std::string tenant, FeedClient& feed, CollectedStore store, bool backfill, CollectorHooks hooks,
            int max_pages_per_run = kDefaultMaxPagesPerRun)
      : tenant_(std::move(tenant)),
        feed_(feed),
        store_(std::move(store)),
        backfill_(backfill),
        max_pages_(max_pages_per_run),
        hooks_(std::move(hooks)) {}

  // Throws FeedError (the feed; FeedResetError when its head is below the stored cursor) or
  // OutboxError / DiskTroubleError (storing); what was stored stays, with the cursor it reached.
  // The cursor moves to a page's head only once the feed served an event with that sequence; a
  // nextLink seen before in the run, or more than max_pages_per_run pages, end the run with an error.
  // `up_to` bounds a catch-up: events above it are left for the next run, and the cursor stops
  // there. A catch-up of a service at `up_to` already does nothing, nor does one of a service that has
  // no cursor yet unless history is collected (backfill: it collects from the beginning up to `up_to`).
  // `progress`, when given, is the report as it grows: after a failure it still says what the run
  // stored before it failed (those events are collected, and counted as such).
  boost::asio::awaitable<CollectReport> collect(Service service, std::int64_t up_to = kMaxSequence,
                                                CollectReport* progress = nullptr);
  // With backfill, a service without a cursor has all of the feed still to collect (sequence 0).
  bool collects_history() const { return backfill_; }

 private:
  // Stores a page's events with the cursor it reaches.
  boost::asio::awaitable<EnqueueResult> store(Service service, const std::vector<NewEvent>* batch,
                                              std::int64_t cursor);
  void record(CollectReport& report, const EnqueueResult& stored, std::int64_t cursor) const;
  std::string label(Service service) const;  // "S4D~080 EXPORT", for messages

  std::string tenant_;
  FeedClient& feed_;
  CollectedStore store_;
  // The next page's URL, refused when the run saw it before or has read too many pages.
  std::string next_link(Service service, const FeedPage& page, int pages_read,
                        std::unordered_set<std::string>& seen) const;

  bool backfill_;
  std::set<Service> backfill_announced_;  // services whose "first run with backfill" was logged
  int max_pages_;
  CollectorHooks hooks_;
};

}  // namespace ato::bridge
