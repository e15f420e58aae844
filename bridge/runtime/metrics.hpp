// GET /metrics: the Prometheus text exposition format (version 0.0.4). Debian ships no C++
// Prometheus client, and the format is a few lines of text per metric, so it is written here.
#pragma once

#include <filesystem>
#include <string>

#include "bridge/outbox/outbox.hpp"
#include "bridge/runtime/engine_state.hpp"

namespace ato::bridge {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// config: the outbox's file (its size on disk, with its write-ahead log, is one of the series) and the
// tenants (each one's health).
std::string prometheus_metrics(const Outbox& outbox, const BridgeConfig& config, const EngineState& state,
                               EpochMillis now);

}  // namespace ato::bridge
