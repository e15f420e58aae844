// The fake Cloud ALM's features and their transports (issue 22): what SAP's public Features API
// (/api/calm-features/v1) serves, to the degree SAP publishes it, and the rules SAP states: only
// released transports can be assigned, a transport belongs to at most one feature, and a feature
// deploys while none of its transports is scheduled (schema/README.md says what is ours).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace ato::sim {

// Feature statuses as Cloud ALM names them; the codes are ours.
struct FeatureStatusInfo {
  const char* code;
  const char* name;
};
inline constexpr FeatureStatusInfo kFeatureStatuses[] = {
    {"NOT_PLANNED", "Not Planned"},
    {"IN_SPECIFICATION", "In Specification"},
    {"IN_IMPLEMENTATION", "In Implementation"},
    {"IN_TESTING", "In Testing"},
    {"SUCCESSFULLY_TESTED", "Successfully Tested"},
    {"READY_FOR_PRODUCTION", "Ready for Production"},
    {"DEPLOYED", "Deployed"},
};
// Priority codes: read as numbers on a feature, as text in FeaturePriorities (as public clients
// of the API type them).
struct FeaturePriorityInfo {
  std::int64_t code;
  const char* name;
};
inline constexpr FeaturePriorityInfo kFeaturePriorities[] = {
    {10, "Very High"}, {20, "High"}, {30, "Medium"}, {40, "Low"}};

// Where a feature belongs and who has it (ids of Cloud ALM's projects, releases, scopes, users and
// workstreams, which this simulator does not check), its type and tags: what clients send besides
// title, description, status and priority.
struct FeaturePlacement {
  std::string project_id, release_id, scope_id, responsible_id, workstream_id, type;
  std::vector<std::string> tags;
};

struct Feature {
  std::string uuid;
  std::string display_id;  // "1-<n>", as Cloud ALM numbers features per project
  std::string title, description;
  std::string status_code = "IN_SPECIFICATION";
  std::int64_t priority_code = 30;
  FeaturePlacement placement;
  EpochMillis created_at = 0, modified_at = 0;
  std::optional<std::string> deployed_to;  // the last system its transports were deployed to
};

// A link from a feature to a web page (URLReferences), and to an object of another tool
// (ExternalReferences, keyed by its id and the feature's uuid).
struct UrlReference {
  std::string uuid, parent_uuid, name, url;
  EpochMillis created_at = 0;
};
struct ExternalReference {
  std::string id, parent_uuid, name, url;
};
// A task of Cloud ALM's project assigned to a feature. The public API only reads them; the
// simulator creates none (its projects have no tasks), so the set is served empty.
struct TaskAssignment {
  std::string uuid, feature_uuid, task_id, title;
};

struct TransportReference {
  std::string uuid;
  std::string feature_uuid;
  std::string transport_request;
  EpochMillis created_at = 0;
};

struct FeatureStore {
  std::vector<Feature> features;
  std::vector<TransportReference> references;
  std::vector<UrlReference> url_references;
  std::vector<ExternalReference> external_references;
  std::vector<TaskAssignment> task_assignments;
  std::int64_t next_display_id = 1;

  Feature* find(const std::string& uuid);
  const TransportReference* reference_of(const std::string& transport_request) const;
  std::vector<std::string> transports_of(const std::string& feature_uuid) const;
};

// A fresh random UUID (lowercase), and the stable one of a transport (name-based, SHA-1).
std::string random_uuid();
std::string transport_uuid(const std::string& transport_request);

}  // namespace ato::sim
