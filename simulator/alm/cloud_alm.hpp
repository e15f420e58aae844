// The fake SAP Cloud ALM: token endpoint, the deployment-management push API (one path per
// outbound service), the transport view people and tests read, and the simulator's own /sim
// endpoints. Thread-safe: the HTTP server calls handle() from several threads.
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>
#include <boost/uuid/uuid.hpp>
#include <boost/uuid/uuid_hash.hpp>

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/event.hpp"
#include "core/net/http.hpp"
#include "simulator/alm/features.hpp"
#include "simulator/alm/landscape_registry.hpp"
#include "simulator/alm/token_authority.hpp"
#include "simulator/faults.hpp"

namespace ato::sim {

struct AlmSettings {
  std::map<Service, std::string> push_paths;  // defaults: schema/README.md
  int max_package_size = 1000;
  std::optional<std::filesystem::path> journal_file;  // SQLite; none: memory only
  // The newest accepted events /sim/journal can serve; older ones are dropped from memory (a load
  // test at 60k events/s would otherwise grow by ~130 GB an hour). 0: keep all.
  std::size_t journal_memory_events = 1'000'000;
  // Refuse events of systems not registered in Landscape Management (MSG_SLIS_NOT_FOUND_IN_LMS).
  bool lms_check = true;
};
AlmSettings default_alm_settings();

// What Cloud ALM shows for one transport, and how it got there. Its tenants send independently
// (schema/README.md, "Order"): the status is that of the latest status-changing event by what
// happened (occurredAt, then the kind of step), whatever order the tenants' events arrived in.
struct TransportRecord {
  struct Step {
    std::int64_t sequence;
    boost::uuids::uuid event_id;  // 16 bytes, not a string on the heap per accepted event
    Service service;
    std::string status;  // the transport's status after this event
    EpochMillis occurred_at;
    std::string source;  // the sending tenant, SID~client
  };
  // Orders status-changing events by what happened: when, then which step of an import came first.
  struct StatusKey {
    EpochMillis occurred_at = 0;
    int step = 0;
    std::string source;
    std::int64_t sequence = 0;
    auto operator<=>(const StatusKey&) const = default;
  };
  std::string id;
  std::string title;   // from its export
  std::string source;  // the development tenant that released it
  EpochMillis released_at = 0;
  std::string status;  // empty until an event that sets one arrived
  std::optional<StatusKey> status_key;
  bool exported = false;  // its export arrived: until then Cloud ALM lists it nowhere
  std::vector<std::pair<std::string, std::int64_t>> last_sequence_by_source;  // per tenant
  std::vector<Step> history;
};

class CloudAlm {
 public:
  CloudAlm(AlmSettings settings, TokenAuthority& tokens, FaultInjector& faults);
  ~CloudAlm();

  net::HttpResponse handle(const net::HttpRequest& request);
  // The listener at an X.509 key's certurl: mutual TLS already proved the client (the handshake
  // required the key's certificate); only the token endpoint is there.
  net::HttpResponse handle_certified(const net::HttpRequest& request);

  std::string stats_json() const;
  std::optional<TransportRecord> transport(const std::string& id) const;

  // Deploying a feature asks the fake ATO to import its transports (both halves in one process).
  struct DeployTarget {
    // The role (test, production) of a system the ATO landscape has; nullopt: none such.
    std::function<std::optional<std::string>(const std::string& system)> role_of;
    // Imports the transports into `system`; an error in words, or empty.
    std::function<std::string(const std::vector<std::string>& transports, const std::string& system)> deploy;
  };
  void set_deploy_target(DeployTarget target) { deploy_target_ = std::move(target); }

 private:
  struct Counters {
    std::int64_t packages_received = 0, events_accepted = 0, events_duplicate = 0, events_rejected = 0,
                 order_violations = 0, unknown_transports = 0, unregistered_systems = 0, auth_failures = 0;
  };
  net::HttpResponse route(const net::HttpRequest& request);
  net::HttpResponse push(const net::HttpRequest& request, Service service, EpochMillis now);
  net::HttpResponse transports(const net::HttpRequest& request);  // /sim/transports: ours, with history
  // SAP's public Features API, /api/calm-features/v1 (simulator/alm/features_api.cpp).
  net::HttpResponse features_api(const net::HttpRequest& request, EpochMillis now);
  net::HttpResponse features_read(const net::HttpRequest& request, std::string_view set,
                                  const std::optional<std::string>& key);
  net::HttpResponse create_feature(const net::HttpRequest& request, EpochMillis now);
  net::HttpResponse change_feature(const net::HttpRequest& request, const std::string& uuid, EpochMillis now);
  net::HttpResponse assign_transport(const net::HttpRequest& request, EpochMillis now);
  net::HttpResponse deploy_feature(const net::HttpRequest& request, const std::string& uuid, EpochMillis now);
  std::string effective_status(const Feature& feature) const;  // caller holds mutex_
  net::HttpResponse journal(const net::HttpRequest& request) const;
  net::HttpResponse faults_endpoint(const net::HttpRequest& request);
  net::HttpResponse landscape(const net::HttpRequest& request, EpochMillis now);
  void reset();
  // Forgets a system's events: the transports it exported, and its steps in others (a load test's
  // synthetic system, DELETE /sim/transports?system=). Returns how many transports and events went.
  std::pair<std::size_t, std::size_t> drop_system(const std::string& system);
  void apply_periodic_faults(EpochMillis now);
  bool transport_rejects(const AtoEvent& event) const;  // apply() would reject it (caller holds mutex_)
  // Applies one event to the state (caller holds mutex_). Returns the rejection code, if any.
  // `event_uuid` is uuid_of(event.event_id), which the caller has read already.
  std::optional<std::pair<std::string, std::string>> apply(AtoEvent&& event,
                                                           const boost::uuids::uuid& event_uuid,
                                                           Counters& counters);

  AlmSettings settings_;
  TokenAuthority& tokens_;
  FaultInjector& faults_;
  const EpochMillis started_at_;
  EpochMillis revoked_epoch_ = 0;

  // eventIds accepted so far, as UUIDs (every eventId is a validated one) in an open-addressing
  // set: no string and no node per entry. The node-based set of strings was the largest single
  // item of a push's time (5%, a cache miss or two per lookup).

  mutable std::mutex mutex_;
  boost::unordered_flat_set<boost::uuids::uuid, boost::hash<boost::uuids::uuid>> accepted_ids_;
  // By id, in an open-addressing map: one cache miss per lookup where a tree of 100,000
  // transports took several (perf: ~5% of a push's cycles). Listings sort what they show.
  boost::unordered_flat_map<std::string, TransportRecord> transports_;
  // Accepted events in acceptance order, serialized when read: a push does not write JSON for them
  // (re-serializing each event was 4% of a push's time). A deque, not a vector: growing a vector of
  // a million events moved them all at once, and that push stalled for ~0.5 s (bench/e2e.sh).
  std::deque<AtoEvent> journal_;
  std::size_t journal_dropped_ = 0;  // accepted events before journal_.front(), no longer in memory
  std::map<Service, Counters> counters_;
  LandscapeRegistry registry_;
  FeatureStore features_;
  DeployTarget deploy_target_;
  struct Store;
  std::unique_ptr<Store> store_;
};

}  // namespace ato::sim
