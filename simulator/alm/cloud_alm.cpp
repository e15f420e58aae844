#include "simulator/alm/cloud_alm.hpp"

#include "simulator/alm/answers.hpp"

#include <fmt/format.h>

#include <boost/uuid/uuid.hpp>
#include <boost/uuid/uuid_io.hpp>

#include <algorithm>
#include <charconv>

#include "core/json_writer.hpp"
#include "core/sqlite.hpp"
#include "core/wire.hpp"
#include "simulator/odata.hpp"

namespace ato::sim {
namespace {

// eventIds reach here parsed, so checked (parse_event).
boost::uuids::uuid uuid_of(const std::string& event_id) {
  boost::uuids::uuid id;
  const auto bytes = event_id_bytes(event_id);
  std::copy(bytes.begin(), bytes.end(), id.begin());
  return id;
}

std::string_view status_code_name(int status) {
  switch (status) {
    case 400:
      return "BAD_REQUEST";
    case 401:
      return "UNAUTHORIZED";
    case 403:
      return "FORBIDDEN";
    case 404:
      return "NOT_FOUND";
    case 405:
      return "METHOD_NOT_ALLOWED";
    case 408:
      return "REQUEST_TIMEOUT";
    case 413:
      return "PAYLOAD_TOO_LARGE";
    case 422:
      return "UNPROCESSABLE_ENTITY";
    case 429:
      return "TOO_MANY_REQUESTS";
    case 500:
      return "INTERNAL_SERVER_ERROR";
    case 502:
      return "BAD_GATEWAY";
    case 503:
      return "SERVICE_UNAVAILABLE";
    case 504:
      return "GATEWAY_TIMEOUT";
    default:
      return "ERROR";
  }
}

net::HttpResponse injected_error(const FaultDecision& decision) {
  auto response = odata_error(*decision.status, std::string(status_code_name(*decision.status)),
                              "Injected by ato-sim (--faults)");
  if (decision.retry_after) response.header("Retry-After", *decision.retry_after);
  decision.shape(response);
  return response;
}

// RFC 6750 3: no error code when no token came; otherwise the same words as the body's message.
std::string bearer_challenge(const TokenCheck& auth) {
  std::string challenge = "Bearer realm=\"SAP Cloud ALM (ato-sim)\"";
  if (auth.verdict == TokenVerdict::Missing) return challenge;
  std::string description;
  for (char c : auth.message)
    if (c != '"' && c != '\\') description += c;
  return challenge + ", error=\"invalid_token\", error_description=\"" + description + "\"";
}

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
  if (const auto* i = std::get_if<ImportDetails>(&event.details))
    return (i->result == ImportResult::Error ? "Failed in " : "Deployed in ") + i->target.key();
  const auto& s = std::get<StatusChangeDetails>(event.details);
  if (s.status_type != StatusType::ImportQueue || !s.target) return std::nullopt;
  const std::string where = s.target->key();
  if (s.new_status == "READY_FOR_IMPORT") return "Scheduled In " + where;
  if (s.new_status == "RUNNING") return "Running in " + where;
  if (s.new_status == "IMPORTED" || s.new_status == "IMPORTED_WITH_WARNINGS") return "Deployed in " + where;
  if (s.new_status == "FAILED") return "Failed in " + where;
  return std::nullopt;
}

std::string_view query_param(std::string_view query, std::string_view name, std::string& storage) {
  auto value = net::form_value(query, name);
  storage = value.value_or("");
  return storage;
}

void write_transport(JsonWriter& json, const TransportRecord& t) {
  json.begin_object().field("id", t.id).field("status", t.status);
  json.key("history").begin_array();
  for (const auto& step : t.history) {
    json.begin_object()
        .field("source", step.source)
        .field("sequence", step.sequence)
        .field("eventId", boost::uuids::to_string(step.event_id))
        .field("service", to_string(step.service))
        .field("status", step.status)
        .field("occurredAt", format_iso8601_utc(step.occurred_at))
        .end_object();
  }
  json.end_array().end_object();
}

}  // namespace

// A body that is not declared JSON gets 415, naming what is expected (a form-encoded or text body
// is never parsed as if it were JSON).
std::optional<net::HttpResponse> refuse_non_json(const net::HttpRequest& request) {
  std::string_view type = request.header("Content-Type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (net::iequals(type, "application/json")) return std::nullopt;
  return odata_error(
      415, "UNSUPPORTED_MEDIA_TYPE",
      fmt::format("The body must be JSON: send Content-Type: application/json (got {})",
                  type.empty() ? std::string("no Content-Type") : "'" + std::string(type) + "'"));
}

// 401 (no or no valid token: the challenge says why, in the body's words) or 403 (a scope is missing).
net::HttpResponse auth_error(const TokenCheck& auth) {
  const bool forbidden = auth.verdict == TokenVerdict::MissingScope;
  auto response = odata_error(forbidden ? 403 : 401, forbidden ? "FORBIDDEN" : "UNAUTHORIZED", auth.message);
  if (!forbidden) response.header("WWW-Authenticate", bearer_challenge(auth));
  return response;
}

AlmSettings default_alm_settings() {
  AlmSettings s;
  s.push_paths = {{Service::Export, "/api/calm-deployments/v1/ato/exports"},
                  {Service::Import, "/api/calm-deployments/v1/ato/imports"},
                  {Service::StatusChange, "/api/calm-deployments/v1/ato/status-changes"}};
  return s;
}

// The journal on disk: accepted events in order, so a restarted simulator remembers them.
struct CloudAlm::Store {
  sqlite::Database db;
  std::unique_ptr<sqlite::Statement> insert;
  explicit Store(const std::filesystem::path& path) : db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec(
        "CREATE TABLE IF NOT EXISTS journal (n INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, "
        "payload TEXT NOT NULL)");
    insert = std::make_unique<sqlite::Statement>(
        db, "INSERT OR IGNORE INTO journal (event_id, payload) VALUES (?, ?)");
  }
};

CloudAlm::CloudAlm(AlmSettings settings, TokenAuthority& tokens, FaultInjector& faults)
    : settings_(std::move(settings)), tokens_(tokens), faults_(faults), started_at_(now_epoch_millis()) {
  if (!settings_.journal_file) return;
  store_ = std::make_unique<Store>(*settings_.journal_file);
  sqlite::Statement rows(store_->db, "SELECT payload FROM journal ORDER BY n");
  Counters ignored;
  while (rows.step()) {
    auto event = parse_event_json(rows.text(0));
    const auto id = uuid_of(event.event_id);
    apply(std::move(event), id, ignored);
  }
}

CloudAlm::~CloudAlm() = default;

namespace {

std::int64_t* last_sequence_of(TransportRecord& t, const std::string& source) {
  for (auto& [from, sequence] : t.last_sequence_by_source)
    if (from == source) return &sequence;
  return nullptr;
}

}  // namespace

// Tenants send independently: an import from the test tenant may arrive before the export from the
// development tenant. So an event is refused only when it is really wrong: older (by its tenant's
// sequence) than an event of the same tenant already applied to the transport. An event before its
// transport's export is kept (counted in unknown_transports) and counts once the export comes.
std::optional<std::pair<std::string, std::string>> CloudAlm::apply(AtoEvent&& event,
                                                                   const boost::uuids::uuid& event_uuid,
                                                                   Counters& counters) {
  auto it = transports_.find(event.transport_id);
  const std::string source = event.source.key();
  if (it != transports_.end()) {
    if (const std::int64_t* last = last_sequence_of(it->second, source); last && event.sequence <= *last) {
      ++counters.order_violations;
      return std::pair{
          std::string("OUT_OF_ORDER"),
          fmt::format("Event sequence {} of {} is older than sequence {} of {} already applied to "
                      "transport {}",
                      event.sequence, source, *last, source, event.transport_id)};
    }
  }
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
  if (auto status = status_after(event)) {
    TransportRecord::StatusKey key{event.occurred_at, step_rank(event), source, event.sequence};
    if (!t.status_key || *t.status_key < key) {
      t.status = *status;
      t.status_key = std::move(key);
    }
  }
  if (std::int64_t* last = last_sequence_of(t, source))
    *last = event.sequence;
  else
    t.last_sequence_by_source.emplace_back(source, event.sequence);
  t.history.push_back({event.sequence, event_uuid, event.service, t.status, event.occurred_at, source});
  accepted_ids_.insert(event_uuid);
  journal_.push_back(std::move(event));
  if (settings_.journal_memory_events > 0 && journal_.size() > settings_.journal_memory_events) {
    journal_.pop_front();
    ++journal_dropped_;
  }
  return std::nullopt;
}

bool CloudAlm::transport_rejects(const AtoEvent& event) const {
  auto it = transports_.find(event.transport_id);
  if (it == transports_.end()) return false;
  for (const auto& [from, sequence] : it->second.last_sequence_by_source)
    if (from == event.source.key()) return event.sequence <= sequence;
  return false;
}

void CloudAlm::apply_periodic_faults(EpochMillis now) {
  if (!faults_.has_periodic()) {
    tokens_.set_early_expiry(std::chrono::milliseconds(0));
    return;
  }
  if (auto rule = faults_.periodic("token", FaultKind::RevokeEvery)) {
    const EpochMillis period = rule->min.count();
    const EpochMillis epoch = started_at_ + (now - started_at_) / period * period;
    std::lock_guard lock(mutex_);
    if (epoch > started_at_ && epoch > revoked_epoch_) {
      revoked_epoch_ = epoch;
      tokens_.revoke_all(epoch);
      faults_.count("token", 1);
    }
  }
  const auto expiry = faults_.periodic("token", FaultKind::ExpireAfter);
  tokens_.set_early_expiry(expiry ? expiry->min : std::chrono::milliseconds(0));
}

net::HttpResponse CloudAlm::handle(const net::HttpRequest& request) {
  auto response = route(request);
  // The API is OData v4: every answer under /api says so, errors too.
  if (request.path.starts_with("/api/")) response.header("OData-Version", "4.0");
  return response;
}

net::HttpResponse CloudAlm::handle_certified(const net::HttpRequest& request) {
  const EpochMillis now = now_epoch_millis();
  apply_periodic_faults(now);
  if (request.path != "/oauth/token")
    return odata_error(404, "NOT_FOUND",
                       fmt::format("No resource at {} (the mTLS host serves /oauth/token)", request.path));
  const auto decision = faults_.decide("token");
  if (decision.status) return injected_error(decision);
  auto response = tokens_.handle_token_request(request, now, ClientProof::Certificate);
  decision.shape(response);
  return response;
}

net::HttpResponse CloudAlm::route(const net::HttpRequest& request) {
  const EpochMillis now = now_epoch_millis();
  apply_periodic_faults(now);
  if (request.path == "/token_keys") return tokens_.handle_token_keys(request);
  if (request.path == "/oauth/token") {
    const auto decision = faults_.decide("token");
    if (decision.status) return injected_error(decision);
    auto response = tokens_.handle_token_request(request, now);
    decision.shape(response);
    return response;
  }
  for (const auto& [service, path] : settings_.push_paths) {
    if (request.path != path) continue;
    if (request.method != "POST") return odata_error(405, "METHOD_NOT_ALLOWED", "Push packages with POST");
    if (auto refused = refuse_non_json(request)) return *refused;
    return push(request, service, now);
  }
  if (request.path.starts_with("/api/calm-features/v1/") || request.path == "/api/calm-features/v1")
    return features_api(request, now);
  if (request.path == "/sim/transports") return transports(request);
  if (request.path.starts_with("/api/calm-lms/")) {
    if (request.method == "POST")
      if (auto refused = refuse_non_json(request)) return *refused;
    return landscape(request, now);
  }
  if (request.path == "/sim/stats") return net::HttpResponse::json(200, stats_json());
  if (request.path == "/sim/journal") return journal(request);
  if (request.path == "/sim/faults") return faults_endpoint(request);
  if (request.path == "/sim/reset") {
    if (request.method != "POST") return odata_error(405, "METHOD_NOT_ALLOWED", "Reset with POST");
    reset();
    return net::HttpResponse::json(200, R"({"reset":true})");
  }
  return odata_error(404, "NOT_FOUND", fmt::format("No resource at {}", request.path));
}

net::HttpResponse CloudAlm::push(const net::HttpRequest& request, Service service, EpochMillis now) {
  const std::string_view endpoint = service == Service::Export   ? "push.export"
                                    : service == Service::Import ? "push.import"
                                                                 : "push.status_change";
  const auto decision = faults_.decide(endpoint);
  if (decision.status) return injected_error(decision);

  const auto auth = tokens_.check(request.header("Authorization"), kManageScope, now);
  if (auth.verdict != TokenVerdict::Valid) {
    {
      std::lock_guard lock(mutex_);
      ++counters_[service].auth_failures;
    }
    auto response = auth_error(auth);
    decision.shape(response);
    return response;
  }

  PushPackage package;
  try {
    package = parse_push_package(request.body);
  } catch (const JsonError& e) {
    auto response = odata_error(400, "INVALID_PACKAGE", e.problem(),
                                e.path().empty() ? std::nullopt : std::optional(e.path()));
    decision.shape(response);
    return response;
  }
  if (package.service != service) {
    auto response = odata_error(
        400, "INVALID_PACKAGE",
        fmt::format("expected {} (this is the {} path)", to_string(service), to_string(service)), "service");
    decision.shape(response);
    return response;
  }
  if (static_cast<int>(package.events.size()) > settings_.max_package_size) {
    auto response = odata_error(
        413, "PAYLOAD_TOO_LARGE",
        fmt::format("{} events; at most {} per package", package.events.size(), settings_.max_package_size),
        "events");
    decision.shape(response);
    return response;
  }

  PushResponse answer{package.package_id, {}};
  answer.results.reserve(package.events.size());
  {
    std::lock_guard lock(mutex_);
    Counters& counters = counters_[service];
    ++counters.packages_received;
    std::optional<sqlite::Transaction> tx;
    if (store_) tx.emplace(store_->db);
    for (auto& e : package.events) {
      const auto event_uuid = uuid_of(e.event_id);  // read once: it costs ~300 instructions
      if (accepted_ids_.contains(event_uuid)) {
        ++counters.events_duplicate;
        answer.results.push_back({e.event_id, EventOutcome::Duplicate, std::nullopt, std::nullopt});
        continue;
      }
      if (settings_.lms_check && !registry_.is_registered(e.source.key())) {
        ++counters.unregistered_systems;
        ++counters.events_rejected;
        answer.results.push_back(
            {e.event_id, EventOutcome::Rejected, std::string(kNotInLmsCode),
             fmt::format(
                 "System {} is not registered in Landscape Management: register it (ato-bridge register), "
                 "then send the event again",
                 e.source.key())});
        continue;
      }
      // Persisted before apply() takes the event over.
      if (store_ && !transport_rejects(e)) store_->insert->bind(1, e.event_id).bind(2, to_json(e)).run();
      std::string event_id = e.event_id;
      if (auto rejection = apply(std::move(e), event_uuid, counters)) {
        ++counters.events_rejected;
        answer.results.push_back(
            {std::move(event_id), EventOutcome::Rejected, rejection->first, rejection->second});
        continue;
      }
      ++counters.events_accepted;
      answer.results.push_back({std::move(event_id), EventOutcome::Accepted, std::nullopt, std::nullopt});
    }
    if (tx) tx->commit();
  }
  auto response = net::HttpResponse::json(200, to_json(answer));
  decision.shape(response);
  return response;
}

// Our view of every transport with the history of events that made its status (no token: the
// simulator's own, like /sim/stats). SAP's public view is the Features API's Transports.
net::HttpResponse CloudAlm::transports(const net::HttpRequest& request) {
  if (request.method == "DELETE") {
    std::string system_text;
    const auto system = query_param(request.query, "system", system_text);
    if (!parse_system_ref(system))
      return odata_error(400, "INVALID_SYSTEM",
                         "DELETE /sim/transports?system=SID~client drops one system's events (e.g. a load "
                         "test's LTS~999)",
                         "system");
    const auto [transports, events] = drop_system(std::string(system));
    return net::HttpResponse::json(
        200, fmt::format(R"({{"system":"{}","transports_dropped":{},"events_dropped":{}}})", system,
                         transports, events));
  }
  if (request.method != "GET")
    return odata_error(405, "METHOD_NOT_ALLOWED",
                       "Read transports with GET (DELETE ?system= drops a system's)");
  std::string filter_text, top_text, skip_text;
  const auto filter = query_param(request.query, "$filter", filter_text);
  std::optional<std::string> want_id, want_status;
  // $filter: `id eq '...'`, `status eq '...'`, or both joined by `and`.
  std::string_view rest = filter;
  while (!rest.empty()) {
    const auto and_at = rest.find(" and ");
    const auto term = rest.substr(0, and_at);
    rest = and_at == std::string_view::npos ? std::string_view{} : rest.substr(and_at + 5);
    auto quoted_value = [&](std::string_view prefix) -> std::optional<std::string> {
      if (term.substr(0, prefix.size()) != prefix || term.size() < prefix.size() + 2 || term.back() != '\'')
        return std::nullopt;
      return std::string(term.substr(prefix.size(), term.size() - prefix.size() - 1));
    };
    if (auto v = quoted_value("id eq '"))
      want_id = *v;
    else if (auto s = quoted_value("status eq '"))
      want_status = *s;
    else
      return odata_error(
          400, "BAD_REQUEST",
          fmt::format("Unsupported $filter term '{}': use id eq '...' and/or status eq '...'", term),
          "$filter");
  }
  auto number = [](std::string_view text, std::int64_t fallback) -> std::optional<std::int64_t> {
    if (text.empty()) return fallback;
    std::int64_t v = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || v < 0) return std::nullopt;
    return v;
  };
  const auto top = number(query_param(request.query, "$top", top_text), 100);
  const auto skip = number(query_param(request.query, "$skip", skip_text), 0);
  if (!top || !skip || *top == 0 || *top > 1000)
    return odata_error(400, "BAD_REQUEST", "$top must be 1 to 1000 and $skip a non-negative integer");

  std::string body;
  JsonWriter json(body);
  json.begin_object().field("@odata.context", "$metadata#Transports").key("value").begin_array();
  std::int64_t matched = 0, written = 0;
  {
    std::lock_guard lock(mutex_);
    std::vector<const TransportRecord*> shown;
    for (const auto& [id, t] : transports_) {
      if (!t.exported) continue;  // Cloud ALM knows a transport from its export on
      if ((want_id && id != *want_id) || (want_status && t.status != *want_status)) continue;
      shown.push_back(&t);
    }
    // Pages are stable across requests: transports in id order. Only what this page and the ones
    // before it hold is put in order, not every transport of a large landscape.
    matched = static_cast<std::int64_t>(shown.size());
    const auto page_end = shown.begin() + std::min(std::min(*skip, matched) + *top, matched);
    std::partial_sort(shown.begin(), page_end, shown.end(),
                      [](const auto* a, const auto* b) { return a->id < b->id; });
    for (auto i = static_cast<std::size_t>(std::min(*skip, matched)); i < shown.size() && written < *top;
         ++i) {
      write_transport(json, *shown[i]);
      ++written;
    }
  }
  json.end_array();
  if (*skip + written < matched) {
    std::string next =
        "/sim/transports?$top=" + std::to_string(*top) + "&$skip=" + std::to_string(*skip + written);
    if (!filter.empty()) {
      std::string encoded;
      for (unsigned char c : filter)
        encoded += std::isalnum(c) ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
      next += "&$filter=" + encoded;
    }
    json.field("@odata.nextLink", next);
  }
  json.end_object();
  return net::HttpResponse::json(200, body);
}

net::HttpResponse CloudAlm::journal(const net::HttpRequest& request) const {
  std::string after_text;
  const auto after_param = query_param(request.query, "after", after_text);
  std::size_t after = 0;
  if (!after_param.empty()) {
    const auto [end, ec] =
        std::from_chars(after_param.data(), after_param.data() + after_param.size(), after);
    if (ec != std::errc{} || end != after_param.data() + after_param.size())
      return odata_error(400, "BAD_REQUEST", "after must be a non-negative integer", "after");
  }
  std::string body;
  std::size_t last = 0;
  {
    std::lock_guard lock(mutex_);
    if (after < journal_dropped_)
      return odata_error(
          410, "JOURNAL_TRIMMED",
          fmt::format("Only the newest {} accepted events are kept in memory: events 1 to {} are gone. Read "
                      "from after={}, or start ato-sim with a larger --journal-memory (0 keeps all)",
                      settings_.journal_memory_events, journal_dropped_, journal_dropped_),
          "after");
    for (std::size_t i = after - journal_dropped_; i < journal_.size(); ++i)
      body.append(to_json(journal_[i])).append("\n");
    last = journal_dropped_ + journal_.size();
  }
  net::HttpResponse response;
  response.body = std::move(body);
  response.header("Content-Type", "application/x-ndjson").header("X-Journal-Last", std::to_string(last));
  return response;
}

net::HttpResponse CloudAlm::faults_endpoint(const net::HttpRequest& request) {
  if (request.method == "POST") {
    try {
      faults_.set_rules(parse_fault_spec(request.body));
    } catch (const FaultSpecError& e) {
      return odata_error(400, "BAD_FAULT_SPEC", e.what());
    }
  } else if (request.method != "GET") {
    return odata_error(405, "METHOD_NOT_ALLOWED", "GET shows the faults, POST replaces them");
  }
  std::string body;
  JsonWriter json(body);
  json.begin_object().key("rules").begin_array();
  for (const auto& rule : faults_.rules()) json.value(rule.text);
  json.end_array().end_object();
  return net::HttpResponse::json(200, body);
}

net::HttpResponse CloudAlm::landscape(const net::HttpRequest& request, EpochMillis now) {
  const bool read = request.path == kLmsSystemsPath;
  if (!read && request.path != kLmsRegisterPath && request.path != kLmsOffboardPath)
    return odata_error(404, "NOT_FOUND", fmt::format("No resource at {}", request.path));
  if (request.method != (read ? "GET" : "POST"))
    return odata_error(405, "METHOD_NOT_ALLOWED", read ? "List systems with GET" : "Use POST");
  const auto auth = tokens_.check(request.header("Authorization"), read ? kDisplayScope : kManageScope, now);
  if (auth.verdict != TokenVerdict::Valid) {
    return auth_error(auth);
  }
  if (read) return net::HttpResponse::json(200, lms_systems_json(registry_.list()));
  const bool registering = request.path == kLmsRegisterPath;
  LmsRequest body;
  try {
    body = parse_lms_request(request.body, registering);
  } catch (const JsonError& e) {
    return odata_error(400, "INVALID_REQUEST", e.problem(),
                       e.path().empty() ? std::nullopt : std::optional(e.path()));
  }
  if (!registering) return net::HttpResponse::json(200, to_json(registry_.offboard(body.system)));
  auto outcome = registry_.register_system(body, now);
  if (auto* conflict = std::get_if<std::string>(&outcome)) return odata_error(409, "CONFLICT", *conflict);
  return net::HttpResponse::json(200, to_json(std::get<LmsRegistration>(outcome)));
}

void CloudAlm::reset() {
  std::lock_guard lock(mutex_);
  accepted_ids_.clear();
  transports_.clear();
  journal_.clear();
  journal_dropped_ = 0;
  counters_.clear();
  if (store_) store_->db.exec("DELETE FROM journal");
}

std::pair<std::size_t, std::size_t> CloudAlm::drop_system(const std::string& system) {
  std::lock_guard lock(mutex_);
  std::vector<boost::uuids::uuid> dropped;
  std::size_t transports = 0;
  for (auto& [id, t] : transports_) {
    const bool theirs = t.source == system;
    for (const auto& step : t.history)
      if (theirs || step.source == system) dropped.push_back(step.event_id);
    if (theirs) continue;  // erased below
    std::erase_if(t.history, [&](const TransportRecord::Step& step) { return step.source == system; });
    std::erase_if(t.last_sequence_by_source, [&](const auto& entry) { return entry.first == system; });
  }
  transports = boost::unordered::erase_if(transports_,
                                          [&](const auto& entry) { return entry.second.source == system; });
  for (const auto& id : dropped) accepted_ids_.erase(id);
  std::erase_if(journal_, [&](const AtoEvent& e) { return e.source.key() == system; });
  if (store_) {
    sqlite::Transaction tx(store_->db);
    sqlite::Statement remove(store_->db, "DELETE FROM journal WHERE event_id = ?");
    for (const auto& id : dropped) {
      remove.bind(1, boost::uuids::to_string(id)).run();
      remove.reset();
    }
    tx.commit();
  }
  return {transports, dropped.size()};
}

std::optional<TransportRecord> CloudAlm::transport(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = transports_.find(id);
  if (it == transports_.end()) return std::nullopt;
  return it->second;
}

std::string CloudAlm::stats_json() const {
  const auto faults_by_endpoint = faults_.injected_by_endpoint();
  std::string out;
  JsonWriter json(out);
  std::lock_guard lock(mutex_);
  Counters total;
  for (const auto& [service, c] : counters_) {
    total.packages_received += c.packages_received;
    total.events_accepted += c.events_accepted;
    total.events_duplicate += c.events_duplicate;
    total.events_rejected += c.events_rejected;
    total.order_violations += c.order_violations;
    total.unknown_transports += c.unknown_transports;
    total.auth_failures += c.auth_failures;
    total.unregistered_systems += c.unregistered_systems;
  }
  auto write_counters = [&](const Counters& c) {
    json.field("packages_received", c.packages_received)
        .field("events_accepted", c.events_accepted)
        .field("events_duplicate", c.events_duplicate)
        .field("events_rejected", c.events_rejected)
        .field("order_violations", c.order_violations)
        .field("unknown_transports", c.unknown_transports)
        .field("unregistered_systems", c.unregistered_systems)
        .field("auth_failures", c.auth_failures);
  };
  json.begin_object();
  write_counters(total);
  json.field("tokens_issued", tokens_.tokens_issued())
      .field("token_requests_rejected", tokens_.requests_rejected())
      .field("faults_injected", faults_.injected_total())
      .field("transports", static_cast<std::int64_t>(transports_.size()))
      .field("journal_size", static_cast<std::int64_t>(journal_dropped_ + journal_.size()));
  json.key("per_service").begin_object();
  for (Service s : {Service::Export, Service::Import, Service::StatusChange}) {
    auto it = counters_.find(s);
    json.key(to_string(s)).begin_object();
    write_counters(it == counters_.end() ? Counters{} : it->second);
    std::string endpoint = "push." + std::string(to_string(s));
    for (auto& c : endpoint) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto f = faults_by_endpoint.find(endpoint);
    json.field("faults_injected", f == faults_by_endpoint.end() ? std::int64_t{0} : f->second).end_object();
  }
  json.end_object().key("faults_by_endpoint").begin_object();
  for (const auto& [endpoint, n] : faults_by_endpoint) json.field(endpoint, n);
  json.end_object().end_object();
  return out;
}

}  // namespace ato::sim
