// Absolute http(s) URLs and listen addresses, parsed by Boost.URL and then checked strictly: Boost.URL
// accepts forms an HTTP client must not guess at (a port glued to a rootless path, a port above
// 65535 that wraps around, an empty port, a percent-encoded host), so those are refused here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace ato {

struct HttpUrl {
  std::string scheme;  // "https" or "http"
  std::string host;    // lower case; without brackets for IPv6
  std::uint16_t port = 443;
  std::string target;  // path and query, at least "/"
  bool tls() const { return scheme == "https"; }
  // scheme://host[:port] (port only when not the scheme's default).
  std::string origin() const;
  std::string str() const { return origin() + (target == "/" ? "" : target); }
};

// Returns the URL, or a message saying what is wrong with `text` (never echoing userinfo).
std::variant<HttpUrl, std::string> parse_http_url(std::string_view text);

// Whether two URLs share scheme, host and port: where credentials for one may also go.
bool same_origin(const HttpUrl& a, const HttpUrl& b);

// localhost, 127.0.0.0/8 or ::1: traffic that never leaves the machine.
bool is_loopback_host(std::string_view host);

struct ListenAddress {
  std::string host;  // an IP address (without brackets) or "localhost"
  std::uint16_t port = 0;
};

// host:port for a server to bind: an IPv4 address, [IPv6] in brackets, or localhost, and a port
// 0-65535 (0: any free port). Returns the address or what is wrong with `text`.
std::variant<ListenAddress, std::string> parse_listen_address(std::string_view text);

}  // namespace ato
