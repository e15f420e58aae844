// GET /metrics: the Prometheus text exposition format (version 0.0.4). Debian ships no C++
// Prometheus client, and the format is a few lines of text per metric, so it is written here.
#pragma once

#include <filesystem>
#include <string>

#include "bridge/outbox/outbox.hpp"
#include "bridge/runtime/engine_state.hpp"

namespace ato::bridge {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// outbox_path: the outbox's file, whose size on disk (with its write-ahead log) is one of the series.
std::string prometheus_metrics(const Outbox& outbox, const std::filesystem::path& outbox_path,
                               const EngineState& state, EpochMillis now);

}  // namespace ato::bridge
