// Tenants by name and number, and each tenant's feed cursors: where collection resumes, and the low
// watermark above which nothing of the tenant may leave.
#include "bridge/outbox/outbox_impl.hpp"

namespace ato::bridge {

using sqlite::Statement;
using sqlite::Transaction;

void Outbox::Impl::load_tenants() {
  auto& tenants = memory.tenants;
  tenants.loaded = true;
  tenants.numbers.clear();
  tenants.names.clear();
  Statement stmt(*db, sql::load_tenants);
  while (stmt.step()) {
    const int number = static_cast<int>(stmt.int64(0));
    tenants.numbers.emplace(std::string(stmt.text(1)), number);
    tenants.names.emplace(number, std::string(stmt.text(1)));
  }
}

// The tenant's number; a new name gets the next one (in the caller's transaction).
int Outbox::Impl::tenant_number(std::string_view name, bool create) {
  auto& tenants = memory.tenants;
  if (!tenants.loaded) load_tenants();
  if (auto found = tenants.numbers.find(name); found != tenants.numbers.end()) return found->second;
  if (!create) return 0;
  if (name.empty() || name.size() > 64)
    throw std::invalid_argument(fmt::format("tenant name '{}': expected 1 to 64 characters", name));
  const int number = tenants.names.empty() ? 1 : tenants.names.rbegin()->first + 1;
  Statement insert(*db, sql::insert_tenant);
  insert.bind(1, number).bind(2, std::string(name)).bind(3, now_epoch_millis()).run();
  tenants.numbers.emplace(std::string(name), number);
  tenants.names.emplace(number, std::string(name));
  return number;
}

const std::string& Outbox::Impl::tenant_name(int tenant) {
  static const std::string unknown = "?";
  if (!memory.tenants.loaded) load_tenants();
  const auto found = memory.tenants.names.find(tenant);
  return found == memory.tenants.names.end() ? unknown : found->second;
}

std::int64_t Outbox::Impl::cursor_of(int tenant, Service service) {
  auto& cursors = memory.cursors;
  if (!cursors) {
    cursors.emplace();
    auto& stmt = statements(sql::load_cursors);
    while (stmt.step())
      (*cursors)[{static_cast<int>(stmt.int64(0)), service_from(stmt.text(1))}] = stmt.int64(2);
    stmt.reset();
  }
  const auto found = cursors->find({tenant, service});
  return found == cursors->end() ? -1 : found->second;
}

std::optional<std::int64_t> Outbox::cursor(const std::string& tenant, Service service) const {
  return impl_->guarded("read cursor", [&]() -> std::optional<std::int64_t> {
    impl_->notice_other_writers();
    const int number = impl_->tenant_number(tenant, false);
    const std::int64_t value = number ? impl_->cursor_of(number, service) : -1;
    if (value < 0) return std::nullopt;
    return value;
  });
}

void Outbox::set_cursor(const std::string& tenant, Service service, std::int64_t sequence, EpochMillis now) {
  if (sequence < 0 || sequence > kMaxSequence)
    throw std::invalid_argument(
        fmt::format("cursor {} is not a feed sequence (0 to {})", sequence, kMaxSequence));
  impl_->changing("set cursor", [&] {
    Transaction tx(*impl_->db);
    const int number = impl_->tenant_number(tenant, true);
    Statement set(*impl_->db, sql::set_cursor);
    set.bind(1, to_string(service)).bind(2, sequence).bind(3, now).bind(4, number).run();
    tx.commit();
    impl_->memory.cursors.reset();
  });
}

std::int64_t Outbox::low_watermark(const std::string& tenant,
                                   const std::vector<Service>& active_services) const {
  return impl_->guarded("read cursors", [&] {
    const int number = impl_->tenant_number(tenant, false);
    std::int64_t lowest = kMaxSequence;
    for (Service s : active_services)
      lowest = std::min(lowest, number ? std::max<std::int64_t>(0, impl_->cursor_of(number, s)) : 0);
    return lowest;
  });
}

std::vector<Outbox::CursorRow> Outbox::cursors() const {
  return impl_->guarded("read cursors", [&] {
    Statement stmt(*impl_->db, sql::list_cursors);
    std::vector<CursorRow> rows;
    while (stmt.step())
      rows.push_back({std::string(stmt.text(0)), service_from(stmt.text(1)), stmt.int64(2), stmt.int64(3)});
    return rows;
  });
}

std::vector<std::string> Outbox::tenants() const {
  return impl_->guarded("read tenants", [&] {
    impl_->notice_other_writers();
    if (!impl_->memory.tenants.loaded) impl_->load_tenants();
    std::vector<std::string> names;
    for (const auto& [name, number] : impl_->memory.tenants.numbers) names.push_back(name);
    return names;
  });
}

void Outbox::rename_tenant(const std::string& from, const std::string& to) {
  if (to.empty() || to.size() > 64)
    throw std::invalid_argument(fmt::format("tenant name '{}': expected 1 to 64 characters", to));
  impl_->changing("rename tenant", [&] {
    impl_->load_tenants();
    if (!impl_->tenant_number(from, false))
      throw OutboxError(fmt::format("outbox {}: no tenant named '{}' (it knows: {})",
                                    impl_->options.path.string(), from, fmt::join(tenants(), ", ")));
    if (impl_->tenant_number(to, false))
      throw OutboxError(
          fmt::format("outbox {}: a tenant named '{}' exists already", impl_->options.path.string(), to));
    Statement rename(*impl_->db, sql::rename_tenant);
    rename.bind(1, from).bind(2, to).run();
    impl_->load_tenants();
  });
}

}  // namespace ato::bridge
