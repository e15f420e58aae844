#include "core/url.hpp"

#include <boost/url/ipv4_address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <cctype>

namespace ato {
namespace {

// Digits only, at most 65535: Boost.URL reads "99999" as 34463.
std::variant<std::uint16_t, std::string> checked_port(std::string_view text) {
  if (text.empty()) return std::string("has ':' but no port after it");
  if (text.size() > 5 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return "has an invalid port '" + std::string(text) + "' (expected a number from 1 to 65535)";
  const unsigned long value = std::stoul(std::string(text));
  if (value > 65535) return "has an invalid port '" + std::string(text) + "' (expected at most 65535)";
  return static_cast<std::uint16_t>(value);
}

// A DNS name: letters, digits, '-' and '.', no empty label. Percent-encoding and other characters
// RFC 3986 allows in a reg-name name no host a resolver would find.
bool is_dns_name(std::string_view host) {
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.find("..") != std::string_view::npos)
    return false;
  return std::all_of(host.begin(), host.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.'; });
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

std::string HttpUrl::origin() const {
  std::string out = scheme + "://";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls() ? 443 : 80)) out += ":" + std::to_string(port);
  return out;
}

bool same_origin(const HttpUrl& a, const HttpUrl& b) {
  return a.scheme == b.scheme && a.host == b.host && a.port == b.port;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1") return true;
  auto ipv4 = boost::urls::parse_ipv4_address(host);  // "127.evil.example" is a name, not loopback
  return ipv4 && ipv4->is_loopback();
}

std::variant<HttpUrl, std::string> parse_http_url(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return std::string("not an absolute URL (expected e.g. https://host.example.com/path)");
  const boost::urls::url_view url = *parsed;
  HttpUrl out;
  out.scheme = lower(url.scheme());
  if (out.scheme != "https" && out.scheme != "http")
    return "unsupported scheme '" + out.scheme + "' (expected https, or http for local tests)";
  if (!url.has_authority()) return std::string("has no host (expected scheme://host/...)");
  if (url.has_userinfo())
    return std::string("must not contain a user name or password; configure those separately");
  if (url.has_fragment()) return std::string("must not contain a #fragment");
  switch (url.host_type()) {
    case boost::urls::host_type::name:
      out.host = lower(url.encoded_host_address());
      if (!is_dns_name(out.host))
        return "has an invalid host name '" + std::string(url.encoded_host_address()) +
               "' (expected letters, digits, '-' and '.')";
      break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
      out.host = lower(url.host_address());
      break;
    default:
      return std::string("has no usable host (expected a host name, an IPv4 or a bracketed IPv6 address)");
  }
  if (url.has_port()) {
    auto port = checked_port(url.port());
    if (auto* error = std::get_if<std::string>(&port)) return *error;
    out.port = std::get<std::uint16_t>(port);
    if (out.port == 0) return std::string("has port 0 (expected a number from 1 to 65535)");
  } else {
    out.port = out.tls() ? 443 : 80;
  }
  // "https://host:443oauth/token" parses as host:443 with the rootless path "oauth/token"; a typo
  // like that must not become a request to some other path.
  const std::string_view path = url.encoded_path();
  if (!path.empty() && path.front() != '/')
    return "has text right after the port: '" + std::string(path) +
           "' (a path must start with '/', e.g. https://host:443/oauth/token)";
  out.target = path.empty() ? std::string("/") : std::string(path);
  if (url.has_query()) out.target += "?" + std::string(url.encoded_query());
  return out;
}

std::variant<ListenAddress, std::string> parse_listen_address(std::string_view text) {
  const auto expected = std::string(" (expected host:port, like 127.0.0.1:8690 or [::1]:8690; port 0 picks a free one)");
  auto parsed = boost::urls::parse_authority(text);
  if (!parsed || parsed->has_userinfo()) return "'" + std::string(text) + "' is not host:port" + expected;
  if (!parsed->has_port()) return "'" + std::string(text) + "' has no port" + expected;
  ListenAddress out;
  switch (parsed->host_type()) {
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
      out.host = lower(parsed->host_address());
      break;
    case boost::urls::host_type::name:
      if (lower(parsed->encoded_host_address()) == "localhost") {
        out.host = "localhost";
        break;
      }
      [[fallthrough]];
    default:
      return "'" + std::string(text) + "' does not name an IP address or localhost" + expected;
  }
  auto port = checked_port(parsed->port());
  if (auto* error = std::get_if<std::string>(&port)) return "'" + std::string(text) + "' " + *error;
  out.port = std::get<std::uint16_t>(port);
  return out;
}

}  // namespace ato
