// SAP's public Features API as the fake Cloud ALM serves it (/api/calm-features/v1): Features,
// Transports (read-only), TransportReferences (a transport assigned to a feature), FeatureStatus
// and FeaturePriorities, with $metadata, key access and the OData query options clients use; and
// the deploy of a feature, which asks the fake ATO to import its transports. Names SAP publishes
// are SAP's (entity sets, uuid, displayId, title, statusCode, priorityCode, transportRequest,
// featureUuid); the rest is ours, said so in schema/README.md.
#include <fmt/format.h>

#include <algorithm>

#include "core/json_reader.hpp"
#include "core/json_writer.hpp"
#include "core/time.hpp"
#include "simulator/alm/answers.hpp"
#include "simulator/alm/features_api.hpp"

#include "simulator/alm/alm_store.hpp"
#include "simulator/odata.hpp"
#include "simulator/odata_query.hpp"

namespace ato::sim {
namespace {

constexpr std::string_view kRoot = "/api/calm-features/v1";
constexpr std::string_view kReadScope = "calm-api.features.read";
constexpr std::string_view kWriteScope = "calm-api.features.write";

using T = ODataType;
const std::vector<ODataProperty> kFeatureProperties = {{"uuid", T::Guid},
                                                       {"displayId", T::String},
                                                       {"title", T::String},
                                                       {"description", T::String, false, false},
                                                       {"statusCode", T::String},
                                                       {"priorityCode", T::Int64},
                                                       {"createdAt", T::DateTimeOffset},
                                                       {"modifiedAt", T::DateTimeOffset}};
const std::vector<ODataProperty> kTransportProperties = {{"uuid", T::Guid},
                                                         {"transportRequest", T::String},
                                                         {"description", T::String},
                                                         {"status", T::String},
                                                         {"featureUuid", T::Guid},
                                                         {"sourceSystem", T::String},
                                                         {"createdAt", T::DateTimeOffset}};
const std::vector<ODataProperty> kReferenceProperties = {{"uuid", T::Guid},
                                                         {"featureUuid", T::Guid},
                                                         {"transportUuid", T::Guid},
                                                         {"transportRequest", T::String},
                                                         {"createdAt", T::DateTimeOffset}};
const std::vector<ODataProperty> kStatusProperties = {{"code", T::String}, {"name", T::String}};
const std::vector<ODataProperty> kPriorityProperties = {{"code", T::Int64}, {"name", T::String}};

std::string iso(EpochMillis at) {
  return format_iso8601_utc(at);
}

ODataValue text_or_null(const std::string& s) {
  return s.empty() ? ODataValue{std::monostate{}} : ODataValue{s};
}

// "Features(1b6f...)" -> {"Features", "1b6f..."}; "Features" -> {"Features", nullopt}.
std::pair<std::string, std::optional<std::string>> entity_segment(std::string_view segment) {
  const auto open = segment.find('(');
  if (open == std::string_view::npos || segment.back() != ')') return {std::string(segment), std::nullopt};
  std::string key(segment.substr(open + 1, segment.size() - open - 2));
  if (key.size() > 2 && key.front() == '\'' && key.back() == '\'') key = key.substr(1, key.size() - 2);
  for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return {std::string(segment.substr(0, open)), key};
}

std::string_view metadata_xml();

}  // namespace

net::HttpResponse FeaturesApi::handle(const net::HttpRequest& request, EpochMillis now) {
  const bool write = request.method != "GET" && request.method != "HEAD";
  // The public API's scopes; the integration's display scope also reads, as Cloud ALM's own UI does.
  auto auth = tokens_.check(request.header("Authorization"), write ? kWriteScope : kReadScope, now);
  if (!write && auth.verdict == TokenVerdict::MissingScope)
    auth = tokens_.check(request.header("Authorization"), kDisplayScope, now);
  if (auth.verdict != TokenVerdict::Valid) return auth_error(auth);

  std::string_view rest = std::string_view(request.path).substr(kRoot.size());
  if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  if (rest == "$metadata") {
    if (write) return odata_error(405, "METHOD_NOT_ALLOWED", "Read $metadata with GET");
    net::HttpResponse response;
    response.body = std::string(metadata_xml());
    response.header("Content-Type", "application/xml");
    return response;
  }
  std::string_view action;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    action = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  const auto [set, key] = entity_segment(rest);
  if (write) {
    if (request.method != "DELETE")
      if (auto refused = refuse_non_json(request)) return *refused;
    if (set == "Features" && !key && action.empty() && request.method == "POST")
      return create_feature(request, now);
    if (set == "Features" && key && action.empty() && request.method == "PATCH")
      return change_feature(request, *key, now);
    if (set == "Features" && key && action == "deploy" && request.method == "POST")
      return deploy_feature(request, *key, now);
    if (set == "TransportReferences" && !key && request.method == "POST")
      return assign_transport(request, now);
    if (set == "TransportReferences" && key && request.method == "DELETE") {
      const auto state = store_.lock();
      auto& references = state->features().references;
      const auto before = references.size();
      std::erase_if(references, [&](const TransportReference& r) { return r.uuid == *key; });
      if (references.size() == before)
        return odata_error(404, "NOT_FOUND", fmt::format("No transport reference {}", *key));
      net::HttpResponse gone;
      gone.status = 204;
      return gone;
    }
    if (set == "Transports" || set == "FeatureStatus" || set == "FeaturePriorities")
      return odata_error(405, "METHOD_NOT_ALLOWED", fmt::format("{} are read-only", set));
    return odata_error(405, "METHOD_NOT_ALLOWED",
                       fmt::format("{} {} is not served", request.method, request.path));
  }
  if (!action.empty()) return odata_error(404, "NOT_FOUND", fmt::format("No resource at {}", request.path));
  return features_read(request, set, key);
}

net::HttpResponse FeaturesApi::features_read(const net::HttpRequest& request, std::string_view set,
                                             const std::optional<std::string>& key) {
  const std::vector<ODataProperty>* properties = set == "Features"              ? &kFeatureProperties
                                                 : set == "Transports"          ? &kTransportProperties
                                                 : set == "TransportReferences" ? &kReferenceProperties
                                                 : set == "FeatureStatus"       ? &kStatusProperties
                                                 : set == "FeaturePriorities"   ? &kPriorityProperties
                                                                                : nullptr;
  if (!properties)
    return odata_error(
        404, "NOT_FOUND",
        fmt::format("No entity set {} (Features, Transports, TransportReferences, FeatureStatus, "
                    "FeaturePriorities)",
                    set));
  auto parsed = parse_odata_query(request.query, *properties);
  if (auto* problem = std::get_if<ODataQueryError>(&parsed))
    return odata_error(400, "BAD_REQUEST", fmt::format("{}: {}", problem->option, problem->message),
                       problem->option);
  const auto& query = std::get<ODataQuery>(parsed);

  std::vector<ODataEntity> rows;
  {
    const auto state = store_.lock();
    const FeatureStore& features = state->features();
    if (set == "Features") {
      for (const auto& f : features.features)
        rows.push_back({f.uuid, f.display_id, f.title, text_or_null(f.description),
                        state->effective_status(f), f.priority_code, iso(f.created_at), iso(f.modified_at)});
    } else if (set == "Transports") {
      for (const auto& [id, t] : state->transports()) {
        if (!t.exported) continue;  // Cloud ALM knows a transport from its export on
        const auto* reference = features.reference_of(id);
        rows.push_back({transport_uuid(id), id, text_or_null(t.title), t.status,
                        reference ? ODataValue{reference->feature_uuid} : ODataValue{std::monostate{}},
                        t.source, iso(t.released_at)});
      }
    } else if (set == "TransportReferences") {
      for (const auto& r : features.references)
        rows.push_back({r.uuid, r.feature_uuid, transport_uuid(r.transport_request), r.transport_request,
                        iso(r.created_at)});
    } else if (set == "FeatureStatus") {
      for (const auto& s : kFeatureStatuses) rows.push_back({std::string(s.code), std::string(s.name)});
    } else {
      for (const auto& p : kFeaturePriorities) rows.push_back({p.code, std::string(p.name)});
    }
  }
  if (key) {
    for (const auto& row : rows)
      if (row[0] == ODataValue{*key})
        return net::HttpResponse::json(200, odata_entity_json(set, *properties, row, query.select));
    return odata_error(404, "NOT_FOUND", fmt::format("No {} with key {}", set, *key));
  }
  std::vector<const ODataEntity*> entities;
  for (const auto& row : rows) entities.push_back(&row);
  return net::HttpResponse::json(
      200, odata_collection_json(set, std::string(kRoot) + "/" + std::string(set), request.query, query,
                                 *properties, std::move(entities)));
}

net::HttpResponse FeaturesApi::create_feature(const net::HttpRequest& request, EpochMillis now) {
  Feature f;
  try {
    simdjson::dom::parser parser;
    const JsonObjectReader o(parse_json(parser, request.body), "");
    o.only_keys({"title", "description", "priorityCode", "statusCode"});
    f.title = o.string("title");
    if (f.title.size() > 255) throw JsonError(o.path_of("title"), "at most 255 characters");
    f.description = o.nullable_string("description").value_or("");
    f.priority_code = o.optional_integer("priorityCode", 10, 40).value_or(30);
    if (auto status = o.nullable_string("statusCode")) f.status_code = std::string(*status);
  } catch (const JsonError& e) {
    return odata_error(400, "BAD_REQUEST", e.problem(),
                       e.path().empty() ? std::nullopt : std::optional(e.path()));
  }
  const auto known = [](std::string_view code) {
    return std::any_of(std::begin(kFeatureStatuses), std::end(kFeatureStatuses),
                       [&](const FeatureStatusInfo& s) { return code == s.code; });
  };
  if (!known(f.status_code))
    return odata_error(400, "BAD_REQUEST", "unknown statusCode (see FeatureStatus)", "statusCode");
  if (std::none_of(std::begin(kFeaturePriorities), std::end(kFeaturePriorities),
                   [&](const FeaturePriorityInfo& p) { return p.code == f.priority_code; }))
    return odata_error(400, "BAD_REQUEST", "unknown priorityCode (see FeaturePriorities)", "priorityCode");
  f.uuid = random_uuid();
  f.created_at = f.modified_at = now;
  {
    const auto state = store_.lock();
    f.display_id = fmt::format("1-{}", state->features().next_display_id++);
    state->features().features.push_back(f);
  }
  auto response = net::HttpResponse::json(
      201, odata_entity_json("Features", kFeatureProperties,
                             {f.uuid, f.display_id, f.title, text_or_null(f.description), f.status_code,
                              f.priority_code, iso(f.created_at), iso(f.modified_at)}));
  response.header("Location", fmt::format("{}/Features({})", kRoot, f.uuid));
  return response;
}

net::HttpResponse FeaturesApi::change_feature(const net::HttpRequest& request, const std::string& uuid,
                                              EpochMillis now) {
  std::optional<std::string> title, description, status;
  std::optional<std::int64_t> priority;
  try {
    simdjson::dom::parser parser;
    const JsonObjectReader o(parse_json(parser, request.body), "");
    o.only_keys({"title", "description", "priorityCode", "statusCode"});
    if (auto v = o.nullable_string("title")) title = std::string(*v);
    if (auto v = o.nullable_string("description")) description = std::string(*v);
    if (auto v = o.nullable_string("statusCode")) status = std::string(*v);
    priority = o.optional_integer("priorityCode", 10, 40);
  } catch (const JsonError& e) {
    return odata_error(400, "BAD_REQUEST", e.problem(),
                       e.path().empty() ? std::nullopt : std::optional(e.path()));
  }
  if (status && std::none_of(std::begin(kFeatureStatuses), std::end(kFeatureStatuses),
                             [&](const FeatureStatusInfo& s) { return *status == s.code; }))
    return odata_error(400, "BAD_REQUEST", "unknown statusCode (see FeatureStatus)", "statusCode");
  const auto state = store_.lock();
  Feature* f = state->features().find(uuid);
  if (!f) return odata_error(404, "NOT_FOUND", fmt::format("No feature {}", uuid));
  if (title) f->title = *title;
  if (description) f->description = *description;
  if (status) f->status_code = *status;
  if (priority) f->priority_code = *priority;
  f->modified_at = now;
  return net::HttpResponse::json(
      200, odata_entity_json(
               "Features", kFeatureProperties,
               {f->uuid, f->display_id, f->title, text_or_null(f->description), state->effective_status(*f),
                f->priority_code, iso(f->created_at), iso(f->modified_at)}));
}

// SAP: only released transports can be assigned, and a transport belongs to at most one feature.
net::HttpResponse FeaturesApi::assign_transport(const net::HttpRequest& request, EpochMillis now) {
  TransportReference r;
  try {
    simdjson::dom::parser parser;
    const JsonObjectReader o(parse_json(parser, request.body), "");
    o.only_keys({"featureUuid", "transportRequest"});
    r.feature_uuid = o.string("featureUuid");
    r.transport_request = o.string("transportRequest");
  } catch (const JsonError& e) {
    return odata_error(400, "BAD_REQUEST", e.problem(),
                       e.path().empty() ? std::nullopt : std::optional(e.path()));
  }
  for (auto& c : r.feature_uuid) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto state = store_.lock();
  FeatureStore& features = state->features();
  const Feature* f = features.find(r.feature_uuid);
  if (!f) return odata_error(400, "BAD_REQUEST", fmt::format("No feature {}", r.feature_uuid), "featureUuid");
  const auto* t = state->transport(r.transport_request);
  if (!t || !t->exported)
    return odata_error(400, "TRANSPORT_NOT_RELEASED",
                       fmt::format("Transport request {} is not released: only released transports can be "
                                   "assigned to a feature",
                                   r.transport_request),
                       "transportRequest");
  if (const auto* taken = features.reference_of(r.transport_request)) {
    const Feature* other = features.find(taken->feature_uuid);
    return odata_error(
        409, "TRANSPORT_ALREADY_ASSIGNED",
        fmt::format("Transport request {} is already assigned to feature {}: a transport can only "
                    "be assigned to one feature",
                    r.transport_request, other ? other->display_id : taken->feature_uuid),
        "transportRequest");
  }
  r.uuid = random_uuid();
  r.created_at = now;
  features.references.push_back(r);
  return net::HttpResponse::json(
      201, odata_entity_json("TransportReferences", kReferenceProperties,
                             {r.uuid, r.feature_uuid, transport_uuid(r.transport_request),
                              r.transport_request, iso(r.created_at)}));
}

// Deploy: possible when every transport is Released or Deployed in somewhere, blocked while one is
// scheduled or running; production only once the feature is Ready for Production. Ours: the body
// names the target system, and the fake ATO imports the transports there.
net::HttpResponse FeaturesApi::deploy_feature(const net::HttpRequest& request, const std::string& uuid,
                                              EpochMillis now) {
  std::string target;
  try {
    simdjson::dom::parser parser;
    const JsonObjectReader o(parse_json(parser, request.body), "");
    o.only_keys({"targetSystem"});
    target = o.string("targetSystem");
  } catch (const JsonError& e) {
    return odata_error(400, "BAD_REQUEST", e.problem(),
                       e.path().empty() ? std::nullopt : std::optional(e.path()));
  }
  if (!deploy_target_.deploy)
    return odata_error(501, "NOT_IMPLEMENTED", "This simulator runs no fake ATO to deploy into (--only alm)");
  const auto role = deploy_target_.role_of(target);
  if (!role || (*role != "test" && *role != "production"))
    return odata_error(400, "BAD_REQUEST",
                       fmt::format("{} is no test or production system of the landscape", target),
                       "targetSystem");
  std::vector<std::string> transports;
  {
    const auto state = store_.lock();
    Feature* f = state->features().find(uuid);
    if (!f) return odata_error(404, "NOT_FOUND", fmt::format("No feature {}", uuid));
    transports = state->features().transports_of(uuid);
    if (transports.empty())
      return odata_error(400, "NOTHING_TO_DEPLOY",
                         fmt::format("Feature {} has no transports assigned", f->display_id));
    if (*role == "production" && f->status_code != "READY_FOR_PRODUCTION")
      return odata_error(400, "NOT_READY_FOR_PRODUCTION",
                         fmt::format("Feature {} is {}: set it to Ready for Production before deploying to "
                                     "production",
                                     f->display_id, f->status_code));
    for (const auto& id : transports) {
      const auto* t = state->transport(id);
      const std::string status = t ? t->status : std::string();
      if (status.starts_with("Scheduled In") || status.starts_with("Running in"))
        return odata_error(409, "DEPLOY_BLOCKED",
                           fmt::format("Transport request {} is {}: deploy once it finished", id, status));
    }
  }
  if (const auto problem = deploy_target_.deploy(transports, target); !problem.empty())
    return odata_error(502, "DEPLOY_FAILED", problem);
  if (const auto state = store_.lock(); Feature* f = state->features().find(uuid)) {
    if (*role == "test") f->status_code = "IN_TESTING";
    f->deployed_to = target;
    f->modified_at = now;
  }
  std::string body;
  JsonWriter json(body);
  json.begin_object()
      .field("featureUuid", uuid)
      .field("targetSystem", target)
      .key("transportRequests")
      .begin_array();
  for (const auto& id : transports) json.value(id);
  json.end_array().end_object();
  return net::HttpResponse::json(202, std::move(body));
}

namespace {

std::string_view metadata_xml() {
  return R"(<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">
  <edmx:Reference Uri="https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml">
    <edmx:Include Namespace="Org.OData.Capabilities.V1" Alias="Capabilities"/>
  </edmx:Reference>
  <edmx:Reference Uri="https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.xml">
    <edmx:Include Namespace="Org.OData.Core.V1" Alias="Core"/>
  </edmx:Reference>
  <edmx:DataServices>
    <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="com.sap.calm.features" Alias="features">
      <EntityType Name="Feature">
        <Key><PropertyRef Name="uuid"/></Key>
        <Property Name="uuid" Type="Edm.Guid" Nullable="false"/>
        <Property Name="displayId" Type="Edm.String" Nullable="false"/>
        <Property Name="title" Type="Edm.String" Nullable="false" MaxLength="255"/>
        <Property Name="description" Type="Edm.String"/>
        <Property Name="statusCode" Type="Edm.String" Nullable="false"/>
        <Property Name="priorityCode" Type="Edm.Int64" Nullable="false"/>
        <Property Name="createdAt" Type="Edm.DateTimeOffset" Nullable="false" Precision="3"/>
        <Property Name="modifiedAt" Type="Edm.DateTimeOffset" Nullable="false" Precision="3"/>
      </EntityType>
      <EntityType Name="Transport">
        <Key><PropertyRef Name="uuid"/></Key>
        <Property Name="uuid" Type="Edm.Guid" Nullable="false"/>
        <Property Name="transportRequest" Type="Edm.String" Nullable="false" MaxLength="10"/>
        <Property Name="description" Type="Edm.String"/>
        <Property Name="status" Type="Edm.String" Nullable="false"/>
        <Property Name="featureUuid" Type="Edm.Guid"/>
        <Property Name="sourceSystem" Type="Edm.String" Nullable="false"/>
        <Property Name="createdAt" Type="Edm.DateTimeOffset" Nullable="false" Precision="3"/>
      </EntityType>
      <EntityType Name="TransportReference">
        <Key><PropertyRef Name="uuid"/></Key>
        <Property Name="uuid" Type="Edm.Guid" Nullable="false"/>
        <Property Name="featureUuid" Type="Edm.Guid" Nullable="false"/>
        <Property Name="transportUuid" Type="Edm.Guid" Nullable="false"/>
        <Property Name="transportRequest" Type="Edm.String" Nullable="false" MaxLength="10"/>
        <Property Name="createdAt" Type="Edm.DateTimeOffset" Nullable="false" Precision="3"/>
      </EntityType>
      <EntityType Name="FeatureStatus">
        <Key><PropertyRef Name="code"/></Key>
        <Property Name="code" Type="Edm.String" Nullable="false"/>
        <Property Name="name" Type="Edm.String" Nullable="false"/>
      </EntityType>
      <EntityType Name="FeaturePriority">
        <Key><PropertyRef Name="code"/></Key>
        <Property Name="code" Type="Edm.Int64" Nullable="false"/>
        <Property Name="name" Type="Edm.String" Nullable="false"/>
      </EntityType>
      <Action Name="deploy" IsBound="true">
        <Parameter Name="feature" Type="features.Feature" Nullable="false"/>
        <Parameter Name="targetSystem" Type="Edm.String" Nullable="false"/>
      </Action>
      <EntityContainer Name="EntityContainer">
        <EntitySet Name="Features" EntityType="features.Feature"/>
        <EntitySet Name="Transports" EntityType="features.Transport"/>
        <EntitySet Name="TransportReferences" EntityType="features.TransportReference"/>
        <EntitySet Name="FeatureStatus" EntityType="features.FeatureStatus"/>
        <EntitySet Name="FeaturePriorities" EntityType="features.FeaturePriority"/>
      </EntityContainer>
      <Annotations Target="features.EntityContainer/Transports">
        <Annotation Term="Capabilities.InsertRestrictions"><Record><PropertyValue Property="Insertable" Bool="false"/></Record></Annotation>
        <Annotation Term="Capabilities.UpdateRestrictions"><Record><PropertyValue Property="Updatable" Bool="false"/></Record></Annotation>
        <Annotation Term="Capabilities.DeleteRestrictions"><Record><PropertyValue Property="Deletable" Bool="false"/></Record></Annotation>
      </Annotations>
      <Annotations Target="features.EntityContainer/FeatureStatus">
        <Annotation Term="Capabilities.InsertRestrictions"><Record><PropertyValue Property="Insertable" Bool="false"/></Record></Annotation>
      </Annotations>
      <Annotations Target="features.EntityContainer/FeaturePriorities">
        <Annotation Term="Capabilities.InsertRestrictions"><Record><PropertyValue Property="Insertable" Bool="false"/></Record></Annotation>
      </Annotations>
      <Annotations Target="features.EntityContainer/Features">
        <Annotation Term="Capabilities.ExpandRestrictions"><Record><PropertyValue Property="Expandable" Bool="false"/></Record></Annotation>
        <Annotation Term="Capabilities.SearchRestrictions"><Record><PropertyValue Property="Searchable" Bool="false"/></Record></Annotation>
        <Annotation Term="Capabilities.CountRestrictions"><Record><PropertyValue Property="Countable" Bool="true"/></Record></Annotation>
      </Annotations>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>
)";
}

}  // namespace

}  // namespace ato::sim
