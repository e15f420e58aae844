// Absolute http(s) URLs, parsed by Boost.URL, in the pieces an HTTP client needs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace ato {

struct HttpUrl {
  std::string scheme;  // "https" or "http"
  std::string host;    // without brackets for IPv6
  std::uint16_t port = 443;
  std::string target;  // path and query, at least "/"
  bool tls() const { return scheme == "https"; }
  // scheme://host[:port] (port only when not the scheme's default).
  std::string origin() const;
  std::string str() const { return origin() + (target == "/" ? "" : target); }
};

// Returns the URL, or a message saying what is wrong with `text` (never echoing userinfo).
std::variant<HttpUrl, std::string> parse_http_url(std::string_view text);

}  // namespace ato
