// `ato-bridge status`: one JSON document (also served at the admin endpoint's /status) built from
// the outbox and, when the bridge runs, its engine state; and its rendering for people.
#pragma once

#include <string>
#include <string_view>

#include "bridge/config.hpp"
#include "bridge/outbox/outbox.hpp"
#include "bridge/runtime/engine_state.hpp"

namespace ato::bridge {

// `running` null: the bridge is not running; what the outbox holds is still reported.
std::string status_json(const BridgeConfig& config, const Outbox& outbox, const EngineState* running,
                        EpochMillis now);

// Why the bridge is not ready (empty: ready): paused, disk trouble.
std::vector<std::string> not_ready_reasons(const EngineState& state);

// The status JSON as a table for a terminal.
std::string status_text(std::string_view status_json);

}  // namespace ato::bridge
