#include "core/wire.hpp"

#include <limits>

#include "core/json_reader.hpp"

namespace ato {
namespace {

// simdjson's parser owns the DOM and its buffers. One parser per thread is reused by every read
// below (allocating fresh buffers per document cost more than parsing a push package); each read
// turns the DOM into C++ values before it returns, so no DOM outlives the next parse.
struct Document {
  simdjson::dom::element root;
  explicit Document(std::string_view json) {
    thread_local simdjson::dom::parser parser;
    root = parse_json(parser, json);
  }
  JsonObjectReader object() const { return JsonObjectReader(root, ""); }
};

std::string read_uuid(const JsonObjectReader& o, std::string_view key) {
  std::string id(o.string(key));
  if (!is_valid_event_id(id)) throw JsonError(o.path_of(key), "expected a lowercase UUID");
  return id;
}

std::vector<AtoEvent> read_events(const JsonArrayReader& array) {
  std::vector<AtoEvent> events;
  events.reserve(array.size());
  array.for_each_object([&](const JsonObjectReader& o, std::size_t) { events.push_back(parse_event(o)); });
  return events;
}

void write_events(JsonWriter& json, std::string_view key, const std::vector<AtoEvent>& events) {
  json.key(key).begin_array();
  for (const auto& e : events) write_event(json, e);
  json.end_array();
}

}  // namespace

FeedPage parse_feed_page(std::string_view json) {
  Document doc(json);
  const auto o = doc.object();
  o.only_keys({"@odata.context", "@odata.count", "@odata.nextLink", "@ato.headSequence", "value"});
  FeedPage page;
  if (auto context = o.optional_string("@odata.context")) page.context = std::string(*context);
  page.count = o.optional_integer("@odata.count", 0, kMaxSequence);
  if (auto next = o.optional_string("@odata.nextLink")) page.next_link = std::string(*next);
  page.head_sequence = o.integer("@ato.headSequence", 0, kMaxSequence);
  page.events = read_events(o.array("value"));
  for (std::size_t i = 0; i < page.events.size(); ++i) {
    if (page.events[i].sequence > page.head_sequence)
      throw JsonError(index_path("value", i) + ".sequence", "is above @ato.headSequence");
    if (i > 0 && page.events[i].sequence <= page.events[i - 1].sequence)
      throw JsonError(index_path("value", i) + ".sequence", "events must be in ascending sequence order");
  }
  return page;
}

std::string to_json(const FeedPage& page) {
  return json_object_text([&](JsonWriter& json) {
    if (page.context) json.field("@odata.context", *page.context);
    if (page.count) json.field("@odata.count", *page.count);
    json.field("@ato.headSequence", page.head_sequence);
    write_events(json, "value", page.events);
    if (page.next_link) json.field("@odata.nextLink", *page.next_link);
  });
}

PushPackage parse_push_package(std::string_view json) {
  Document doc(json);
  const auto o = doc.object();
  o.only_keys({"packageId", "service", "sentAt", "events"});
  PushPackage package;
  package.package_id = read_uuid(o, "packageId");
  package.service = read_enum(o, "service", kServiceNames);
  package.sent_at = o.timestamp("sentAt");
  const auto events = o.array("events");
  if (events.size() == 0) throw JsonError(events.path(), "must hold at least one event");
  package.events = read_events(events);
  for (std::size_t i = 0; i < package.events.size(); ++i) {
    if (package.events[i].service != package.service)
      throw JsonError(events.path_of(i) + ".service",
                      "expected " + std::string(to_string(package.service)) + " (the package's service)");
  }
  return package;
}

std::string to_json(const PushPackage& package) {
  return json_object_text(
      [&](JsonWriter& json) {
        json.field("packageId", package.package_id)
            .field("service", to_string(package.service))
            .field("sentAt", format_iso8601_utc(package.sent_at));
        write_events(json, "events", package.events);
      },
      64 + package.events.size() * 512);
}

PushResponse parse_push_response(std::string_view json) {
  Document doc(json);
  const auto o = doc.object();
  PushResponse response;
  response.unknown_fields += static_cast<std::int64_t>(o.unknown_keys({"packageId", "results"}));
  response.package_id = read_uuid(o, "packageId");
  o.array("results").for_each_object([&](const JsonObjectReader& r, std::size_t) {
    response.unknown_fields +=
        static_cast<std::int64_t>(r.unknown_keys({"eventId", "result", "code", "message"}));
    EventResult result;
    result.event_id = read_uuid(r, "eventId");
    result.outcome = read_enum(r, "result", kEventOutcomeNames);
    if (auto code = r.optional_string("code")) result.code = std::string(*code);
    if (auto message = r.optional_string("message")) result.message = std::string(*message);
    if (result.outcome == EventOutcome::Rejected) {
      if (!result.code) throw JsonError(r.path_of("code"), "missing (required when result is rejected)");
      if (!result.message)
        throw JsonError(r.path_of("message"), "missing (required when result is rejected)");
    }
    response.results.push_back(std::move(result));
  });
  return response;
}

std::string to_json(const PushResponse& response) {
  return json_object_text(
      [&](JsonWriter& json) {
        json.field("packageId", response.package_id).key("results").begin_array();
        for (const auto& r : response.results) {
          json.begin_object()
              .field("eventId", r.event_id)
              .field("result", name_of(kEventOutcomeNames, r.outcome));
          if (r.code) json.field("code", *r.code);
          if (r.message) json.field("message", *r.message);
          json.end_object();
        }
        json.end_array();
      },
      64 + response.results.size() * 80);
}

TokenResponse parse_token_response(std::string_view json) {
  Document doc(json);
  const auto o = doc.object();
  TokenResponse token;
  token.access_token = o.string("access_token");
  token.token_type = o.string("token_type");
  if (token.token_type != "bearer" && token.token_type != "Bearer")
    throw JsonError("token_type", "expected bearer");
  // At least a second: a token that expires at once would be fetched again for every push.
  token.expires_in = o.integer("expires_in", 1, 10LL * 366 * 86400);
  token.scope = o.optional_string("scope").value_or("");
  token.jti = o.optional_string("jti").value_or("");
  return token;
}

std::string to_json(const TokenResponse& token) {
  return json_object_text([&](JsonWriter& json) {
    json.field("access_token", token.access_token)
        .field("token_type", token.token_type)
        .field("expires_in", token.expires_in);
    // Optional fields only when set: the reader refuses an empty string where one is given.
    if (!token.scope.empty()) json.field("scope", token.scope);
    if (!token.jti.empty()) json.field("jti", token.jti);
  });
}

TokenError parse_token_error(std::string_view json) {
  Document doc(json);
  const auto o = doc.object();
  o.only_keys({"error", "error_description"});
  TokenError error{std::string(o.string("error")), std::nullopt};
  if (auto d = o.optional_string("error_description")) error.description = std::string(*d);
  return error;
}

std::string to_json(const TokenError& error) {
  return json_object_text([&](JsonWriter& json) {
    json.field("error", error.error);
    if (error.description) json.field("error_description", *error.description);
  });
}

ODataError parse_odata_error(std::string_view json) {
  Document doc(json);
  const auto root = doc.object();
  root.only_keys({"error"});
  const auto o = root.object("error");
  o.only_keys({"code", "message", "target", "details"});
  ODataError error{std::string(o.string("code")), std::string(o.string("message")), std::nullopt, {}};
  if (auto t = o.optional_string("target")) error.target = std::string(*t);
  if (auto details = o.optional_array("details")) {
    details->for_each_object([&](const JsonObjectReader& d, std::size_t) {
      d.only_keys({"code", "message", "target"});
      ODataErrorDetail detail{std::string(d.string("code")), std::string(d.string("message")), std::nullopt};
      if (auto t = d.optional_string("target")) detail.target = std::string(*t);
      error.details.push_back(std::move(detail));
    });
  }
  return error;
}

std::string to_json(const ODataError& error) {
  std::string out;
  JsonWriter json(out);
  json.begin_object().key("error").begin_object().field("code", error.code).field("message", error.message);
  if (error.target) json.field("target", *error.target);
  if (!error.details.empty()) {
    json.key("details").begin_array();
    for (const auto& d : error.details) {
      json.begin_object().field("code", d.code).field("message", d.message);
      if (d.target) json.field("target", *d.target);
      json.end_object();
    }
    json.end_array();
  }
  json.end_object().end_object();
  return out;
}

bool is_valid_alm_status(std::string_view status) {
  if (status == "Released" || status == "Repaired") return true;
  for (std::string_view prefix : {"Scheduled In ", "Deployed in ", "Failed in "})
    if (status.substr(0, prefix.size()) == prefix)
      return parse_system_ref(status.substr(prefix.size())).has_value();
  return false;
}

TransportsPage parse_transports_page(std::string_view json) {
  Document doc(json);
  const auto o = doc.object();
  o.only_keys({"@odata.context", "@odata.nextLink", "value"});
  o.optional_string("@odata.context");
  TransportsPage page;
  if (auto next = o.optional_string("@odata.nextLink")) page.next_link = std::string(*next);
  auto read_status = [](const JsonObjectReader& r) {
    std::string status(r.string("status"));
    if (!is_valid_alm_status(status))
      throw JsonError(r.path_of("status"), "expected a Cloud ALM transport status like Deployed in S4P~100");
    return status;
  };
  o.array("value").for_each_object([&](const JsonObjectReader& t, std::size_t) {
    t.only_keys({"id", "status", "history"});
    TransportView view;
    view.id = t.string("id");
    if (!is_valid_transport_id(view.id))
      throw JsonError(t.path_of("id"), "expected a transport ID like S4HK901598");
    view.status = read_status(t);
    const auto history = t.array("history");
    if (history.size() == 0) throw JsonError(history.path(), "must hold at least one step");
    history.for_each_object([&](const JsonObjectReader& h, std::size_t) {
      h.only_keys({"source", "sequence", "eventId", "service", "status", "occurredAt"});
      const auto source = parse_system_ref(h.string("source"));
      if (!source) throw JsonError(h.path_of("source"), "expected SID~client, like S4T~100");
      // A step that arrived before its transport's export may leave no status yet.
      std::string_view shown;
      if (h.raw()["status"].get_string().get(shown))
        throw JsonError(h.path_of("status"), "expected a string");
      std::string status(shown);
      if (!status.empty()) status = read_status(h);
      view.history.push_back({source->key(), h.integer("sequence", 1, kMaxSequence), read_uuid(h, "eventId"),
                              read_enum(h, "service", kServiceNames), std::move(status),
                              h.timestamp("occurredAt")});
    });
    page.transports.push_back(std::move(view));
  });
  return page;
}

namespace {

constexpr std::int64_t kMaxCount = std::numeric_limits<std::int64_t>::max();

SimCounters read_counters(const JsonObjectReader& o) {
  return {o.integer("packages_received", 0, kMaxCount),    o.integer("events_accepted", 0, kMaxCount),
          o.integer("events_duplicate", 0, kMaxCount),     o.integer("events_rejected", 0, kMaxCount),
          o.integer("order_violations", 0, kMaxCount),     o.integer("unknown_transports", 0, kMaxCount),
          o.integer("unregistered_systems", 0, kMaxCount), o.integer("auth_failures", 0, kMaxCount),
          o.integer("faults_injected", 0, kMaxCount)};
}

}  // namespace

SimStats parse_sim_stats(std::string_view json) {
  Document doc(json);
  const auto o = doc.object();
  o.only_keys({"packages_received", "events_accepted", "events_duplicate", "events_rejected",
               "order_violations", "unknown_transports", "unregistered_systems", "auth_failures",
               "tokens_issued", "token_requests_rejected", "faults_injected", "transports", "journal_size",
               "per_service", "faults_by_endpoint"});
  SimStats stats;
  stats.total = read_counters(o);
  stats.tokens_issued = o.integer("tokens_issued", 0, kMaxCount);
  stats.token_requests_rejected = o.integer("token_requests_rejected", 0, kMaxCount);
  stats.transports = o.integer("transports", 0, kMaxCount);
  stats.journal_size = o.integer("journal_size", 0, kMaxCount);
  const auto per = o.object("per_service");
  per.only_keys({"EXPORT", "IMPORT", "STATUS_CHANGE"});
  for (Service s : {Service::Export, Service::Import, Service::StatusChange}) {
    const auto c = per.object(to_string(s));
    c.only_keys({"packages_received", "events_accepted", "events_duplicate", "events_rejected",
                 "order_violations", "unknown_transports", "unregistered_systems", "auth_failures",
                 "faults_injected"});
    stats.per_service[s] = read_counters(c);
  }
  const auto faults = o.object("faults_by_endpoint");
  faults.only_keys({"token", "push.export", "push.import", "push.status_change", "ato.feed"});
  for (auto field : faults.raw())
    stats.faults_by_endpoint[std::string(field.key)] = faults.integer(field.key, 0, kMaxCount);
  return stats;
}

AtoEvent parse_recording_line(std::string_view line) {
  return parse_event_json(line);
}

}  // namespace ato
