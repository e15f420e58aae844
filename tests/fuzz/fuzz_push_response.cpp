// Cloud ALM's answer to a push as the bridge reads it, and back through to_json.
#include "core/wire.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ato::PushResponse response;
  try {
    response = ato::parse_push_response(ato::fuzz::text(data, size));
  } catch (const ato::JsonError&) {
    return 0;
  }
  ato::fuzz::round_trip(
      response, [](const ato::PushResponse& r) { return ato::to_json(r); }, ato::parse_push_response,
      [](const ato::PushResponse& a, const ato::PushResponse& b) {
        if (a.package_id != b.package_id || a.results.size() != b.results.size()) return false;
        for (std::size_t i = 0; i < a.results.size(); ++i)
          if (a.results[i].event_id != b.results[i].event_id ||
              a.results[i].outcome != b.results[i].outcome || a.results[i].code != b.results[i].code ||
              a.results[i].message != b.results[i].message)
            return false;
        return true;
      },
      "push response: to_json(parse(x)) does not read back the same");
  return 0;
}
