// One ATO event (the feed's and the recordings' unit), and back through to_json.
#include "core/event.hpp"
#include "core/json_reader.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ato::AtoEvent event;
  try {
    event = ato::parse_event_json(ato::fuzz::text(data, size));
  } catch (const ato::JsonError&) {
    return 0;
  }
  ato::fuzz::round_trip(
      event, [](const ato::AtoEvent& e) { return ato::to_json(e); }, ato::parse_event_json,
      [](const ato::AtoEvent& a, const ato::AtoEvent& b) { return a == b; },
      "event: to_json(parse(x)) does not read back the same");
  return 0;
}
