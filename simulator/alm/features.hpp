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
struct FeaturePriorityInfo {
  std::int64_t code;
  const char* name;
};
inline constexpr FeaturePriorityInfo kFeaturePriorities[] = {
    {10, "Very High"}, {20, "High"}, {30, "Medium"}, {40, "Low"}};

struct Feature {
  std::string uuid;
  std::string display_id;  // "1-<n>", as Cloud ALM numbers features per project
  std::string title, description;
  std::string status_code = "IN_SPECIFICATION";
  std::int64_t priority_code = 30;
  EpochMillis created_at = 0, modified_at = 0;
  std::optional<std::string> deployed_to;  // the last system its transports were deployed to
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
  std::int64_t next_display_id = 1;

  Feature* find(const std::string& uuid);
  const TransportReference* reference_of(const std::string& transport_request) const;
  std::vector<std::string> transports_of(const std::string& feature_uuid) const;
};

// A fresh random UUID (lowercase), and the stable one of a transport (name-based, SHA-1).
std::string random_uuid();
std::string transport_uuid(const std::string& transport_request);

}  // namespace ato::sim
