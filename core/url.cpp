#include "core/url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace ato {

std::string HttpUrl::origin() const {
  std::string out = scheme + "://";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls() ? 443 : 80)) out += ":" + std::to_string(port);
  return out;
}

std::variant<HttpUrl, std::string> parse_http_url(std::string_view text) {
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) return std::string("not an absolute URL (expected e.g. https://host.example.com/path)");
  const boost::urls::url_view url = *parsed;
  HttpUrl out;
  out.scheme = std::string(url.scheme());
  if (out.scheme != "https" && out.scheme != "http")
    return "unsupported scheme '" + out.scheme + "' (expected https, or http for local tests)";
  if (url.has_userinfo())
    return std::string("must not contain a user name or password; configure those separately");
  if (url.has_fragment()) return std::string("must not contain a #fragment");
  out.host = std::string(url.encoded_host_address());
  if (out.host.size() >= 2 && out.host.front() == '[') out.host = out.host.substr(1, out.host.size() - 2);
  if (out.host.empty()) return std::string("has no host name");
  if (url.has_port()) {
    const auto number = url.port_number();
    if (number == 0) return "has an invalid port '" + std::string(url.port()) + "'";
    out.port = number;
  } else {
    out.port = out.tls() ? 443 : 80;
  }
  out.target = std::string(url.encoded_path());
  if (out.target.empty()) out.target = "/";
  if (url.has_query()) out.target += "?" + std::string(url.encoded_query());
  return out;
}

}  // namespace ato
