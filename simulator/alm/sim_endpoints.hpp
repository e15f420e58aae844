// The fake Cloud ALM's own endpoints, the simulator's and not SAP's (no token): /sim/transports
// (each transport with the history of events that made its status; DELETE ?system= drops one
// system's), /sim/stats, /sim/journal, /sim/faults and /sim/reset.
#pragma once

#include <optional>
#include <string>

#include "core/net/http.hpp"

namespace ato::sim {

struct AlmSettings;
class AlmStore;
class FaultInjector;
class TokenAuthority;

class SimEndpoints {
 public:
  SimEndpoints(const AlmSettings& settings, AlmStore& store, TokenAuthority& tokens, FaultInjector& faults)
      : settings_(settings), store_(store), tokens_(tokens), faults_(faults) {}

  // The answer for a /sim/ path of the Cloud ALM port, or nullopt when the path is none of these.
  std::optional<net::HttpResponse> handle(const net::HttpRequest& request);

 private:
  net::HttpResponse transports(const net::HttpRequest& request);
  net::HttpResponse journal(const net::HttpRequest& request);
  net::HttpResponse faults(const net::HttpRequest& request);
  std::string stats_json();

  const AlmSettings& settings_;
  AlmStore& store_;
  TokenAuthority& tokens_;
  FaultInjector& faults_;
};

}  // namespace ato::sim
