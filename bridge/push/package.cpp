#include "bridge/push/package.hpp"

#include "core/url.hpp"

namespace ato::bridge {

std::string push_url(const CommunicationSystem& system, const std::string& path) {
  auto parsed = parse_http_url(system.host);
  if (auto* url = std::get_if<HttpUrl>(&parsed)) {
    url->port = system.port;
    return url->origin() + path;
  }
  return system.host + path;
}

std::string package_body(const std::string& package_id, Service service, EpochMillis sent_at,
                         const std::vector<ClaimedEvent>& events) {
  std::size_t size = 128;
  for (const auto& e : events) size += e.payload.size() + 1;
  std::string out;
  out.reserve(size);
  out += R"({"packageId":")";
  out += package_id;
  out += R"(","service":")";
  out += to_string(service);
  out += R"(","sentAt":")";
  out += format_iso8601_utc(sent_at);
  out += R"(","events":[)";
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i) out += ',';
    out += events[i].payload;
  }
  out += "]}";
  return out;
}

}  // namespace ato::bridge
