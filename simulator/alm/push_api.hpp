// The fake Cloud ALM's deployment-management push API (one path per outbound service,
// schema/README.md): token and scope, the package validated, and a result per event (accepted,
// duplicate, or rejected: OUT_OF_ORDER, MSG_SLIS_NOT_FOUND_IN_LMS).
#pragma once

#include "core/event.hpp"
#include "core/net/http.hpp"
#include "core/time.hpp"

namespace ato::sim {

struct AlmSettings;
class AlmStore;
class FaultInjector;
class LandscapeRegistry;
class TokenAuthority;

class PushApi {
 public:
  PushApi(const AlmSettings& settings, AlmStore& store, TokenAuthority& tokens, FaultInjector& faults,
          const LandscapeRegistry& registry)
      : settings_(settings), store_(store), tokens_(tokens), faults_(faults), registry_(registry) {}

  // A POST to `service`'s push path.
  net::HttpResponse push(const net::HttpRequest& request, Service service, EpochMillis now);

 private:
  const AlmSettings& settings_;
  AlmStore& store_;
  TokenAuthority& tokens_;
  FaultInjector& faults_;
  const LandscapeRegistry& registry_;
};

}  // namespace ato::sim
