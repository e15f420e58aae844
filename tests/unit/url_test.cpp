// URLs and listen addresses: what Boost.URL accepts but an HTTP client must not guess at is refused.
#include <doctest/doctest.h>

#include "core/url.hpp"

using namespace ato;

namespace {

HttpUrl url(std::string_view text) {
  auto parsed = parse_http_url(text);
  if (auto* error = std::get_if<std::string>(&parsed)) FAIL("'" << text << "': " << *error);
  return std::get<HttpUrl>(parsed);
}

std::string refusal(std::string_view text) {
  auto parsed = parse_http_url(text);
  REQUIRE_MESSAGE(std::holds_alternative<std::string>(parsed), text << " was accepted");
  return std::get<std::string>(parsed);
}

}  // namespace

TEST_CASE("a URL is split into what a request needs") {
  const auto u = url("HTTPS://Uaa.Example.COM:8443/oauth/token?x=1");
  CHECK(u.scheme == "https");
  CHECK(u.host == "uaa.example.com");
  CHECK(u.port == 8443);
  CHECK(u.target == "/oauth/token?x=1");
  CHECK(u.origin() == "https://uaa.example.com:8443");
  CHECK(url("http://[::1]:8080").origin() == "http://[::1]:8080");
  CHECK(url("https://h.example.com").target == "/");
}

TEST_CASE("URLs that parse wrongly are refused") {
  // Boost.URL reads this as host:443 with the rootless path "oauth/token".
  CHECK(refusal("https://uaa.example.com:443oauth/token").find("text right after the port") !=
        std::string::npos);
  // Boost.URL wraps 99999 around to 34463.
  CHECK(refusal("https://h.example.com:99999/x").find("invalid port '99999'") != std::string::npos);
  CHECK(refusal("https://h.example.com:/x").find("no port after it") != std::string::npos);
  CHECK(refusal("https://h.example.com:0/x").find("port 0") != std::string::npos);
  CHECK(refusal("https://h%41.example.com/x").find("invalid host name") != std::string::npos);
  CHECK(refusal("https:///x").find("invalid host name") != std::string::npos);
  CHECK(refusal("https:host/x").find("has no host") != std::string::npos);
  CHECK(refusal("https://user:pw@h.example.com/").find("user name or password") != std::string::npos);
  CHECK(refusal("https://user:pw@h.example.com/").find("pw") == std::string::npos);  // never echoed
  CHECK(refusal("ftp://h.example.com/").find("unsupported scheme") != std::string::npos);
  CHECK(refusal("https://h.example.com/#x").find("fragment") != std::string::npos);
  CHECK(refusal("h.example.com/feed").find("not an absolute URL") != std::string::npos);
}

TEST_CASE("origins and loopback") {
  CHECK(same_origin(url("https://a.example.com/x"), url("https://A.example.com:443/y")));
  CHECK_FALSE(same_origin(url("https://a.example.com/x"), url("http://a.example.com/x")));
  CHECK_FALSE(same_origin(url("https://a.example.com/x"), url("https://a.example.com:8443/x")));
  CHECK_FALSE(same_origin(url("https://a.example.com/x"), url("https://b.example.com/x")));
  CHECK(is_loopback_host("127.0.0.1"));
  CHECK(is_loopback_host("127.8.9.10"));
  CHECK(is_loopback_host("::1"));
  CHECK(is_loopback_host("localhost"));
  CHECK_FALSE(is_loopback_host("127.evil.example"));  // a name, not an address
  CHECK_FALSE(is_loopback_host("10.0.0.1"));
}

TEST_CASE("listen addresses: an IP address or localhost, and a port") {
  auto ok = [](std::string_view text) {
    auto parsed = parse_listen_address(text);
    if (auto* error = std::get_if<std::string>(&parsed)) FAIL("'" << text << "': " << *error);
    return std::get<ListenAddress>(parsed);
  };
  CHECK(ok("127.0.0.1:8690").port == 8690);
  CHECK(ok("[::1]:0").host == "::1");
  CHECK(ok("localhost:1").host == "localhost");
  for (const char* bad : {"::1", "[::1]", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:8x",
                          "example.com:80", "u@127.0.0.1:80", ":80"})
    CHECK_MESSAGE(std::holds_alternative<std::string>(parse_listen_address(bad)), bad);
}
