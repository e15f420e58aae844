#include "simulator/ato/feed.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "core/base64.hpp"
#include "core/json_reader.hpp"
#include "core/json_writer.hpp"
#include "core/wire.hpp"
#include "simulator/ato/feed_metadata.hpp"
#include "simulator/ato/feed_tenant.hpp"
#include "simulator/odata.hpp"
#include "simulator/odata/query.hpp"

namespace ato::sim {
namespace {

struct FeedQuery {
  std::optional<Service> service;
  std::int64_t after = 0;
  int top = 0;
  bool count = false;
};

// $filter: `service eq 'EXPORT'`, `sequence gt N`, joined by `and`. Anything else is refused, so a
// client never silently gets more (or less) than it asked for.
std::optional<std::string> parse_filter(std::string_view filter, FeedQuery& q) {
  while (!filter.empty()) {
    const auto and_at = filter.find(" and ");
    const auto term = filter.substr(0, and_at);
    filter = and_at == std::string_view::npos ? std::string_view{} : filter.substr(and_at + 5);
    if (term.substr(0, 12) == "service eq '" && term.size() > 13 && term.back() == '\'') {
      q.service = value_of(kServiceNames, term.substr(12, term.size() - 13));
      if (!q.service) return fmt::format("unknown service in '{}' (EXPORT, IMPORT, STATUS_CHANGE)", term);
    } else if (term.substr(0, 12) == "sequence gt ") {
      const auto n = term.substr(12);
      const auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), q.after);
      if (ec != std::errc{} || end != n.data() + n.size() || q.after < 0)
        return fmt::format("'{}': expected a non-negative integer", term);
    } else {
      return fmt::format("unsupported $filter term '{}': use service eq '...' and/or sequence gt N", term);
    }
  }
  return std::nullopt;
}

std::string encode_query_value(std::string_view text) {
  std::string out;
  for (unsigned char c : text)
    out += (std::isalnum(c) || c == '-' || c == '_' || c == '.') ? std::string(1, static_cast<char>(c))
                                                                 : fmt::format("%{:02X}", c);
  return out;
}

}  // namespace

std::string tenant_prefix(std::string_view tenant) {
  return fmt::format("/tenants/{}", tenant);
}

AtoFeed::AtoFeed(FeedSettings settings, std::unique_ptr<EventSource> source, FaultInjector& faults)
    : settings_(std::move(settings)),
      source_(std::move(source)),
      faults_(faults),
      started_at_(now_epoch_millis()) {
  for (const auto& t : settings_.tenants) {
    auto tenant = std::make_unique<Tenant>();
    tenant->settings = t;
    tenant->name = t.system.key();
    tenant->prefix = tenant_prefix(tenant->name);
    tenant->active = t.activation.kind == Activation::Kind::FromStart;
    tenants_.push_back(std::move(tenant));
  }
}

AtoFeed::~AtoFeed() = default;

std::int64_t AtoFeed::head(const std::string& name) const {
  std::lock_guard lock(mutex_);
  for (const auto& t : tenants_)
    if (t->name == name) return t->head();
  return 0;
}

AtoFeed::Tenant* AtoFeed::tenant_of(const SystemRef& system) {
  for (auto& t : tenants_)
    if (t->settings.system == system) return t.get();
  return nullptr;
}

void AtoFeed::append(Tenant& tenant, AtoEvent event, bool keep_sequence) {
  if (!tenant.records(event)) {
    ++tenant.not_activated;
    return;
  }
  if (!keep_sequence || event.sequence <= tenant.head()) event.sequence = tenant.head() + 1;
  ++tenant.counts[static_cast<int>(event.service)];
  tenant.json.push_back(to_json(event));
  history_.push_back(tenant.json.back());
  tenant.events.push_back(std::move(event));
}

void AtoFeed::advance(EpochMillis wall_now) {
  for (auto& e : source_->due(wall_now)) {
    Tenant* tenant = tenant_of(e.source);
    if (tenant) append(*tenant, std::move(e), source_->keeps_sequences());
  }
}

std::optional<std::string> AtoFeed::role_of(const std::string& system) const {
  for (const auto& s : settings_.systems)
    if (s.system.key() == system) return std::string(name_of(kSystemRoleNames, s.role));
  return std::nullopt;
}

net::HttpResponse AtoFeed::handle(const net::HttpRequest& request) {
  if (request.path == "/sim/ato/events") return inject(request);
  if (request.path == "/sim/ato/stats") return stats();
  if (request.path == "/sim/ato/history.ndjson") return history();
  constexpr std::string_view kTransports = "/sim/ato/transports/";
  if (request.path.starts_with(kTransports) && request.path.ends_with("/release") &&
      request.path.size() > kTransports.size() + 8)
    return release(std::string_view(request.path)
                       .substr(kTransports.size(), request.path.size() - kTransports.size() - 8),
                   request);
  constexpr std::string_view kActivate = "/sim/ato/tenants/";
  if (request.path.starts_with(kActivate) && request.path.ends_with("/activate"))
    return activate(
        std::string_view(request.path).substr(kActivate.size(), request.path.size() - kActivate.size() - 9),
        request);
  for (auto& t : tenants_)
    if (request.path.starts_with(t->prefix) && request.path.size() > t->prefix.size() &&
        request.path[t->prefix.size()] == '/')
      return tenant_request(*t, request, std::string_view(request.path).substr(t->prefix.size()));
  if (request.path == kFeedPath || request.path == kSystemsPath) {
    std::string where;
    for (const auto& t : tenants_) where += (where.empty() ? "" : ", ") + t->prefix + std::string(kFeedPath);
    return odata_error(
        404, "NOT_FOUND",
        fmt::format("Each tenant has a feed of its own (one SAP_COM_0690 arrangement per tenant): {}",
                    where));
  }
  return odata_error(404, "NOT_FOUND", fmt::format("No resource at {}", request.path));
}

net::HttpResponse AtoFeed::tenant_request(Tenant& tenant, const net::HttpRequest& request,
                                          std::string_view path) {
  const bool count =
      path.size() == kFeedPath.size() + 7 && path.starts_with(kFeedPath) && path.ends_with("/$count");
  auto response = path == kFeedPath || count ? feed(tenant, request, count)
                  : path == kSystemsPath     ? systems(tenant, request)
                  : path == kMetadataPath
                      ? metadata(tenant, request)
                      : odata_error(404, "NOT_FOUND", fmt::format("No resource at {}", request.path));
  response.header("OData-Version", "4.0");  // an OData v4 service: every answer says so, errors too
  return response;
}

namespace {

net::HttpResponse unauthorized() {
  auto response = odata_error(401, "UNAUTHORIZED", "Wrong or missing credentials of the communication user");
  response.header("WWW-Authenticate", "Basic realm=\"SAP S/4HANA Cloud (ato-sim)\"");
  return response;
}

}  // namespace

net::HttpResponse AtoFeed::metadata(const Tenant& tenant, const net::HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD")
    return odata_error(405, "METHOD_NOT_ALLOWED", "Read $metadata with GET");
  if (!tenant.authorized(request)) return unauthorized();
  net::HttpResponse response;
  response.body = std::string(feed_metadata_xml());
  response.header("Content-Type", "application/xml");
  return response;
}

net::HttpResponse AtoFeed::systems(const Tenant& tenant, const net::HttpRequest& request) {
  if (request.method != "GET") return odata_error(405, "METHOD_NOT_ALLOWED", "Read the systems with GET");
  if (!tenant.authorized(request)) return unauthorized();
  if (auto problem =
          refuse_unserved_options(request.query, {"$format"}, "the landscape's systems are one short list"))
    return odata_error(400, "BAD_REQUEST", problem->message, problem->option);
  return net::HttpResponse::json(200, ato_systems_json(settings_.systems));
}

net::HttpResponse AtoFeed::feed(Tenant& tenant, const net::HttpRequest& request, bool count_only) {
  const EpochMillis now = now_epoch_millis();
  const auto decision = faults_.decide("ato.feed");
  if (decision.status) {
    auto response = odata_error(*decision.status, "SERVICE_UNAVAILABLE", "Injected by ato-sim (--faults)");
    if (decision.retry_after) response.header("Retry-After", *decision.retry_after);
    decision.shape(response);
    return response;
  }
  if (auto window = faults_.periodic("ato.feed", FaultKind::UpgradeWindow)) {
    const auto offset = now - started_at_;
    if (offset >= window->min.count() && offset < window->max.count()) {
      faults_.count("ato.feed", 1);
      auto response = odata_error(503, "UPGRADE_PREPARATION", std::string(kUpgradeMessage));
      response.header("Retry-After", std::to_string((window->max.count() - offset + 999) / 1000));
      return response;
    }
  }
  if (request.method != "GET") return odata_error(405, "METHOD_NOT_ALLOWED", "Read the feed with GET");
  if (!tenant.authorized(request)) return unauthorized();
  // Never an option ignored: the feed is read in sequence order, page by page.
  const std::vector<std::string_view> served =
      count_only ? std::vector<std::string_view>{"$filter"}
                 : std::vector<std::string_view>{"$filter", "$top", "$count", "$format"};
  if (auto problem = refuse_unserved_options(
          request.query, served,
          "the feed is read in sequence order, page by page by its @odata.nextLink ($filter=sequence gt N)"))
    return odata_error(400, "BAD_REQUEST", problem->message, problem->option);
  if (auto format = net::form_value(request.query, "$format"); format && *format != "json")
    return odata_error(400, "BAD_REQUEST", fmt::format("$format: '{}': only json is served", *format),
                       "$format");
  FeedQuery q;
  q.top = settings_.default_page_size;
  if (auto filter = net::form_value(request.query, "$filter")) {
    if (auto problem = parse_filter(*filter, q)) return odata_error(400, "BAD_REQUEST", *problem, "$filter");
  }
  if (auto top = net::form_value(request.query, "$top")) {
    int value = 0;
    const auto [end, ec] = std::from_chars(top->data(), top->data() + top->size(), value);
    if (ec != std::errc{} || end != top->data() + top->size() || value < 1 || value > settings_.max_page_size)
      return odata_error(400, "BAD_REQUEST", fmt::format("$top must be 1 to {}", settings_.max_page_size),
                         "$top");
    q.top = value;
  }
  if (auto count = net::form_value(request.query, "$count")) {
    if (*count != "true" && *count != "false")
      return odata_error(400, "BAD_REQUEST", "$count must be true or false", "$count");
    q.count = *count == "true";
  }

  std::string body;
  JsonWriter json(body);
  std::lock_guard lock(mutex_);
  advance(now);
  const auto& events = tenant.events;
  auto it = std::upper_bound(events.begin(), events.end(), q.after,
                             [](std::int64_t after, const AtoEvent& e) { return after < e.sequence; });
  if (count_only) {
    net::HttpResponse response;
    response.body = std::to_string(std::count_if(
        it, events.end(), [&](const AtoEvent& e) { return !q.service || e.service == *q.service; }));
    response.header("Content-Type", "text/plain");
    return response;
  }
  json.begin_object().field("@odata.context", "$metadata#Events");
  if (q.count) {
    std::int64_t n = 0;
    for (auto c = it; c != events.end(); ++c) n += !q.service || c->service == *q.service;
    json.field("@odata.count", n);
  }
  json.field("@ato.headSequence", tenant.head()).key("value").begin_array();
  int written = 0;
  std::int64_t last = q.after;
  bool more = false;
  for (; it != events.end(); ++it) {
    if (q.service && it->service != *q.service) continue;
    if (written == q.top) {
      more = true;
      break;
    }
    json.raw(tenant.json[static_cast<std::size_t>(it - events.begin())]);
    last = it->sequence;
    ++written;
  }
  json.end_array();
  if (more) {
    std::string filter = fmt::format("sequence gt {}", last);
    if (q.service) filter = fmt::format("service eq '{}' and {}", to_string(*q.service), filter);
    json.field("@odata.nextLink", fmt::format("{}{}{}?$filter={}&$top={}", settings_.base_url, tenant.prefix,
                                              kFeedPath, encode_query_value(filter), q.top));
  }
  json.end_object();
  auto response = net::HttpResponse::json(200, std::move(body));
  decision.shape(response);
  return response;
}

net::HttpResponse AtoFeed::inject(const net::HttpRequest& request) {
  if (request.method != "POST") return odata_error(405, "METHOD_NOT_ALLOWED", "Inject events with POST");
  std::vector<AtoEvent> events;
  try {
    simdjson::dom::parser parser;
    const JsonArrayReader array(parse_json(parser, request.body), "");
    array.for_each_object([&](const JsonObjectReader& o, std::size_t) { events.push_back(parse_event(o)); });
  } catch (const JsonError& e) {
    return odata_error(400, "INVALID_EVENTS", e.what(),
                       e.path().empty() ? std::nullopt : std::optional(e.path()));
  }
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < events.size(); ++i)
    if (!tenant_of(events[i].source)) {
      std::string known;
      for (const auto& t : tenants_) known += (known.empty() ? "" : ", ") + t->name;
      return odata_error(400, "INVALID_EVENTS",
                         fmt::format("event {}: no tenant of this landscape is system {} (tenants: {})", i,
                                     events[i].source.key(), known),
                         fmt::format("[{}].source", i));
    }
  advance(now_epoch_millis());
  std::string body;
  JsonWriter json(body);
  json.begin_object().key("sequences").begin_array();
  for (auto& e : events) {
    Tenant& tenant = *tenant_of(e.source);
    const std::int64_t before = tenant.head();
    append(tenant, std::move(e), false);  // injected events always take the tenant's next sequences
    if (tenant.head() == before)
      json.null();  // not recorded: the tenant's arrangement is not active
    else
      json.value(tenant.head());
  }
  json.end_array().end_object();
  return net::HttpResponse::json(200, body);
}

net::HttpResponse AtoFeed::activate(std::string_view name, const net::HttpRequest& request) {
  if (request.method != "POST") return odata_error(405, "METHOD_NOT_ALLOWED", "Activate with POST");
  std::lock_guard lock(mutex_);
  advance(now_epoch_millis());  // what happened before the activation stays unrecorded
  for (auto& t : tenants_)
    if (t->name == name) {
      const bool was = t->active;
      t->active = true;
      return net::HttpResponse::json(200, fmt::format(R"({{"tenant":"{}","active":true,"was_active":{}}})",
                                                      t->name, was ? "true" : "false"));
    }
  return odata_error(404, "NOT_FOUND", fmt::format("No tenant {}", name));
}

net::HttpResponse AtoFeed::stats() {
  std::string body;
  JsonWriter json(body);
  std::lock_guard lock(mutex_);
  advance(now_epoch_millis());
  std::int64_t totals[3] = {0, 0, 0};
  for (const auto& t : tenants_)
    for (int i = 0; i < 3; ++i) totals[i] += t->counts[i];
  json.begin_object().key("events_generated").begin_object();
  for (Service s : {Service::Export, Service::Import, Service::StatusChange})
    json.field(to_string(s), totals[static_cast<int>(s)]);
  json.end_object().key("tenants").begin_array();
  for (const auto& t : tenants_) {
    json.begin_object().field("name", t->name).field("active", t->active).field("head_sequence", t->head());
    json.key("events_generated").begin_object();
    for (Service s : {Service::Export, Service::Import, Service::StatusChange})
      json.field(to_string(s), t->counts[static_cast<int>(s)]);
    json.end_object().field("events_not_activated", t->not_activated).end_object();
  }
  json.end_array().field("source", source_->describe()).field("generator_done", source_->done()).end_object();
  return net::HttpResponse::json(200, body);
}

net::HttpResponse AtoFeed::history() {
  net::HttpResponse response;
  std::lock_guard lock(mutex_);
  advance(now_epoch_millis());
  for (const auto& line : history_) response.body.append(line).append("\n");
  response.header("Content-Type", "application/x-ndjson");
  return response;
}

}  // namespace ato::sim
