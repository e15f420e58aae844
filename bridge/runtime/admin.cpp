#include "bridge/runtime/admin.hpp"

#include <fmt/format.h>

#include "bridge/runtime/metrics.hpp"
#include "bridge/runtime/status.hpp"
#include "core/json_writer.hpp"

namespace ato::bridge {

namespace {

net::HttpResponse json_message(int status, std::string_view key, std::string_view value) {
  std::string body;
  JsonWriter(body).begin_object().field(key, value).end_object();
  return net::HttpResponse::json(status, std::move(body));
}

// See not_ready_reasons(): one tenant's problem is listed, not a reason to take the pod out of service.
net::HttpResponse readiness(const EngineState& state, const BridgeConfig& config) {
  const auto reasons = not_ready_reasons(state, config);
  std::string body;
  JsonWriter json(body);
  json.begin_object().field("ready", reasons.empty()).key("reasons").begin_array();
  for (const auto& r : reasons) json.value(r);
  json.end_array().key("tenant_problems").begin_object();
  for (const auto& [tenant, problems] : tenant_problems(state, config)) {
    if (problems.empty()) continue;
    json.key(tenant).begin_array();
    for (const auto& p : problems) json.value(p);
    json.end_array();
  }
  json.end_object().end_object();
  return net::HttpResponse::json(reasons.empty() ? 200 : 503, std::move(body));
}

// Constant time for equal lengths: a wrong token's answer says nothing of how much of it was right.
bool same_secret(std::string_view given, const std::string& expected) {
  if (given.size() != expected.size()) return false;
  unsigned char differs = 0;
  for (std::size_t i = 0; i < given.size(); ++i)
    differs |= static_cast<unsigned char>(given[i] ^ expected[i]);
  return differs == 0;
}

// The probes and Prometheus need no token (they carry none); everything else does, once one is set.
bool needs_token(const net::HttpRequest& request) {
  return !(request.method == "GET" &&
           (request.path == "/healthz" || request.path == "/readyz" || request.path == "/metrics"));
}

// Everything but /status and /metrics: answered from the engine's state alone.
net::HttpResponse answer_now(const net::HttpRequest& request, const BridgeConfig& config, Engine& engine) {
  const bool get = request.method == "GET";
  if (get && request.path == "/healthz") return json_message(200, "status", "ok");
  if (get && request.path == "/readyz") return readiness(engine.state(), config);
  if (request.path.starts_with("/tick/")) {
    if (request.method != "POST") return json_message(405, "error", "use POST");
    const auto name = std::string_view(request.path).substr(6);
    const auto job = value_of(kJobNames, name);
    if (!job) return json_message(404, "error", "unknown service; " + one_of(kJobNames));
    const auto tenant = net::form_value(request.query, "tenant");
    const int ticked = engine.tick(*job, tenant ? std::optional<std::string>(*tenant) : std::nullopt);
    if (ticked == 0)
      return json_message(409, "error",
                          std::string(name) +
                              (tenant ? " of tenant " + std::string(*tenant) : std::string()) +
                              " is inactive (or no such tenant)");
    return json_message(202, "ticked", fmt::format("{} ({} job(s))", name, ticked));
  }
  return json_message(404, "error",
                      "no such endpoint: /healthz, /readyz, /status, /metrics, POST /tick/SERVICE");
}

}  // namespace

void handle_admin(const net::HttpRequest& request, const BridgeConfig& config, Engine& engine,
                  net::Answer answer) {
  if (!config.admin.token.empty() && needs_token(request)) {
    const std::string_view auth = request.header("Authorization");
    if (!auth.starts_with("Bearer ") || !same_secret(auth.substr(7), config.admin.token.reveal())) {
      auto refused =
          json_message(401, "error",
                       "this admin endpoint needs admin.token: send Authorization: Bearer <token> "
                       "(ato-bridge status and tick do, with the token in the configuration's source)");
      refused.header("WWW-Authenticate", "Bearer realm=\"ato-bridge admin\"");
      answer(std::move(refused));
      return;
    }
  }
  const bool get = request.method == "GET";
  if (get && request.path == "/status") {
    engine.read_outbox_view([&config, &engine, answer](const OutboxView* view, const std::string& error) {
      if (!view) return answer(json_message(503, "error", error));
      answer(net::HttpResponse::json(200, status_json(config, *view, &engine.state(), now_epoch_millis())));
    });
    return;
  }
  if (get && request.path == "/metrics") {
    engine.read_outbox_view([&config, &engine, answer](const OutboxView* view, const std::string&) {
      net::HttpResponse res;
      res.body = prometheus_metrics(view, config, engine.state());
      res.header("Content-Type", kPrometheusContentType);
      answer(std::move(res));
    });
    return;
  }
  answer(answer_now(request, config, engine));
}

}  // namespace ato::bridge
