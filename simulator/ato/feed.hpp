// The fake ATO: one event feed per tenant (OData v4, Basic auth of the tenant's communication
// user), as SAP's guide sets up SAP_COM_0690 per tenant. Tenant `S4D~080` answers under
// /tenants/S4D~080/sap/opu/odata4/ato/feed/v1/Events with its own user, password and `sequence`
// numbering; each page states the tenant's head (@ato.headSequence). Events come from a source (the
// landscape generator, or a recording replayed) and from injection, and go to the tenant of their
// `source` system. A tenant whose arrangement is not active yet records nothing: what happens
// before it is activated never reaches Cloud ALM (SAP: no historic data). Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/event.hpp"
#include "core/lms.hpp"
#include "core/net/http.hpp"
#include "core/secret.hpp"
#include "simulator/faults.hpp"

namespace ato::sim {

// Below a tenant's prefix (tenant_prefix()).
inline constexpr std::string_view kFeedPath = "/sap/opu/odata4/ato/feed/v1/Events";
// The landscape's systems and their roles, beside the events (schema/json/ato-systems.schema.json).
inline constexpr std::string_view kSystemsPath = "/sap/opu/odata4/ato/feed/v1/Systems";
// The service's $metadata (EDMX), beside the entity sets.
inline constexpr std::string_view kMetadataPath = "/sap/opu/odata4/ato/feed/v1/$metadata";
// Where a tenant's feed lives: /tenants/<SID~client>.
std::string tenant_prefix(std::string_view tenant);
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
  // The time its history starts at (the landscape clock's start, a recording's first event).
  virtual EpochMillis start_time() const = 0;
  // True while the landscape is being upgraded (SAP: no export or import then).
  virtual bool upgrading(EpochMillis /*wall_now*/) const { return false; }
};

// When a tenant's arrangement is activated: from the start, at a time of the source's clock (events
// that happened before are never recorded), or only by POST /sim/ato/tenants/<name>/activate.
struct Activation {
  enum class Kind { FromStart, At, OnRequest } kind = Kind::FromStart;
  EpochMillis at = 0;  // Kind::At
};

// One tenant's feed settings.
struct TenantSettings {
  SystemRef system;
  std::string user;
  Secret password;
  Activation activation;
};

struct FeedSettings {
  std::string base_url;  // e.g. https://127.0.0.1:8443 (for nextLink)
  std::vector<TenantSettings> tenants;
  int default_page_size = 500;
  int max_page_size = 5000;
  std::vector<AtoSystem> systems;  // GET kSystemsPath of every tenant: the landscape
};

class AtoFeed {
 public:
  AtoFeed(FeedSettings settings, std::unique_ptr<EventSource> source, FaultInjector& faults);
  ~AtoFeed();
  net::HttpResponse handle(const net::HttpRequest& request);
  std::int64_t head(const std::string& tenant) const;
  // The role of a tenant's system (development, test, production); nullopt: no such tenant.
  std::optional<std::string> role_of(const std::string& system) const;
  // A deploy from Cloud ALM: each transport (released by a development tenant of this landscape)
  // is queued, run and imported in `system`, as events of that tenant. An error in words, or empty.
  std::string deploy(const std::vector<std::string>& transports, const std::string& system);
  // Cloud ALM's call of a development tenant's inbound "create transports" service (a newer
  // SAP_COM_0690): a new transport request there, Modifiable until a developer releases it
  // (release_transport). Cloud ALM cannot release it (domain.md).
  struct TransportCreation {
    std::string transport;  // its id, e.g. S4DK800001
    std::string error;      // why not, in words; empty when created
  };
  TransportCreation create_transport(const std::string& system, const std::string& description);
  // The developer releases a transport created on request: its export, as an event of its tenant.
  // An error in words, or empty.
  std::string release_transport(const std::string& transport);
  std::string describe_source() const { return source_->describe(); }

 private:
  struct Tenant;
  Tenant* tenant_of(const SystemRef& system);                       // nullptr: no tenant has that system
  void advance(EpochMillis wall_now);                               // caller holds mutex_
  void append(Tenant& tenant, AtoEvent event, bool keep_sequence);  // caller holds mutex_
  net::HttpResponse tenant_request(Tenant& tenant, const net::HttpRequest& request, std::string_view path);
  // The events page; `count_only`: Events/$count, the number of events the filter selects, as text.
  net::HttpResponse feed(Tenant& tenant, const net::HttpRequest& request, bool count_only = false);
  net::HttpResponse inject(const net::HttpRequest& request);
  net::HttpResponse activate(std::string_view name, const net::HttpRequest& request);
  net::HttpResponse systems(const Tenant& tenant, const net::HttpRequest& request);
  net::HttpResponse metadata(const Tenant& tenant, const net::HttpRequest& request);
  net::HttpResponse stats();
  net::HttpResponse history();
  // POST /sim/ato/transports/<id>/release: release_transport over HTTP.
  net::HttpResponse release(std::string_view transport, const net::HttpRequest& request);

  FeedSettings settings_;
  std::unique_ptr<EventSource> source_;
  FaultInjector& faults_;
  const EpochMillis started_at_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Tenant>> tenants_;
  std::vector<std::string> history_;  // every recorded event as served, in the order recorded
  // Transports created on request, by id: the tenant that has them and whether they were released.
  struct RequestedTransport {
    std::string tenant, description;
    bool released = false;
  };
  std::map<std::string, RequestedTransport> requested_;
};

}  // namespace ato::sim
