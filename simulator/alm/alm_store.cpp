// The fake Cloud ALM's shared state: how an accepted event changes a transport, the journal (memory
// and file), and what reset and a dropped system forget.
#include "simulator/alm/alm_store.hpp"

#include <fmt/format.h>

#include <boost/uuid/uuid_io.hpp>

#include <algorithm>

#include "core/sqlite.hpp"
#include "core/wire.hpp"

namespace ato::sim {
namespace {

// Which step of a transport's way an event is, for events that happened at the same instant.
int step_rank(const AtoEvent& event) {
  if (event.service == Service::Export) return 0;
  if (event.service == Service::Import) return 3;
  const auto& s = std::get<StatusChangeDetails>(event.details);
  return s.new_status == "READY_FOR_IMPORT" ? 1 : s.new_status == "RUNNING" ? 2 : 3;
}

// The status Cloud ALM shows after `event`, or nullopt when the event does not change it.
std::optional<std::string> status_after(const AtoEvent& event) {
  if (event.service == Service::Export) return "Released";
  if (const auto* i = std::get_if<ImportDetails>(&event.details)) {
    if (i->import_type == ImportType::Forecast) return std::nullopt;  // a check: nothing was imported
    return (i->result == ImportResult::Error ? "Failed in " : "Deployed in ") + i->target.key();
  }
  const auto& s = std::get<StatusChangeDetails>(event.details);
  if (s.status_type != StatusType::ImportQueue || !s.target) return std::nullopt;
  const std::string where = s.target->key();
  // A running import leaves the transport Scheduled In its system: "Running in" is in no SAP text.
  if (s.new_status == "READY_FOR_IMPORT") return "Scheduled In " + where;
  if (s.new_status == "IMPORTED" || s.new_status == "IMPORTED_WITH_WARNINGS") return "Deployed in " + where;
  if (s.new_status == "FAILED") return "Failed in " + where;
  return std::nullopt;
}

// Where a failed import went, if `event` is one.
std::optional<std::string> failed_import_into(const AtoEvent& event) {
  if (const auto* i = std::get_if<ImportDetails>(&event.details);
      i && i->result == ImportResult::Error && i->import_type != ImportType::Forecast)
    return i->target.key();
  if (const auto* s = std::get_if<StatusChangeDetails>(&event.details);
      s && s->status_type == StatusType::ImportQueue && s->new_status == "FAILED" && s->target)
    return s->target->key();
  return std::nullopt;
}

// What Cloud ALM shows: Modifiable for a transport it created that was not released yet; Repaired (ours: SAP
// does not publish what triggers it for ATO) for a transport deployed where an earlier import of it had
// failed, whatever order the events arrived in.
std::string shown_status(const TransportRecord& t) {
  constexpr std::string_view kDeployed = "Deployed in ";
  if (t.raw_status.empty() && t.created_here) return "Modifiable";  // created here, not exported yet
  if (!t.status_key || !t.raw_status.starts_with(kDeployed)) return t.raw_status;
  const auto where = std::string_view(t.raw_status).substr(kDeployed.size());
  for (const auto& [system, at] : t.failed_imports)
    if (system == where && at < t.status_key->occurred_at) return "Repaired";
  return t.raw_status;
}

std::int64_t* last_sequence_of(TransportRecord& t, const std::string& source) {
  for (auto& [from, sequence] : t.last_sequence_by_source)
    if (from == source) return &sequence;
  return nullptr;
}

}  // namespace

boost::uuids::uuid uuid_of(const std::string& event_id) {
  boost::uuids::uuid id;
  const auto bytes = event_id_bytes(event_id);
  std::copy(bytes.begin(), bytes.end(), id.begin());
  return id;
}

AlmCounters& AlmCounters::operator+=(const AlmCounters& other) {
  packages_received += other.packages_received;
  events_accepted += other.events_accepted;
  events_duplicate += other.events_duplicate;
  events_rejected += other.events_rejected;
  order_violations += other.order_violations;
  unknown_transports += other.unknown_transports;
  unregistered_systems += other.unregistered_systems;
  auth_failures += other.auth_failures;
  return *this;
}

// The journal on disk: accepted events in order, so a restarted simulator remembers them.
struct AlmState::JournalFile {
  sqlite::Database db;
  std::unique_ptr<sqlite::Statement> insert;
  explicit JournalFile(const std::filesystem::path& path)
      : db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec(
        "CREATE TABLE IF NOT EXISTS journal (n INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, "
        "payload TEXT NOT NULL)");
    insert = std::make_unique<sqlite::Statement>(
        db, "INSERT OR IGNORE INTO journal (event_id, payload) VALUES (?, ?)");
  }
};

AlmStore::AlmStore(const std::optional<std::filesystem::path>& journal_file,
                   std::size_t journal_memory_events) {
  state_.journal_memory_events_ = journal_memory_events;
  if (!journal_file) return;
  state_.file_ = std::make_unique<AlmState::JournalFile>(*journal_file);
  sqlite::Statement rows(state_.file_->db, "SELECT payload FROM journal ORDER BY n");
  AlmCounters ignored;
  while (rows.step()) {
    auto event = parse_event_json(rows.text(0));
    const auto id = uuid_of(event.event_id);
    state_.apply(std::move(event), id, ignored, /*persist=*/false);
  }
}

AlmStore::~AlmStore() = default;

void AlmState::batch(const std::function<void()>& work) {
  if (!file_) return work();
  sqlite::Transaction tx(file_->db);
  work();
  tx.commit();
}

std::optional<AlmState::Rejection> AlmState::apply(AtoEvent&& event, const boost::uuids::uuid& event_uuid,
                                                   AlmCounters& counters) {
  return apply(std::move(event), event_uuid, counters, /*persist=*/true);
}

// An event before its transport's export is kept (counted in unknown_transports) and counts once the
// export comes.
std::optional<AlmState::Rejection> AlmState::apply(AtoEvent&& event, const boost::uuids::uuid& event_uuid,
                                                   AlmCounters& counters, bool persist) {
  auto it = transports_.find(event.transport_id);
  const std::string source = event.source.key();
  if (it != transports_.end()) {
    if (const std::int64_t* last = last_sequence_of(it->second, source); last && event.sequence <= *last) {
      ++counters.order_violations;
      return Rejection{
          "OUT_OF_ORDER",
          fmt::format("Event sequence {} of {} is older than sequence {} of {} already applied to "
                      "transport {}",
                      event.sequence, source, *last, source, event.transport_id)};
    }
  }
  if (persist && file_) file_->insert->bind(1, event.event_id).bind(2, to_json(event)).run();
  if (it == transports_.end()) {
    TransportRecord fresh;
    fresh.id = event.transport_id;
    it = transports_.emplace(event.transport_id, std::move(fresh)).first;
  }
  TransportRecord& t = it->second;
  if (event.service == Service::Export) {
    t.exported = true;
    t.source = source;
    t.released_at = event.occurred_at;
    if (const auto* e = std::get_if<ExportDetails>(&event.details)) t.title = e->title;
  } else if (!t.exported)
    ++counters.unknown_transports;  // before its export: kept, shown once the export arrives
  if (auto failed = failed_import_into(event))
    t.failed_imports.emplace_back(std::move(*failed), event.occurred_at);
  if (auto status = status_after(event)) {
    TransportRecord::StatusKey key{event.occurred_at, step_rank(event), source, event.sequence};
    if (!t.status_key || *t.status_key < key) {
      t.raw_status = *status;
      t.status_key = std::move(key);
    }
  }
  t.status = shown_status(t);
  if (std::int64_t* last = last_sequence_of(t, source))
    *last = event.sequence;
  else
    t.last_sequence_by_source.emplace_back(source, event.sequence);
  t.history.push_back({event.sequence, event_uuid, event.service, t.status, event.occurred_at, source});
  accepted_ids_.insert(event_uuid);
  journal_.push_back(std::move(event));
  if (journal_memory_events_ > 0 && journal_.size() > journal_memory_events_) {
    journal_.pop_front();
    ++journal_dropped_;
  }
  return std::nullopt;
}

void AlmState::add_created_transport(const std::string& id, const std::string& description,
                                     const std::string& source, EpochMillis at) {
  TransportRecord& t = transports_[id];
  t.id = id;
  t.title = description;
  t.source = source;
  t.released_at = at;  // shown as createdAt; its export sets the time it was released
  t.created_here = true;
  t.status = shown_status(t);
}

const TransportRecord* AlmState::transport(const std::string& id) const {
  const auto it = transports_.find(id);
  return it == transports_.end() ? nullptr : &it->second;
}

std::string AlmState::effective_status(const Feature& f) const {
  // Deployed to production and every transport there: Deployed (what Cloud ALM shows then).
  if (f.status_code != "READY_FOR_PRODUCTION" || !f.deployed_to) return f.status_code;
  const auto ids = features_.transports_of(f.uuid);
  if (ids.empty()) return f.status_code;
  for (const auto& id : ids) {
    const auto* t = transport(id);
    if (!t || t->raw_status != "Deployed in " + *f.deployed_to) return f.status_code;
  }
  return "DEPLOYED";
}

void AlmState::reset() {
  accepted_ids_.clear();
  transports_.clear();
  journal_.clear();
  journal_dropped_ = 0;
  counters_.clear();
  if (file_) file_->db.exec("DELETE FROM journal");
}

std::pair<std::size_t, std::size_t> AlmState::drop_system(const std::string& system) {
  std::vector<boost::uuids::uuid> dropped;
  for (auto& [id, t] : transports_) {
    const bool theirs = t.source == system;
    for (const auto& step : t.history)
      if (theirs || step.source == system) dropped.push_back(step.event_id);
    if (theirs) continue;  // erased below
    std::erase_if(t.history, [&](const TransportRecord::Step& step) { return step.source == system; });
    std::erase_if(t.last_sequence_by_source, [&](const auto& entry) { return entry.first == system; });
  }
  const std::size_t transports = boost::unordered::erase_if(
      transports_, [&](const auto& entry) { return entry.second.source == system; });
  for (const auto& id : dropped) accepted_ids_.erase(id);
  std::erase_if(journal_, [&](const AtoEvent& e) { return e.source.key() == system; });
  if (file_) {
    sqlite::Transaction tx(file_->db);
    sqlite::Statement remove(file_->db, "DELETE FROM journal WHERE event_id = ?");
    for (const auto& id : dropped) {
      remove.bind(1, boost::uuids::to_string(id)).run();
      remove.reset();
    }
    tx.commit();
  }
  return {transports, dropped.size()};
}

}  // namespace ato::sim
