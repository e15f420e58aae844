// GET /metrics: the Prometheus text exposition format (version 0.0.4). Debian ships no C++
// Prometheus client, and the format is a few lines of text per metric, so it is written here.
#pragma once

#include <filesystem>
#include <string>

#include "bridge/runtime/engine_state.hpp"
#include "bridge/runtime/outbox_view.hpp"

namespace ato::bridge {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// config: the outbox's file (its size on disk, with its write-ahead log, is one of the series) and the
// tenants (each one's health). `outbox` null: it could not be read (damaged): the series that come
// from it are left out, the rest (among them ato_bridge_outbox_damaged) still tell what is going on.
std::string prometheus_metrics(const OutboxView* outbox, const BridgeConfig& config,
                               const EngineState& state);

}  // namespace ato::bridge
