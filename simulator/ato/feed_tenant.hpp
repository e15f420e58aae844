// One tenant of the fake ATO as AtoFeed keeps it: its arrangement, its events as recorded and as
// served. Shared by the feed (feed.cpp) and the transports made on request (transport_requests.cpp).
#pragma once

#include <string>
#include <vector>

#include "core/base64.hpp"
#include "core/net/http.hpp"
#include "simulator/ato/feed.hpp"

namespace ato::sim {

struct AtoFeed::Tenant {
  TenantSettings settings;
  std::string name;    // SID~client
  std::string prefix;  // /tenants/<name>
  bool active = false;
  std::vector<AtoEvent> events;   // ascending sequence
  std::vector<std::string> json;  // each event as served
  std::int64_t counts[3] = {0, 0, 0};
  std::int64_t not_activated = 0;  // events that happened while the arrangement was not active

  std::int64_t head() const { return events.empty() ? 0 : events.back().sequence; }
  bool authorized(const net::HttpRequest& request) const {
    const auto header = request.header("Authorization");
    if (header.size() <= 6 || !net::iequals(header.substr(0, 6), "basic ")) return false;
    const auto decoded = base64_decode(header.substr(6));
    return decoded && *decoded == settings.user + ":" + settings.password.reveal();
  }
  // Whether the arrangement records this event: active, or activated by the time it happened.
  bool records(const AtoEvent& e) const {
    switch (settings.activation.kind) {
      case Activation::Kind::FromStart:
        return true;
      case Activation::Kind::At:
        return active || e.occurred_at >= settings.activation.at;
      case Activation::Kind::OnRequest:
        return active;
    }
    return false;
  }
};

}  // namespace ato::sim
