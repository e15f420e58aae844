#include "bridge/runtime/outbox_view.hpp"

#include "bridge/runtime/engine_state.hpp"

namespace ato::bridge {

std::optional<std::int64_t> OutboxView::cursor(const std::string& tenant, Service service) const {
  const auto found = cursors.find({tenant, service});
  if (found == cursors.end()) return std::nullopt;
  return found->second;
}

std::vector<Service> active_services(const TenantConfig& tenant) {
  std::vector<Service> active;
  for (Job job : {Job::Export, Job::Import, Job::StatusChange})
    if (settings_of(tenant, job).active) active.push_back(service_of(job));
  return active;
}

OutboxView view_of_outbox(const Outbox& outbox, const BridgeConfig& config, EpochMillis now) {
  OutboxView view;
  view.counts = outbox.counts();
  view.oldest_waiting_age = outbox.oldest_waiting_age(now);
  for (const auto& tenant : config.tenants) {
    for (Service service : {Service::Export, Service::Import, Service::StatusChange})
      if (auto cursor = outbox.cursor(tenant.name, service)) view.cursors[{tenant.name, service}] = *cursor;
    view.low_watermarks[tenant.name] = outbox.low_watermark(tenant.name, active_services(tenant));
  }
  return view;
}

}  // namespace ato::bridge
