// A push package as the fake Cloud ALM reads it, and back through to_json.
#include "core/wire.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ato::PushPackage package;
  try {
    package = ato::parse_push_package(ato::fuzz::text(data, size));
  } catch (const ato::JsonError&) {
    return 0;
  }
  ato::fuzz::round_trip(
      package, [](const ato::PushPackage& p) { return ato::to_json(p); }, ato::parse_push_package,
      [](const ato::PushPackage& a, const ato::PushPackage& b) {
        return a.package_id == b.package_id && a.service == b.service && a.sent_at == b.sent_at &&
               a.events == b.events;
      },
      "push package: to_json(parse(x)) does not read back the same");
  return 0;
}
