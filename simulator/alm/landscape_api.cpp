// Landscape Management (ours): register, offboard, list; manage scope to write, display scope to read.
#include "simulator/alm/landscape_api.hpp"

#include <fmt/format.h>

#include "core/json_reader.hpp"
#include "core/lms.hpp"
#include "simulator/alm/answers.hpp"
#include "simulator/alm/landscape_registry.hpp"
#include "simulator/odata.hpp"

namespace ato::sim {

net::HttpResponse LandscapeApi::handle(const net::HttpRequest& request, EpochMillis now) {
  if (request.method == "POST")
    if (auto refused = refuse_non_json(request)) return *refused;
  const bool read = request.path == kLmsSystemsPath;
  if (!read && request.path != kLmsRegisterPath && request.path != kLmsOffboardPath)
    return odata_error(404, "NOT_FOUND", fmt::format("No resource at {}", request.path));
  if (request.method != (read ? "GET" : "POST"))
    return odata_error(405, "METHOD_NOT_ALLOWED", read ? "List systems with GET" : "Use POST");
  const auto auth = tokens_.check(request.header("Authorization"), read ? kDisplayScope : kManageScope, now);
  if (auth.verdict != TokenVerdict::Valid) return auth_error(auth);
  if (read) return net::HttpResponse::json(200, lms_systems_json(registry_.list()));
  const bool registering = request.path == kLmsRegisterPath;
  LmsRequest body;
  try {
    body = parse_lms_request(request.body, registering);
  } catch (const JsonError& e) {
    return odata_error(400, "INVALID_REQUEST", e.problem(),
                       e.path().empty() ? std::nullopt : std::optional(e.path()));
  }
  if (!registering) return net::HttpResponse::json(200, to_json(registry_.offboard(body.system)));
  auto outcome = registry_.register_system(body, now);
  if (auto* conflict = std::get_if<std::string>(&outcome)) return odata_error(409, "CONFLICT", *conflict);
  return net::HttpResponse::json(200, to_json(std::get<LmsRegistration>(outcome)));
}

}  // namespace ato::sim
