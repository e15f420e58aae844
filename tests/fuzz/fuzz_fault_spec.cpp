// The simulator's --faults specification (also set at run time through its admin call).
#include <cmath>

#include "simulator/faults.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    for (const auto& rule : ato::sim::parse_fault_spec(ato::fuzz::text(data, size)))
      if (!(rule.probability >= 0 && rule.probability <= 1))
        ato::fuzz::finding("fault spec: probability out of [0, 1]");
  } catch (const ato::sim::FaultSpecError&) {
  }
  return 0;
}
