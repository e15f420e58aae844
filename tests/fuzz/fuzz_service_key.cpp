// The Cloud ALM service key as downloaded (the bridge reads it; the simulator writes one), and back.
#include "core/service_key.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ato::fuzz::parse_and_round_trip(
      ato::fuzz::text(data, size), [](std::string_view json) { return ato::parse_service_key(json); },
      [](const ato::ServiceKey& x) { return ato::to_json(x); },
      [](const ato::ServiceKey& a, const ato::ServiceKey& b) {
        return a.api_url == b.api_url && a.uaa_url == b.uaa_url && a.client_id == b.client_id &&
               a.client_secret.reveal() == b.client_secret.reveal() && a.identity_zone == b.identity_zone &&
               a.tenant_id == b.tenant_id && a.xsappname == b.xsappname;
      },
      "service key: to_json(parse(x)) does not read back the same");
  return 0;
}
