// One line of an NDJSON recording (replay reads them from files users bring), and back.
#include "core/wire.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ato::fuzz::parse_and_round_trip(
      ato::fuzz::text(data, size), [](std::string_view json) { return ato::parse_recording_line(json); },
      [](const ato::AtoEvent& x) { return ato::to_json(x); },
      [](const ato::AtoEvent& a, const ato::AtoEvent& b) { return a == b; },
      "recording line: to_json(parse(x)) does not read back the same");
  return 0;
}
