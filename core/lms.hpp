// Landscape registration: a pushing system must be known to Cloud ALM's Landscape Management
// before its events count (SAP's error MSG_SLIS_NOT_FOUND_IN_LMS otherwise). SAP's guides for other
// services show the pattern (an authenticated POST registers, another offboards); the paths, bodies
// and the service ID `ATO_<SID>_<client>[_<suffix>]` are ours: schema/json/lms-*.schema.json and
// ato-systems.schema.json (the fake ATO's list of its systems, which `ato-bridge register` reads).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"

namespace ato {

inline constexpr std::string_view kLmsRegisterPath = "/api/calm-lms/v1/ato/register";
inline constexpr std::string_view kLmsOffboardPath = "/api/calm-lms/v1/ato/offboard";
inline constexpr std::string_view kLmsSystemsPath = "/api/calm-lms/v1/ato/Systems";
inline constexpr std::string_view kNotInLmsCode = "MSG_SLIS_NOT_FOUND_IN_LMS";

enum class SystemRole { Development, Test, Production };
inline constexpr EnumNames<SystemRole, 3> kSystemRoleNames{{{SystemRole::Development, "development"},
                                                            {SystemRole::Test, "test"},
                                                            {SystemRole::Production, "production"}}};

// 1 to 20 letters or digits.
bool is_valid_lms_suffix(std::string_view suffix);
// ATO_<SID>_<client>[_<suffix>], e.g. ATO_S4D_080 or ATO_S4D_080_QA.
std::string lms_service_id(const SystemRef& system, const std::optional<std::string>& suffix);

// POST register (role required) and POST offboard (system only).
struct LmsRequest {
  SystemRef system;
  std::optional<SystemRole> role;
  std::optional<std::string> suffix;
};
LmsRequest parse_lms_request(std::string_view json, bool role_required);
std::string to_json(const LmsRequest& request);

// The answer to both: where the system stands now.
struct LmsRegistration {
  std::string service_id;
  SystemRef system;
  std::optional<SystemRole> role;  // null after offboarding a system that was not registered
  std::optional<std::string> suffix;
  bool registered = false;  // after this call
  bool changed = false;     // false: it already was (idempotent repeat)
  std::string message;
};
LmsRegistration parse_lms_registration(std::string_view json);
std::string to_json(const LmsRegistration& registration);

// GET Systems: the registered systems, OData-style.
struct LmsSystem {
  std::string service_id;
  SystemRef system;
  SystemRole role = SystemRole::Test;
  std::optional<std::string> suffix;
  EpochMillis registered_at = 0;
};
std::vector<LmsSystem> parse_lms_systems(std::string_view json);
std::string lms_systems_json(const std::vector<LmsSystem>& systems);

// The fake ATO's GET .../Systems: the landscape's systems and their roles.
struct AtoSystem {
  SystemRef system;
  SystemRole role = SystemRole::Test;
  std::string description;
};
std::vector<AtoSystem> parse_ato_systems(std::string_view json);
std::string ato_systems_json(const std::vector<AtoSystem>& systems);

}  // namespace ato
