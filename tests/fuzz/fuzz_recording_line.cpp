// One line of an NDJSON recording (replay reads them from files users bring).
#include "core/json_reader.hpp"
#include "core/wire.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ato::AtoEvent event;
  try {
    event = ato::parse_recording_line(ato::fuzz::text(data, size));
  } catch (const ato::JsonError&) {
    return 0;
  }
  ato::fuzz::round_trip(
      event, [](const ato::AtoEvent& e) { return ato::to_json(e); }, ato::parse_recording_line,
      [](const ato::AtoEvent& a, const ato::AtoEvent& b) { return a == b; },
      "recording line: to_json(parse(x)) does not read back the same");
  return 0;
}
