#include "bridge/outbox/salvage.hpp"

#include <map>

#include <fmt/format.h>

#include <optional>
#include <stdexcept>

#include "bridge/outbox/outbox.hpp"
#include "bridge/outbox/outbox_file.hpp"
#include "bridge/outbox/queries.hpp"
#include "core/sqlite.hpp"

namespace ato::bridge {
namespace fs = std::filesystem;
using sqlite::Database;
using sqlite::Statement;

namespace {

constexpr std::int64_t kRange = 500;

// Copies rows from the damaged file into the new one; reads that fail are narrowed down to rows.
class Copier {
 public:
  Copier(Database& from, Database& to, SalvageReport& report)
      : from_(from),
        report_(report),
        insert_event_(to, sql::salvage_insert_event),
        insert_payload_(to, sql::salvage_insert_payload) {}

  void copy(std::int64_t first, std::int64_t last) {
    for (std::int64_t low = first; low <= last; low += kRange) {
      const std::int64_t high = std::min(last, low + kRange - 1);
      if (copy_range(low, high)) continue;
      for (std::int64_t id = low; id <= high; ++id)
        if (!copy_range(id, id)) ++report_.unreadable_rows;
    }
  }

 private:
  // True when the range could be read (its rows, if any, are copied).
  bool copy_range(std::int64_t low, std::int64_t high) {
    struct Row {
      std::int64_t id, sequence, attempts, enqueued_at, next_attempt_at;
      std::string event_id, service, transport_id, source_system, state, errors;
      std::optional<std::int64_t> settled_at;
      std::optional<std::string> dead_reason, payload;
      std::int64_t tenant = 0;
    };
    std::vector<Row> rows;
    try {
      Statement read(from_, sql::salvage_read_events);
      read.bind(1, low).bind(2, high);
      while (read.step()) {
        Row r{read.int64(0),
              read.int64(3),
              read.int64(7),
              read.int64(8),
              read.int64(9),
              std::string(read.text(1)),
              std::string(read.text(2)),
              std::string(read.text(4)),
              std::string(read.text(5)),
              std::string(read.text(6)),
              std::string(read.text(12)),
              {},
              {},
              {}};
        if (!read.is_null(10)) r.settled_at = read.int64(10);
        if (!read.is_null(11)) r.dead_reason = std::string(read.text(11));
        if (!read.is_null(13)) r.payload = std::string(read.text(13));
        r.tenant = read.int64(14);
        rows.push_back(std::move(r));
      }
    } catch (const sqlite::Error&) {
      return false;
    }
    for (const auto& r : rows) {
      if (!r.payload) {  // nothing to push: say which event is lost
        ++report_.without_payload;
        if (report_.lost_events.size() < 100) report_.lost_events.push_back(r.event_id);
        continue;
      }
      insert_event_.bind(1, r.id).bind(2, r.event_id).bind(3, r.service).bind(4, r.sequence);
      insert_event_.bind(5, r.transport_id).bind(6, r.source_system).bind(7, r.state).bind(8, r.attempts);
      insert_event_.bind(9, r.enqueued_at).bind(10, r.next_attempt_at);
      r.settled_at ? insert_event_.bind(11, *r.settled_at) : insert_event_.bind_null(11);
      r.dead_reason ? insert_event_.bind(12, *r.dead_reason) : insert_event_.bind_null(12);
      insert_event_.bind(13, r.errors).bind(14, r.tenant).run();
      insert_payload_.bind(1, r.id).bind(2, *r.payload).run();
      ++report_.events;
    }
    return true;
  }

  Database& from_;
  SalvageReport& report_;
  Statement insert_event_, insert_payload_;
};

template <typename F>
auto try_read(F&& f) -> std::optional<decltype(f())> {
  try {
    return f();
  } catch (const sqlite::Error&) {
    return std::nullopt;
  }
}

}  // namespace

SalvageReport salvage_outbox(const fs::path& damaged, const fs::path& target) {
  if (fs::exists(target)) throw std::runtime_error(target.string() + " exists: salvage writes a new outbox");
  SalvageReport report;
  Database from(damaged, SQLITE_OPEN_READONLY);
  const auto highest =
      try_read([&] {
        return from.query_int(sql::salvage_highest_event);
      }).value_or(try_read([&] { return from.query_int(sql::salvage_highest_payload); }).value_or(0));
  const auto identity = try_read([&] { return from.query_text(sql::read_identity); });
  {
    OutboxOptions options;
    options.path = target;
    Outbox created(options);  // the latest schema, a new identity
  }
  Database to(target, SQLITE_OPEN_READWRITE);
  to.exec(queries::with_placeholder(sql::busy_timeout, "%VALUE%", "5000"));
  sqlite::Transaction tx(to);
  Copier(from, to, report).copy(1, highest);
  if (identity && identity->size() == 32) {
    Statement keep(to, sql::salvage_keep_identity);
    keep.bind(1, *identity).run();
    report.identity_kept = true;
  } else {
    report.notes.push_back(
        "the damaged outbox's identity could not be read: start the bridge with --new-outbox");
  }
  // The tenants by number (the events name them so); a name that cannot be read is made up, and said.
  std::map<std::int64_t, std::string> tenants;
  const bool tenants_read = try_read([&] {
                              Statement read(from, sql::load_tenants);
                              while (read.step()) tenants[read.int64(0)] = std::string(read.text(1));
                              return true;
                            }).value_or(false);
  {
    Statement used(to, sql::salvage_tenants_used);
    while (used.step())
      if (!tenants.count(used.int64(0))) {
        tenants[used.int64(0)] = fmt::format("salvaged-{}", used.int64(0));
        report.notes.push_back(
            fmt::format("the name of tenant {} could not be read: its events are under "
                        "'salvaged-{}' (ato-bridge tenant rename gives them their name)",
                        used.int64(0), used.int64(0)));
      }
  }
  for (const auto& [number, name] : tenants) {
    Statement write(to, sql::salvage_insert_tenant);
    write.bind(1, number).bind(2, name).run();
  }
  for (const auto& tenant : tenants)
    for (const char* service : {"EXPORT", "IMPORT", "STATUS_CHANGE"}) {
      const std::int64_t number = tenant.first;  // (clang 14 lambdas cannot capture structured bindings)
      const std::string& name = tenant.second;
      const auto stored = try_read([&] {
        Statement read(from, sql::salvage_read_cursor);
        read.bind(1, number).bind(2, std::string_view(service));
        return read.step() ? std::optional<std::int64_t>(read.int64(0)) : std::nullopt;
      });
      std::optional<std::int64_t> cursor = stored ? *stored : std::nullopt;
      if (!stored) {  // rebuilt from what was salvaged: events beyond it are not known here
        Statement highest_of(to, sql::salvage_highest_sequence);
        highest_of.bind(1, number).bind(2, std::string_view(service));
        if (highest_of.step() && !highest_of.is_null(0)) cursor = highest_of.int64(0);
        if (!cursor && tenants_read) continue;  // the tenant never had this cursor, or lost nothing here
        report.notes.push_back(fmt::format(
            "the {} cursor of tenant {} could not be read{}", service, name,
            cursor ? fmt::format(
                         ": set to its highest salvaged event, {}; check it with `ato-bridge cursor show`",
                         *cursor)
                   : "; the service's first run starts at the feed's head"));
      }
      if (!cursor) continue;
      Statement write(to, sql::salvage_insert_cursor);
      write.bind(1, std::string_view(service)).bind(2, *cursor).bind(3, number).run();
      report.cursors[fmt::format("{} {}", name, service)] = *cursor;
    }
  if (report.events == 0 && report.cursors.empty())
    throw std::runtime_error(fmt::format("nothing could be read from {}", damaged.string()));
  tx.commit();
  if (report.identity_kept) record_identity(target, *identity);
  return report;
}

}  // namespace ato::bridge
