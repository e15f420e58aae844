// Cloud ALM's answer to a push as the bridge reads it, and back through to_json.
#include "core/wire.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

bool same(const ato::PushResponse& a, const ato::PushResponse& b) {
  if (a.package_id != b.package_id || a.results.size() != b.results.size()) return false;
  for (std::size_t i = 0; i < a.results.size(); ++i) {
    const auto &x = a.results[i], &y = b.results[i];
    if (x.event_id != y.event_id || x.outcome != y.outcome || x.code != y.code || x.message != y.message)
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ato::fuzz::parse_and_round_trip(
      ato::fuzz::text(data, size), [](std::string_view json) { return ato::parse_push_response(json); },
      [](const ato::PushResponse& r) { return ato::to_json(r); }, same,
      "push response: to_json(parse(x)) does not read back the same");
  return 0;
}
