// The token endpoint's answers (a token, or an OAuth error) as the bridge reads them, and back.
#include "core/wire.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = ato::fuzz::text(data, size);
  ato::fuzz::parse_and_round_trip(
      input, [](std::string_view json) { return ato::parse_token_response(json); },
      [](const ato::TokenResponse& t) { return ato::to_json(t); },
      [](const ato::TokenResponse& a, const ato::TokenResponse& b) {
        return a.access_token == b.access_token && a.token_type == b.token_type &&
               a.expires_in == b.expires_in && a.scope == b.scope && a.jti == b.jti;
      },
      "token response: to_json(parse(x)) does not read back the same");
  ato::fuzz::parse_and_round_trip(
      input, [](std::string_view json) { return ato::parse_token_error(json); },
      [](const ato::TokenError& e) { return ato::to_json(e); },
      [](const ato::TokenError& a, const ato::TokenError& b) {
        return a.error == b.error && a.description == b.description;
      },
      "token error: to_json(parse(x)) does not read back the same");
  return 0;
}
