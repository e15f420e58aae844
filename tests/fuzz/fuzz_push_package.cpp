// A push package as the fake Cloud ALM reads it, and back through to_json.
#include "core/wire.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ato::fuzz::parse_and_round_trip(
      ato::fuzz::text(data, size), [](std::string_view json) { return ato::parse_push_package(json); },
      [](const ato::PushPackage& x) { return ato::to_json(x); },
      [](const ato::PushPackage& a, const ato::PushPackage& b) {
        return a.package_id == b.package_id && a.service == b.service && a.sent_at == b.sent_at &&
               a.events == b.events;
      },
      "push package: to_json(parse(x)) does not read back the same");
  return 0;
}
