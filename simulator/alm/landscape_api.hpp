// The fake Cloud ALM's Landscape Management API (ours: SAP publishes none for ATO; README.md,
// "Landscape registration"): register, offboard, list the systems that may push.
#pragma once

#include "core/net/http.hpp"
#include "core/time.hpp"

namespace ato::sim {

class LandscapeRegistry;
class TokenAuthority;

class LandscapeApi {
 public:
  LandscapeApi(LandscapeRegistry& registry, TokenAuthority& tokens) : registry_(registry), tokens_(tokens) {}
  // Anything under /api/calm-lms/.
  net::HttpResponse handle(const net::HttpRequest& request, EpochMillis now);

 private:
  LandscapeRegistry& registry_;
  TokenAuthority& tokens_;
};

}  // namespace ato::sim
