// `ato-bridge status`: one JSON document (also served at the admin endpoint's /status) built from
// the outbox and, when the bridge runs, its engine state; and its rendering for people.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/config.hpp"
#include "bridge/runtime/engine_state.hpp"
#include "bridge/runtime/outbox_view.hpp"

namespace ato::bridge {

// `running` null: the bridge is not running; what the outbox holds is still reported.
std::string status_json(const BridgeConfig& config, const OutboxView& outbox, const EngineState* running,
                        EpochMillis now);

// What readiness means for a bridge of many tenants: not ready (503 at /readyz, the pod out of
// service) only for what stops every tenant (pushing paused, no token, disk trouble, a damaged outbox),
// or when every tenant has a problem of its own. One tenant's problem (its feed refuses the user or
// went back below the cursor, its systems unknown to Landscape Management) leaves the others in
// service: it is named per tenant (tenant_problems, /status, ato_bridge_tenant_healthy, an alert).
std::vector<std::string> not_ready_reasons(const EngineState& state, const BridgeConfig& config);

// Each tenant's problems (none: healthy), every configured tenant present.
std::map<std::string, std::vector<std::string>> tenant_problems(const EngineState& state,
                                                                const BridgeConfig& config);

// The status JSON as a table for a terminal.
std::string status_text(std::string_view status_json);

}  // namespace ato::bridge
