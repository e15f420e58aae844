// One ATO event (the feed's and the recordings' unit), and back through to_json.
#include "core/event.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ato::fuzz::parse_and_round_trip(
      ato::fuzz::text(data, size), [](std::string_view json) { return ato::parse_event_json(json); },
      [](const ato::AtoEvent& x) { return ato::to_json(x); },
      [](const ato::AtoEvent& a, const ato::AtoEvent& b) { return a == b; },
      "event: to_json(parse(x)) does not read back the same");
  return 0;
}
