// Transports the fake ATO makes happen on request rather than on its own schedule: Cloud ALM's deploy
// (the imports of a feature's transports), Cloud ALM's call of the inbound "create transports"
// service, and a developer releasing such a transport. Each becomes events of the tenant concerned,
// appended to its feed like those the landscape produces.
#include <fmt/format.h>

#include <openssl/rand.h>

#include "simulator/ato/feed.hpp"
#include "simulator/ato/feed_tenant.hpp"
#include "simulator/odata.hpp"

namespace ato::sim {
namespace {

std::string random_event_id() {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

constexpr EpochMillis kMinute = 60'000;

}  // namespace

std::string AtoFeed::deploy(const std::vector<std::string>& transports, const std::string& system) {
  const auto target_ref = parse_system_ref(system);
  std::lock_guard lock(mutex_);
  const EpochMillis wall = now_epoch_millis();
  advance(wall);
  Tenant* target = target_ref ? tenant_of(*target_ref) : nullptr;
  if (!target) return fmt::format("{} is no tenant of this landscape", system);
  if (!target->active)
    return fmt::format("the arrangement of {} is not active: nothing it does is recorded", system);
  if (source_->upgrading(wall)) return std::string(kUpgradeMessage);  // SAP: no import during an upgrade
  for (const auto& transport : transports) {
    // Its export (a development tenant's) and when anything last happened to it anywhere.
    bool released = false;
    EpochMillis last = 0;
    for (const auto& t : tenants_)
      for (const auto& e : t->events)
        if (e.transport_id == transport) {
          released = released || e.service == Service::Export;
          last = std::max(last, e.occurred_at);
        }
    if (!released) return fmt::format("transport {} was not released in this landscape", transport);
    // The landscape's clock may run ahead of the wall's: the import happens after everything before it.
    EpochMillis at = std::max(wall, last + kMinute);
    const auto step = [&](Service service, decltype(AtoEvent::details) details) {
      AtoEvent e;
      e.event_id = random_event_id();
      e.service = service;
      e.occurred_at = at;
      e.source = *target_ref;
      e.transport_id = transport;
      e.details = std::move(details);
      append(*target, std::move(e), false);
      at += kMinute;
    };
    step(Service::StatusChange, StatusChangeDetails{StatusType::ImportQueue, std::nullopt, "READY_FOR_IMPORT",
                                                    "SAP_SYSTEM", *target_ref});
    step(Service::StatusChange, StatusChangeDetails{StatusType::ImportQueue, "READY_FOR_IMPORT", "RUNNING",
                                                    "SAP_SYSTEM", *target_ref});
    const EpochMillis started = at - kMinute;
    step(Service::Import,
         ImportDetails{*target_ref, ImportType::Manual, ImportResult::Success, 0, started, at});
  }
  return "";
}

AtoFeed::TransportCreation AtoFeed::create_transport(const std::string& system,
                                                     const std::string& description) {
  const auto ref = parse_system_ref(system);
  std::lock_guard lock(mutex_);
  Tenant* tenant = ref ? tenant_of(*ref) : nullptr;
  if (!tenant) return {"", fmt::format("{} is no tenant of this landscape", system)};
  const auto role = role_of(system);
  if (role != "development")
    return {"", fmt::format("{} is the landscape's {} system: transports are created in a development tenant",
                            system, role.value_or("unknown"))};
  if (!tenant->active)
    return {"", fmt::format("the arrangement of {} is not active: its inbound services are not reachable",
                            system)};
  if (source_->upgrading(now_epoch_millis())) return {"", std::string(kUpgradeMessage)};
  // Ours: numbered from K999900 on, a range the landscape's own transports (K900900 to K999899,
  // landscape.cpp) never reach, in the form every transport ID has (schema/json/ato-event.schema.json).
  constexpr std::size_t kNumbers = 100;
  if (requested_.size() >= kNumbers)
    return {"", fmt::format("this simulator creates at most {} transports on request", kNumbers)};
  const std::string id = fmt::format("{}K9{:05d}", ref->sid, 99'900 + requested_.size());
  requested_[id] = {tenant->name, description};
  return {id, ""};
}

std::string AtoFeed::release_transport(const std::string& transport) {
  std::lock_guard lock(mutex_);
  const auto it = requested_.find(transport);
  if (it == requested_.end())
    return fmt::format("no transport {} was created on request in this landscape", transport);
  if (it->second.released) return fmt::format("transport {} is released already", transport);
  const EpochMillis wall = now_epoch_millis();
  if (source_->upgrading(wall)) return std::string(kUpgradeMessage);  // SAP: no export during an upgrade
  advance(wall);
  Tenant* tenant = nullptr;
  for (auto& t : tenants_)
    if (t->name == it->second.tenant) tenant = t.get();
  AtoEvent e;
  e.event_id = random_event_id();
  e.service = Service::Export;
  e.occurred_at = std::max(wall, tenant->events.empty() ? wall : tenant->events.back().occurred_at + kMinute);
  e.source = tenant->settings.system;
  e.transport_id = transport;
  // Client 080 is the development tenant's ABAP client, 100 its customizing one (landscape.hpp).
  const RequestKind kind = e.source.client == "080" ? RequestKind::Workbench : RequestKind::Customizing;
  e.details = ExportDetails{kind, it->second.description, "CB9980000001", e.occurred_at, std::nullopt};
  const std::int64_t before = tenant->head();
  append(*tenant, std::move(e), false);
  if (tenant->head() == before)
    return fmt::format("the arrangement of {} is not active: the release was not recorded", tenant->name);
  it->second.released = true;
  return "";
}

net::HttpResponse AtoFeed::release(std::string_view transport, const net::HttpRequest& request) {
  if (request.method != "POST")
    return odata_error(405, "METHOD_NOT_ALLOWED", "Release a transport with POST");
  if (std::lock_guard lock(mutex_); !requested_.count(std::string(transport)))
    return odata_error(404, "NOT_FOUND",
                       fmt::format("No transport {} was created on request in this landscape (POST "
                                   "Features(<uuid>)/createTransport in the fake Cloud ALM creates one)",
                                   transport));
  if (const auto problem = release_transport(std::string(transport)); !problem.empty())
    return odata_error(409, "NOT_RELEASED", problem);
  net::HttpResponse done;
  done.status = 204;
  return done;
}

}  // namespace ato::sim
