#include "simulator/alm/features_api.hpp"

#include <fmt/format.h>

#include "core/json_writer.hpp"
#include "simulator/alm/alm_store.hpp"
#include "simulator/alm/answers.hpp"
#include "simulator/alm/features_model.hpp"
#include "simulator/odata.hpp"

namespace ato::sim {
namespace {

constexpr std::string_view kReadScope = "calm-api.features.read";
constexpr std::string_view kWriteScope = "calm-api.features.write";

// Every row of a set (by name) as the store holds it now; the caller holds the store's lock.
std::vector<ODataEntity> features_rows(const AlmState& state, const std::string& set) {
  std::vector<ODataEntity> rows;
  const FeatureStore& features = state.features();
  if (set == "Features") {
    for (const auto& f : features.features) rows.push_back(feature_entity(f, state.effective_status(f)));
  } else if (set == "Transports") {
    for (const auto& [id, t] : state.transports())
      if (t.listed())
        rows.push_back(transport_entity(id, t, features));  // from its export, or its creation here
  } else if (set == "TransportReferences") {
    for (const auto& r : features.references) rows.push_back(transport_reference_entity(r));
  } else if (set == "URLReferences") {
    for (const auto& r : features.url_references) rows.push_back(url_reference_entity(r));
  } else if (set == "ExternalReferences") {
    for (const auto& r : features.external_references) rows.push_back(external_reference_entity(r));
  } else if (set == "TaskAssignments") {
    for (const auto& t : features.task_assignments) rows.push_back(task_assignment_entity(t));
  } else if (set == "FeatureStatus") {
    for (const auto& s : kFeatureStatuses) rows.push_back({std::string(s.code), std::string(s.name)});
  } else if (set == "FeaturePriorities") {
    for (const auto& p : kFeaturePriorities) rows.push_back({std::to_string(p.code), std::string(p.name)});
  }
  return rows;
}

}  // namespace

FeaturesApi::FeaturesApi(AlmStore& store, TokenAuthority& tokens, std::string sandbox_api_key,
                         std::int64_t page_size)
    : store_(store),
      tokens_(tokens),
      service_(features_model(), std::string(kRoot), page_size),
      sandbox_(features_model(), std::string(kSandboxRoot), page_size),
      sandbox_api_key_(std::move(sandbox_api_key)) {}

net::HttpResponse FeaturesApi::handle_sandbox(const net::HttpRequest& request) {
  // SAP's sandbox answers a missing or wrong key with its gateway's fault, not an OData error.
  const auto key = request.header("APIKey");
  if (sandbox_api_key_.empty() || key.empty() || !constant_time_equal(key, sandbox_api_key_)) {
    auto refused = net::HttpResponse::json(
        401, json_object_text([&](JsonWriter& json) {
          json.key("fault")
              .begin_object()
              .field("faultstring", key.empty() ? "Failed to resolve API Key variable request.header.apikey"
                                                : "Invalid ApiKey")
              .key("detail")
              .begin_object()
              .field("errorcode",
                     key.empty() ? "steps.oauth.v2.FailedToResolveAPIKey" : "oauth.v2.InvalidApiKey")
              .end_object()
              .end_object();
        }));
    return refused;
  }
  if (request.method != "GET" && request.method != "HEAD")
    return odata_error(405, "METHOD_NOT_ALLOWED",
                       "The API sandbox is read-only: write with OAuth at /api/calm-features/v1");
  std::string_view rest = std::string_view(request.path).substr(kSandboxRoot.size());
  if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  return sandbox_.read(rest, request.query, [&](const ODataEntitySet& set) {
    const auto state = store_.lock();
    return features_rows(*state, set.name);
  });
}

net::HttpResponse FeaturesApi::handle(const net::HttpRequest& request, EpochMillis now) {
  auto response = answer(request, now);
  // SAP's OData services hand a CSRF token to `x-csrf-token: Fetch` (SAP Cloud SDK asks before every
  // write and warns when none comes). A bearer token is no cookie, so writes do not need it back.
  if (net::iequals(request.header("x-csrf-token"), "fetch")) response.header("x-csrf-token", csrf_token_);
  return response;
}

net::HttpResponse FeaturesApi::answer(const net::HttpRequest& request, EpochMillis now) {
  const bool write = request.method != "GET" && request.method != "HEAD";
  // The public API's scopes; the integration's display scope also reads, as Cloud ALM's own UI does.
  auto auth = tokens_.check(request.header("Authorization"), write ? kWriteScope : kReadScope, now);
  if (!write && auth.verdict == TokenVerdict::MissingScope)
    auth = tokens_.check(request.header("Authorization"), kDisplayScope, now);
  if (auth.verdict != TokenVerdict::Valid) return auth_error(auth);

  std::string_view rest = std::string_view(request.path).substr(kRoot.size());
  if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  const auto rows = [&](const ODataEntitySet& set) {
    const auto state = store_.lock();
    return features_rows(*state, set.name);
  };
  if (!write) return service_.read(rest, request.query, rows);
  if (rest.empty() || rest == "$metadata")
    return odata_error(405, "METHOD_NOT_ALLOWED", fmt::format("{} is read with GET", request.path));
  auto resource = parse_resource_path(rest, service_.model());
  if (auto* problem = std::get_if<ODataPathError>(&resource))
    return odata_error(problem->status, problem->status == 404 ? "NOT_FOUND" : "BAD_REQUEST",
                       problem->message);
  if (request.method != "DELETE")
    if (auto refused = refuse_non_json(request)) return *refused;
  return this->write(request, std::get<ODataResource>(resource), now);
}

net::HttpResponse FeaturesApi::write(const net::HttpRequest& request, const ODataResource& resource,
                                     EpochMillis now) {
  const auto& set = *resource.set;
  const auto key_text = [&] {
    return resource.key ? std::get<std::string>(resource.key->front()) : std::string();
  };
  const auto not_allowed = [&](std::string_view what) {
    return odata_error(405, "METHOD_NOT_ALLOWED", fmt::format("{} {}", request.method, what));
  };
  if (resource.action) {
    if (request.method != "POST") return not_allowed("does not call an action: use POST");
    if (resource.action->name == "createTransport") return create_transport(request, key_text(), now);
    return deploy_feature(request, key_text(), now);
  }
  if (resource.navigation || resource.count) return not_allowed("is not served on a navigation or a count");
  if (!resource.key) {
    if (request.method != "POST" || !set.insertable)
      return not_allowed(fmt::format("on {}: {} are read-only here", set.name, set.name));
    if (set.name == "Features") return create_feature(request, now);
    if (set.name == "TransportReferences") return assign_transport(request, now);
    if (set.name == "URLReferences") return add_url_reference(request, now);
    return add_external_reference(request);
  }
  if (request.method == "PATCH" && set.updatable) return change_feature(request, key_text(), now);
  if (request.method == "DELETE" && set.deletable) return remove(resource);
  return not_allowed(fmt::format("is not served on one of {}", set.name));
}

}  // namespace ato::sim
