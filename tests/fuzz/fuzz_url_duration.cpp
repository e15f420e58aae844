// URLs, listen addresses and durations from configuration and command lines: what parses, prints
// back to the same thing.
#include "core/time.hpp"
#include "core/url.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = ato::fuzz::text(data, size);
  if (auto parsed = ato::parse_http_url(input); auto* url = std::get_if<ato::HttpUrl>(&parsed)) {
    if (url->host.empty() || url->port == 0 || url->target.empty() || url->target.front() != '/')
      ato::fuzz::finding("url: parsed into an unusable URL");
    auto again = ato::parse_http_url(url->str());
    auto* same = std::get_if<ato::HttpUrl>(&again);
    if (!same || !ato::same_origin(*url, *same) || same->target != url->target)
      ato::fuzz::finding("url: str() does not read back the same");
  }
  if (auto parsed = ato::parse_listen_address(input);
      auto* address = std::get_if<ato::ListenAddress>(&parsed)) {
    if (address->host.empty()) ato::fuzz::finding("listen address: no host");
  }
  if (auto duration = ato::parse_duration(input)) {
    if (duration->count() < 0) ato::fuzz::finding("duration: negative");
    if (ato::parse_duration(ato::format_duration(*duration)) != duration)
      ato::fuzz::finding("duration: format_duration does not read back the same");
  }
  return 0;
}
