// The admin endpoint (loopback by default, no authentication): health, readiness, status, metrics,
// and "run this job now". Plain request/response values; the server is core/net's.
#pragma once

#include "bridge/config.hpp"
#include "bridge/runtime/engine.hpp"
#include "core/net/http.hpp"

namespace ato::bridge {

//   GET  /healthz        200 while the process serves requests
//   GET  /readyz         200, or 503 with the reasons (paused by 403, outbox disk trouble)
//   GET  /status         the JSON of `ato-bridge status --json`
//   GET  /metrics        Prometheus text format
//   POST /tick/SERVICE   run that job now (export, import, status_change, retry)
// /status and /metrics show the outbox as read on the outbox thread (Engine::read_outbox_view), so
// they are answered later: `answer` is called once, on the engine's thread.
void handle_admin(const net::HttpRequest& request, const BridgeConfig& config, Engine& engine,
                  net::Answer answer);

}  // namespace ato::bridge
