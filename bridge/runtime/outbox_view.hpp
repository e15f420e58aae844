// What /status, /metrics and `ato-bridge status` show of the outbox, read in one go. The running
// bridge reads it on the outbox thread (Engine::read_outbox_view), the one door into the outbox: the
// network thread never touches the outbox itself. A command reads it on its own thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "bridge/config.hpp"
#include "bridge/outbox/outbox.hpp"

namespace ato::bridge {

struct OutboxView {
  StateCounts counts;
  std::optional<std::chrono::milliseconds> oldest_waiting_age;
  std::map<std::pair<std::string, Service>, std::int64_t> cursors;  // of the configured tenants
  std::map<std::string, std::int64_t> low_watermarks;               // by configured tenant

  std::optional<std::int64_t> cursor(const std::string& tenant, Service service) const;
};

// The services a tenant collects (its active event jobs'): the low watermark is over those.
std::vector<Service> active_services(const TenantConfig& tenant);

// Throws the outbox's errors (OutboxError and those derived from it).
OutboxView view_of_outbox(const Outbox& outbox, const BridgeConfig& config, EpochMillis now);

}  // namespace ato::bridge
