// The HTTP client settings every connection of the bridge starts from: the CA to trust, whether to
// verify, and, with an X.509 service key, its certificate and key (presented only to a server that
// asks for one: XSUAA's mTLS token endpoint).
#pragma once

#include "bridge/config.hpp"
#include "core/net/http_client.hpp"

namespace ato::bridge {

net::ClientOptions client_options_of(const BridgeConfig& config);

}  // namespace ato::bridge
