#include "simulator/alm/features_model.hpp"

#include "core/time.hpp"
#include "simulator/alm/alm_store.hpp"  // TransportRecord

namespace ato::sim {
namespace {

using T = ODataType;

ODataProperty key(std::string name, ODataType type = T::Guid) {
  return {std::move(name), type, false};
}
ODataProperty required(std::string name, ODataType type = T::String, int max_length = 0) {
  return {std::move(name), type, false, true, true, max_length};
}
ODataProperty optional(std::string name, ODataType type = T::String) {
  return {std::move(name), type, true};
}

ODataModel make_model() {
  ODataModel m;
  // SAP's service namespace is not published; ours, without an alias (SAP Cloud SDK's generator
  // resolves types by their full names only). Entity types are named as their sets, as CAP services
  // name them: the generator finds a bound action's set by its binding parameter's type name.
  m.namespace_name = "com.sap.calm.features";
  ODataEntitySet features{"Features", "Features"};
  features.properties = {key("uuid"),
                         required("displayId"),
                         required("title", T::String, 255),
                         {"description", T::String, true, false, false},
                         optional("projectId"),
                         required("statusCode"),
                         required("priorityCode", T::Int32),
                         optional("releaseId"),
                         optional("scopeId"),
                         optional("responsibleId"),
                         optional("workstreamId"),
                         optional("type"),
                         {"tags", T::StringCollection, false, false, false},
                         required("createdAt", T::DateTimeOffset),
                         required("modifiedAt", T::DateTimeOffset)};
  features.key = {"uuid"};
  features.navigation = {{"transportReferences", "TransportReferences", true, "uuid", "featureUuid"},
                         {"urlReferences", "URLReferences", true, "uuid", "parentUuid"},
                         {"externalReferences", "ExternalReferences", true, "uuid", "parentUuid"},
                         {"taskAssignments", "TaskAssignments", true, "uuid", "featureUuid"},
                         {"status", "FeatureStatus", false, "statusCode", "code"}};
  features.insertable = features.updatable = true;

  ODataEntitySet transports{"Transports", "Transports"};
  transports.properties = {key("uuid"),
                           required("transportRequest", T::String, 10),
                           optional("description"),
                           required("status"),
                           optional("featureUuid", T::Guid),
                           required("sourceSystem"),
                           required("createdAt", T::DateTimeOffset)};
  transports.key = {"uuid"};
  transports.navigation = {{"feature", "Features", false, "featureUuid", "uuid"}};

  ODataEntitySet references{"TransportReferences", "TransportReferences"};
  references.properties = {key("uuid"), required("featureUuid", T::Guid), optional("transportUuid", T::Guid),
                           optional("transportRequest"), required("createdAt", T::DateTimeOffset)};
  references.key = {"uuid"};
  references.navigation = {{"feature", "Features", false, "featureUuid", "uuid"},
                           {"transport", "Transports", false, "transportUuid", "uuid"}};
  references.insertable = references.deletable = true;

  ODataEntitySet urls{"URLReferences", "URLReferences"};
  urls.properties = {key("uuid"), required("parentUuid", T::Guid), required("name"), required("url"),
                     required("createdAt", T::DateTimeOffset)};
  urls.key = {"uuid"};
  urls.navigation = {{"feature", "Features", false, "parentUuid", "uuid"}};
  urls.insertable = urls.deletable = true;

  ODataEntitySet externals{"ExternalReferences", "ExternalReferences"};
  externals.properties = {key("id", T::String), key("parentUuid"), required("name"), optional("url")};
  externals.key = {"id", "parentUuid"};
  externals.navigation = {{"feature", "Features", false, "parentUuid", "uuid"}};
  externals.insertable = externals.deletable = true;

  ODataEntitySet tasks{"TaskAssignments", "TaskAssignments"};
  tasks.properties = {key("uuid"), required("featureUuid", T::Guid), required("taskId"), optional("title")};
  tasks.key = {"uuid"};

  ODataEntitySet statuses{"FeatureStatus", "FeatureStatus"};
  statuses.properties = {key("code", T::String), required("name")};
  statuses.key = {"code"};
  ODataEntitySet priorities{"FeaturePriorities", "FeaturePriorities"};
  priorities.properties = {key("code", T::String), required("name")};
  priorities.key = {"code"};

  m.sets = {std::move(features),  std::move(transports), std::move(references), std::move(urls),
            std::move(externals), std::move(tasks),      std::move(statuses),   std::move(priorities)};
  m.complex_types = {{"DeployResult", {key("featureUuid"), required("targetSystem")}, {"transportRequests"}},
                     {"CreateTransportResult",
                      {key("featureUuid"), required("transportRequest"), required("transportUuid", T::Guid),
                       required("status")},
                      {}}};
  // Ours: SAP's Features app deploys and creates transports (through the tenant's inbound "create
  // transports" service); the API's shape of these actions is not published.
  m.actions = {{"deploy", "Features", {required("targetSystem")}, "DeployResult"},
               {"createTransport",
                "Features",
                {required("sourceSystem"), optional("description")},
                "CreateTransportResult"}};
  return m;
}

ODataValue text_or_null(const std::string& s) {
  return s.empty() ? ODataValue{std::monostate{}} : ODataValue{s};
}

}  // namespace

const ODataModel& features_model() {
  static const ODataModel model = make_model();
  return model;
}

ODataEntity feature_entity(const Feature& f, const std::string& shown_status) {
  return {f.uuid,
          f.display_id,
          f.title,
          text_or_null(f.description),
          text_or_null(f.placement.project_id),
          shown_status,
          f.priority_code,
          text_or_null(f.placement.release_id),
          text_or_null(f.placement.scope_id),
          text_or_null(f.placement.responsible_id),
          text_or_null(f.placement.workstream_id),
          text_or_null(f.placement.type),
          f.placement.tags,
          format_iso8601_utc(f.created_at),
          format_iso8601_utc(f.modified_at)};
}

ODataEntity transport_entity(const std::string& request, const TransportRecord& t,
                             const FeatureStore& features) {
  const auto* reference = features.reference_of(request);
  return {transport_uuid(request),
          request,
          text_or_null(t.title),
          t.status,
          reference ? ODataValue{reference->feature_uuid} : ODataValue{std::monostate{}},
          t.source,
          format_iso8601_utc(t.released_at)};
}

ODataEntity transport_reference_entity(const TransportReference& r) {
  return {r.uuid, r.feature_uuid, transport_uuid(r.transport_request), r.transport_request,
          format_iso8601_utc(r.created_at)};
}

ODataEntity url_reference_entity(const UrlReference& r) {
  return {r.uuid, r.parent_uuid, r.name, r.url, format_iso8601_utc(r.created_at)};
}

ODataEntity external_reference_entity(const ExternalReference& r) {
  return {r.id, r.parent_uuid, r.name, text_or_null(r.url)};
}

ODataEntity task_assignment_entity(const TaskAssignment& t) {
  return {t.uuid, t.feature_uuid, t.task_id, text_or_null(t.title)};
}

}  // namespace ato::sim
