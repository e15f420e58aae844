// Answers every API of the fake Cloud ALM gives alike: refused bodies, refused tokens, injected
// faults.
#include "simulator/alm/answers.hpp"

#include <fmt/format.h>

#include "simulator/odata.hpp"

namespace ato::sim {
namespace {

std::string_view status_code_name(int status) {
  switch (status) {
    case 400:
      return "BAD_REQUEST";
    case 401:
      return "UNAUTHORIZED";
    case 403:
      return "FORBIDDEN";
    case 404:
      return "NOT_FOUND";
    case 405:
      return "METHOD_NOT_ALLOWED";
    case 408:
      return "REQUEST_TIMEOUT";
    case 413:
      return "PAYLOAD_TOO_LARGE";
    case 422:
      return "UNPROCESSABLE_ENTITY";
    case 429:
      return "TOO_MANY_REQUESTS";
    case 500:
      return "INTERNAL_SERVER_ERROR";
    case 502:
      return "BAD_GATEWAY";
    case 503:
      return "SERVICE_UNAVAILABLE";
    case 504:
      return "GATEWAY_TIMEOUT";
    default:
      return "ERROR";
  }
}

// RFC 6750 3: no error code when no token came; otherwise the same words as the body's message.
std::string bearer_challenge(const TokenCheck& auth) {
  std::string challenge = "Bearer realm=\"SAP Cloud ALM (ato-sim)\"";
  if (auth.verdict == TokenVerdict::Missing) return challenge;
  std::string description;
  for (char c : auth.message)
    if (c != '"' && c != '\\') description += c;
  return challenge + ", error=\"invalid_token\", error_description=\"" + description + "\"";
}

}  // namespace

net::HttpResponse injected_error(const FaultDecision& decision) {
  auto response = odata_error(*decision.status, std::string(status_code_name(*decision.status)),
                              "Injected by ato-sim (--faults)");
  if (decision.retry_after) response.header("Retry-After", *decision.retry_after);
  decision.shape(response);
  return response;
}

// A body that is not declared JSON gets 415, naming what is expected (a form-encoded or text body
// is never parsed as if it were JSON).
std::optional<net::HttpResponse> refuse_non_json(const net::HttpRequest& request) {
  std::string_view type = request.header("Content-Type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (net::iequals(type, "application/json")) return std::nullopt;
  return odata_error(
      415, "UNSUPPORTED_MEDIA_TYPE",
      fmt::format("The body must be JSON: send Content-Type: application/json (got {})",
                  type.empty() ? std::string("no Content-Type") : "'" + std::string(type) + "'"));
}

// 401 (no or no valid token: the challenge says why, in the body's words) or 403 (a scope is missing).
net::HttpResponse auth_error(const TokenCheck& auth) {
  const bool forbidden = auth.verdict == TokenVerdict::MissingScope;
  auto response = odata_error(forbidden ? 403 : 401, forbidden ? "FORBIDDEN" : "UNAUTHORIZED", auth.message);
  if (!forbidden) response.header("WWW-Authenticate", bearer_challenge(auth));
  return response;
}

}  // namespace ato::sim
