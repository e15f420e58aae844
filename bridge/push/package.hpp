// What goes on the wire to Cloud ALM: the URL of a service's push path and a package's JSON.
#pragma once

#include <string>
#include <vector>

#include "bridge/config.hpp"
#include "bridge/outbox/types.hpp"

namespace ato::bridge {

// The URL a service's packages go to: the communication system's host and port, and the path.
std::string push_url(const CommunicationSystem& system, const std::string& path);

// The JSON of a package, built from the events' stored JSON without re-parsing it.
std::string package_body(const std::string& package_id, Service service, EpochMillis sent_at,
                         const std::vector<ClaimedEvent>& events);

}  // namespace ato::bridge
