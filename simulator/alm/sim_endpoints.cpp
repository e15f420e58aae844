// The simulator's own endpoints of the fake Cloud ALM, over its store.
#include "simulator/alm/sim_endpoints.hpp"

#include <fmt/format.h>

#include <boost/uuid/uuid_io.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/json_writer.hpp"
#include "core/wire.hpp"
#include "simulator/alm/alm_settings.hpp"
#include "simulator/alm/alm_store.hpp"
#include "simulator/alm/token_authority.hpp"
#include "simulator/faults.hpp"
#include "simulator/odata.hpp"

namespace ato::sim {
namespace {

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

std::optional<net::HttpResponse> SimEndpoints::handle(const net::HttpRequest& request) {
  if (request.path == "/sim/transports") return transports(request);
  if (request.path == "/sim/stats") return net::HttpResponse::json(200, stats_json());
  if (request.path == "/sim/journal") return journal(request);
  if (request.path == "/sim/faults") return faults(request);
  if (request.path == "/sim/reset") {
    if (request.method != "POST") return odata_error(405, "METHOD_NOT_ALLOWED", "Reset with POST");
    store_.lock()->reset();
    return net::HttpResponse::json(200, R"({"reset":true})");
  }
  return std::nullopt;
}

// Our view of every transport with the history of events that made its status (no token: the
// simulator's own, like /sim/stats). SAP's public view is the Features API's Transports.
net::HttpResponse SimEndpoints::transports(const net::HttpRequest& request) {
  if (request.method == "DELETE") {
    std::string system_text;
    const auto system = query_param(request.query, "system", system_text);
    if (!parse_system_ref(system))
      return odata_error(400, "INVALID_SYSTEM",
                         "DELETE /sim/transports?system=SID~client drops one system's events (e.g. a load "
                         "test's LTS~999)",
                         "system");
    const auto [transports, events] = store_.lock()->drop_system(std::string(system));
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
    const auto state = store_.lock();
    std::vector<const TransportRecord*> shown;
    for (const auto& [id, t] : state->transports()) {
      if (!t.listed()) continue;  // Cloud ALM knows a transport from its export on, or its creation
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

net::HttpResponse SimEndpoints::journal(const net::HttpRequest& request) {
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
    const auto state = store_.lock();
    const std::size_t dropped = state->journal_first();
    const auto& events = state->journal();
    if (after < dropped)
      return odata_error(
          410, "JOURNAL_TRIMMED",
          fmt::format("Only the newest {} accepted events are kept in memory: events 1 to {} are gone. Read "
                      "from after={}, or start ato-sim with a larger --journal-memory (0 keeps all)",
                      settings_.journal_memory_events, dropped, dropped),
          "after");
    for (std::size_t i = after - dropped; i < events.size(); ++i)
      body.append(to_json(events[i])).append("\n");
    last = dropped + events.size();
  }
  net::HttpResponse response;
  response.body = std::move(body);
  response.header("Content-Type", "application/x-ndjson").header("X-Journal-Last", std::to_string(last));
  return response;
}

net::HttpResponse SimEndpoints::faults(const net::HttpRequest& request) {
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

std::string SimEndpoints::stats_json() {
  const auto faults_by_endpoint = faults_.injected_by_endpoint();
  std::string out;
  JsonWriter json(out);
  const auto state = store_.lock();
  const auto& counters = state->counters();
  AlmCounters total;
  for (const auto& [service, c] : counters) total += c;
  auto write_counters = [&](const AlmCounters& c) {
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
      .field("transports", static_cast<std::int64_t>(state->transports().size()))
      .field("journal_size", static_cast<std::int64_t>(state->journal_first() + state->journal().size()));
  json.key("per_service").begin_object();
  for (Service s : {Service::Export, Service::Import, Service::StatusChange}) {
    auto it = counters.find(s);
    json.key(to_string(s)).begin_object();
    write_counters(it == counters.end() ? AlmCounters{} : it->second);
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
