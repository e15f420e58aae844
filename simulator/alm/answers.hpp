// Answers every API of the fake Cloud ALM gives alike (simulator/alm/answers.cpp).
#pragma once

#include <optional>

#include "core/net/http.hpp"
#include "simulator/alm/token_authority.hpp"
#include "simulator/faults.hpp"

namespace ato::sim {

// 415 for a body not declared JSON, naming what is expected; nullopt when it is JSON.
std::optional<net::HttpResponse> refuse_non_json(const net::HttpRequest& request);
// 401 (no or no valid token: the challenge says why, in the body's words) or 403 (a scope is missing).
net::HttpResponse auth_error(const TokenCheck& auth);
// The error a fault rule asks for (--faults), as an OData error with Retry-After where it says.
net::HttpResponse injected_error(const FaultDecision& decision);

}  // namespace ato::sim
