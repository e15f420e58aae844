// The fake ATO's event feed (OData v4, Basic auth of a communication user) and its /sim/ato
// endpoints. Events come from a source (the landscape generator, or a recording being replayed)
// and from injection; the feed assigns or keeps their sequences and serves them in order, each page
// stating the head sequence (@ato.headSequence). Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/event.hpp"
#include "core/lms.hpp"
#include "core/net/http.hpp"
#include "core/secret.hpp"
#include "simulator/faults.hpp"

namespace ato::sim {

inline constexpr std::string_view kFeedPath = "/sap/opu/odata4/ato/feed/v1/Events";
// The landscape's systems and their roles, beside the events (schema/json/ato-systems.schema.json).
inline constexpr std::string_view kSystemsPath = "/sap/opu/odata4/ato/feed/v1/Systems";
inline constexpr std::string_view kUpgradeMessage =
    "Development function currently not available due to upgrade preparation";

// Where events come from. `wall_now` is the real clock; each source maps it to its own time.
class EventSource {
 public:
  virtual ~EventSource() = default;
  // Events due by now, in order. keeps_sequences(): their sequences are final (replay).
  virtual std::vector<AtoEvent> due(EpochMillis wall_now) = 0;
  virtual bool done() const = 0;
  virtual bool keeps_sequences() const = 0;
  virtual std::string describe() const = 0;
  // The systems whose events it produces (the landscape's, or those a recording names).
  virtual std::vector<SystemRef> systems() const = 0;
};

struct FeedSettings {
  std::string base_url;  // e.g. https://127.0.0.1:8443 (for nextLink)
  std::string user;
  Secret password;
  int default_page_size = 500;
  int max_page_size = 5000;
  std::vector<AtoSystem> systems;  // GET kSystemsPath
};

class AtoFeed {
 public:
  AtoFeed(FeedSettings settings, std::unique_ptr<EventSource> source, FaultInjector& faults);
  net::HttpResponse handle(const net::HttpRequest& request);
  std::int64_t head() const;
  std::string describe_source() const { return source_->describe(); }

 private:
  void advance(EpochMillis wall_now);  // caller holds mutex_
  void append(AtoEvent event);         // caller holds mutex_
  net::HttpResponse feed(const net::HttpRequest& request);
  net::HttpResponse inject(const net::HttpRequest& request);
  net::HttpResponse systems(const net::HttpRequest& request);
  net::HttpResponse stats();
  net::HttpResponse history();
  bool authorized(const net::HttpRequest& request) const;

  FeedSettings settings_;
  std::unique_ptr<EventSource> source_;
  FaultInjector& faults_;
  const EpochMillis started_at_;
  mutable std::mutex mutex_;
  std::vector<AtoEvent> events_;   // ascending sequence
  std::vector<std::string> json_;  // each event as served
  std::int64_t counts_[3] = {0, 0, 0};
};

}  // namespace ato::sim
