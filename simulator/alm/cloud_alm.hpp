// The fake SAP Cloud ALM: a router over its parts, each with one job, sharing one store:
//   token_authority  XSUAA: /oauth/token (also on the mTLS host), /token_keys
//   push_api         the deployment-management push API, one path per outbound service
//   features_api     SAP's public Features API, /api/calm-features/v1
//   landscape_api    Landscape Management (ours), /api/calm-lms/
//   sim_endpoints    the simulator's own /sim/ endpoints
//   alm_store        the state they share, reachable only under its lock
// Thread-safe: the HTTP server calls handle() from several threads.
#pragma once

#include <memory>
#include <mutex>

#include "core/net/http.hpp"
#include "core/time.hpp"
#include "simulator/alm/alm_settings.hpp"
#include "simulator/alm/alm_store.hpp"
#include "simulator/alm/features_api.hpp"
#include "simulator/alm/landscape_api.hpp"
#include "simulator/alm/landscape_registry.hpp"
#include "simulator/alm/push_api.hpp"
#include "simulator/alm/sim_endpoints.hpp"
#include "simulator/alm/token_authority.hpp"
#include "simulator/faults.hpp"

namespace ato::sim {

class CloudAlm {
 public:
  CloudAlm(AlmSettings settings, TokenAuthority& tokens, FaultInjector& faults);

  net::HttpResponse handle(const net::HttpRequest& request);
  // The listener at an X.509 key's certurl: mutual TLS already proved the client (the handshake
  // required the key's certificate); only the token endpoint is there.
  net::HttpResponse handle_certified(const net::HttpRequest& request);

  void set_ato_inbound(AtoInbound target) { features_api_.set_ato_inbound(std::move(target)); }

 private:
  net::HttpResponse route(const net::HttpRequest& request);
  net::HttpResponse token(const net::HttpRequest& request, EpochMillis now, ClientProof proof);
  // Token faults that run on a clock (revoke-every, expire-after), brought up to `now`.
  void apply_periodic_faults(EpochMillis now);

  const AlmSettings settings_;
  TokenAuthority& tokens_;
  FaultInjector& faults_;
  const EpochMillis started_at_;
  std::mutex revocation_mutex_;
  EpochMillis revoked_epoch_ = 0;  // under revocation_mutex_: the last revoke-every period applied

  AlmStore store_;
  LandscapeRegistry registry_;
  PushApi push_api_;
  FeaturesApi features_api_;
  LandscapeApi landscape_api_;
  SimEndpoints sim_endpoints_;
};

}  // namespace ato::sim
