// The fake SAP Cloud ALM: token endpoint, the deployment-management push API (one path per
// outbound service), the transport view people and tests read, and the simulator's own /sim
// endpoints. Thread-safe: the HTTP server calls handle() from several threads.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/event.hpp"
#include "core/net/http.hpp"
#include "simulator/alm/landscape_registry.hpp"
#include "simulator/alm/token_authority.hpp"
#include "simulator/faults.hpp"

namespace ato::sim {

struct AlmSettings {
  std::map<Service, std::string> push_paths;  // defaults: schema/README.md
  int max_package_size = 1000;
  std::optional<std::filesystem::path> journal_file;  // SQLite; none: memory only
  // Refuse events of systems not registered in Landscape Management (MSG_SLIS_NOT_FOUND_IN_LMS).
  bool lms_check = true;
};
AlmSettings default_alm_settings();

// What Cloud ALM shows for one transport, and how it got there.
struct TransportRecord {
  struct Step {
    std::int64_t sequence;
    std::string event_id;
    Service service;
    std::string status;  // the transport's status after this event
    EpochMillis occurred_at;
  };
  std::string id;
  std::string status;
  std::int64_t last_sequence = 0;
  std::vector<Step> history;
};

class CloudAlm {
 public:
  CloudAlm(AlmSettings settings, TokenAuthority& tokens, FaultInjector& faults);
  ~CloudAlm();

  net::HttpResponse handle(const net::HttpRequest& request);

  std::string stats_json() const;
  std::optional<TransportRecord> transport(const std::string& id) const;

 private:
  struct Counters {
    std::int64_t packages_received = 0, events_accepted = 0, events_duplicate = 0, events_rejected = 0,
                 order_violations = 0, unknown_transports = 0, unregistered_systems = 0, auth_failures = 0;
  };
  net::HttpResponse push(const net::HttpRequest& request, Service service, EpochMillis now);
  net::HttpResponse transports(const net::HttpRequest& request, EpochMillis now);
  net::HttpResponse journal(const net::HttpRequest& request) const;
  net::HttpResponse faults_endpoint(const net::HttpRequest& request);
  net::HttpResponse landscape(const net::HttpRequest& request, EpochMillis now);
  void reset();
  void apply_periodic_faults(EpochMillis now);
  bool transport_rejects(const AtoEvent& event) const;  // apply() would reject it (caller holds mutex_)
  // Applies one event to the state (caller holds mutex_). Returns the rejection code, if any.
  std::optional<std::pair<std::string, std::string>> apply(const AtoEvent& event, std::string&& json,
                                                           Counters& counters);

  AlmSettings settings_;
  TokenAuthority& tokens_;
  FaultInjector& faults_;
  const EpochMillis started_at_;
  EpochMillis revoked_epoch_ = 0;

  mutable std::mutex mutex_;
  std::unordered_set<std::string> accepted_ids_;
  std::map<std::string, TransportRecord> transports_;
  std::vector<std::string> journal_;  // accepted events as JSON, in acceptance order
  std::map<Service, Counters> counters_;
  LandscapeRegistry registry_;
  struct Store;
  std::unique_ptr<Store> store_;
};

}  // namespace ato::sim
