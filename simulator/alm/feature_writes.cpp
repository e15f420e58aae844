// The Features API's writes: create and change a feature, assign a transport to one (SAP: only
// released transports, each to at most one feature), add and remove URL and external references,
// and deploy a feature. The bodies are read by feature_bodies.cpp; here the store's rules apply.
#include <fmt/format.h>

#include <algorithm>

#include "core/json_reader.hpp"
#include "core/json_writer.hpp"
#include "simulator/alm/alm_store.hpp"
#include "simulator/alm/feature_bodies.hpp"
#include "simulator/alm/features_api.hpp"
#include "simulator/alm/features_model.hpp"
#include "simulator/odata.hpp"

namespace ato::sim {
namespace {

net::HttpResponse body_error(const JsonError& e) {
  return odata_error(400, "BAD_REQUEST", e.problem(),
                     e.path().empty() ? std::nullopt : std::optional(e.path()));
}

net::HttpResponse created(const ODataService& service, const std::string& set, const ODataEntity& entity,
                          const std::string& location) {
  auto response = net::HttpResponse::json(201, service.entity_json(*service.model().set(set), entity));
  response.header("Location", location);
  return response;
}

}  // namespace

net::HttpResponse FeaturesApi::create_feature(const net::HttpRequest& request, EpochMillis now) {
  Feature f;
  try {
    read_feature_body(request.body, f, true);
  } catch (const JsonError& e) {
    return body_error(e);
  }
  f.uuid = random_uuid();
  f.created_at = f.modified_at = now;
  {
    const auto state = store_.lock();
    f.display_id = fmt::format("1-{}", state->features().next_display_id++);
    state->features().features.push_back(f);
  }
  return created(service_, "Features", feature_entity(f, f.status_code),
                 fmt::format("{}/Features({})", service_.root(), f.uuid));
}

net::HttpResponse FeaturesApi::change_feature(const net::HttpRequest& request, const std::string& uuid,
                                              EpochMillis now) {
  const auto state = store_.lock();
  Feature* f = state->features().find(uuid);
  if (!f) return odata_error(404, "NOT_FOUND", fmt::format("No feature {}", uuid));
  Feature changed = *f;
  try {
    read_feature_body(request.body, changed, false);
  } catch (const JsonError& e) {
    return body_error(e);
  }
  changed.modified_at = now;
  *f = std::move(changed);
  return net::HttpResponse::json(200, service_.entity_json(*service_.model().set("Features"),
                                                           feature_entity(*f, state->effective_status(*f))));
}

// SAP: only released transports can be assigned, and a transport belongs to at most one feature.
// The transport is named by its request (transportRequest) or by its uuid (transportUuid).
net::HttpResponse FeaturesApi::assign_transport(const net::HttpRequest& request, EpochMillis now) {
  TransportAssignment assignment;
  try {
    assignment = read_assignment_body(request.body);
  } catch (const JsonError& e) {
    return body_error(e);
  }
  TransportReference r;
  r.feature_uuid = assignment.feature_uuid;
  r.transport_request = assignment.transport_request;
  const auto& by_uuid = assignment.transport_uuid;
  const auto state = store_.lock();
  FeatureStore& features = state->features();
  if (!by_uuid.empty()) {
    for (const auto& [id, t] : state->transports())
      if (transport_uuid(id) == by_uuid) r.transport_request = id;
    if (r.transport_request.empty())
      return odata_error(400, "BAD_REQUEST", fmt::format("No transport {}", by_uuid), "transportUuid");
  }
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
  return created(service_, "TransportReferences", transport_reference_entity(r),
                 fmt::format("{}/TransportReferences({})", service_.root(), r.uuid));
}

net::HttpResponse FeaturesApi::add_url_reference(const net::HttpRequest& request, EpochMillis now) {
  UrlReference r;
  try {
    r = read_url_reference_body(request.body);
  } catch (const JsonError& e) {
    return body_error(e);
  }
  r.uuid = random_uuid();
  r.created_at = now;
  const auto state = store_.lock();
  if (!state->features().find(r.parent_uuid))
    return odata_error(400, "BAD_REQUEST", fmt::format("No feature {}", r.parent_uuid), "parentUuid");
  state->features().url_references.push_back(r);
  return created(service_, "URLReferences", url_reference_entity(r),
                 fmt::format("{}/URLReferences({})", service_.root(), r.uuid));
}

net::HttpResponse FeaturesApi::add_external_reference(const net::HttpRequest& request) {
  ExternalReference r;
  try {
    r = read_external_reference_body(request.body);
  } catch (const JsonError& e) {
    return body_error(e);
  }
  const auto state = store_.lock();
  auto& features = state->features();
  if (!features.find(r.parent_uuid))
    return odata_error(400, "BAD_REQUEST", fmt::format("No feature {}", r.parent_uuid), "parentUuid");
  if (std::any_of(features.external_references.begin(), features.external_references.end(),
                  [&](const ExternalReference& e) { return e.id == r.id && e.parent_uuid == r.parent_uuid; }))
    return odata_error(409, "ALREADY_EXISTS",
                       fmt::format("The feature has an external reference {} already", r.id), "id");
  features.external_references.push_back(r);
  return created(
      service_, "ExternalReferences", external_reference_entity(r),
      fmt::format("{}/ExternalReferences(id='{}',parentUuid={})", service_.root(), r.id, r.parent_uuid));
}

net::HttpResponse FeaturesApi::remove(const ODataResource& resource) {
  const auto& key = *resource.key;
  const auto state = store_.lock();
  auto& features = state->features();
  std::size_t removed = 0;
  const auto text = [&](std::size_t i) { return std::get<std::string>(key[i]); };
  if (resource.set->name == "TransportReferences")
    removed =
        std::erase_if(features.references, [&](const TransportReference& r) { return r.uuid == text(0); });
  else if (resource.set->name == "URLReferences")
    removed =
        std::erase_if(features.url_references, [&](const UrlReference& r) { return r.uuid == text(0); });
  else if (resource.set->name == "ExternalReferences")
    removed = std::erase_if(features.external_references, [&](const ExternalReference& r) {
      return r.id == text(0) && r.parent_uuid == text(1);
    });
  if (removed == 0)
    return odata_error(404, "NOT_FOUND", fmt::format("No such entity in {}", resource.set->name));
  net::HttpResponse gone;
  gone.status = 204;
  return gone;
}

// Deploy: possible when every transport is Released or Deployed in somewhere, blocked while one is
// scheduled or running; production only once the feature is Ready for Production. Ours: the body
// names the target system, and the fake ATO imports the transports there.
net::HttpResponse FeaturesApi::deploy_feature(const net::HttpRequest& request, const std::string& uuid,
                                              EpochMillis now) {
  std::string target;
  try {
    target = read_deploy_body(request.body);
  } catch (const JsonError& e) {
    return body_error(e);
  }
  if (!ato_.deploy)
    return odata_error(501, "NOT_IMPLEMENTED", "This simulator runs no fake ATO to deploy into (--only alm)");
  const auto role = ato_.role_of(target);
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
      if (status.starts_with("Scheduled In"))
        return odata_error(409, "DEPLOY_BLOCKED",
                           fmt::format("Transport request {} is {}: deploy once it finished", id, status));
      if (status == "Modifiable")  // Cloud ALM created it; only the developer can release it
        return odata_error(
            409, "DEPLOY_BLOCKED",
            fmt::format("Transport request {} is Modifiable: release it in {} first (Cloud ALM "
                        "cannot release transports)",
                        id, t->source));
    }
  }
  if (const auto problem = ato_.deploy(transports, target); !problem.empty())
    return odata_error(502, "DEPLOY_FAILED", problem);
  if (const auto state = store_.lock(); Feature* f = state->features().find(uuid)) {
    if (*role == "test") f->status_code = "IN_TESTING";
    f->deployed_to = target;
    f->modified_at = now;
  }
  // The action's return type (DeployResult in $metadata); 202: the imports run after the answer.
  return net::HttpResponse::json(202, json_object_text([&](JsonWriter& json) {
                                   json.field("@odata.context",
                                              "$metadata#com.sap.calm.features.DeployResult")
                                       .field("featureUuid", uuid)
                                       .field("targetSystem", target)
                                       .key("transportRequests")
                                       .begin_array();
                                   for (const auto& id : transports) json.value(id);
                                   json.end_array();
                                 }));
}

// Create a transport (ours in shape; SAP: for ATO, Cloud ALM can create transports through the tenant's
// inbound "create transports" service): the development tenant creates it, and it is assigned to the
// feature at once, Modifiable until a developer releases it there (Cloud ALM cannot release it).
net::HttpResponse FeaturesApi::create_transport(const net::HttpRequest& request, const std::string& uuid,
                                                EpochMillis now) {
  TransportCreationRequest wanted;
  try {
    wanted = read_create_transport_body(request.body);
  } catch (const JsonError& e) {
    return body_error(e);
  }
  if (!ato_.create_transport)
    return odata_error(501, "NOT_IMPLEMENTED",
                       "This simulator runs no fake ATO to create transports in (--only alm)");
  {
    const auto state = store_.lock();
    if (!state->features().find(uuid))
      return odata_error(404, "NOT_FOUND", fmt::format("No feature {}", uuid));
  }
  // Outside the store's lock: the fake ATO takes its own (a deploy takes the two in this order too).
  const auto [transport, problem] = ato_.create_transport(wanted.source_system, wanted.description);
  if (!problem.empty()) return odata_error(400, "TRANSPORT_NOT_CREATED", problem, "sourceSystem");
  const auto state = store_.lock();
  Feature* f = state->features().find(uuid);
  if (!f) return odata_error(404, "NOT_FOUND", fmt::format("No feature {} (deleted meanwhile)", uuid));
  state->add_created_transport(transport, wanted.description, wanted.source_system, now);
  TransportReference r{random_uuid(), uuid, transport, now};
  state->features().references.push_back(r);
  f->modified_at = now;
  return net::HttpResponse::json(201, json_object_text([&](JsonWriter& json) {
                                   json.field("@odata.context",
                                              "$metadata#com.sap.calm.features.CreateTransportResult")
                                       .field("featureUuid", uuid)
                                       .field("transportRequest", transport)
                                       .field("transportUuid", transport_uuid(transport))
                                       .field("status", "Modifiable");
                                 }));
}

}  // namespace ato::sim
