// The ATO feed page as the bridge reads it from the feed, and back through to_json.
#include "core/wire.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ato::fuzz::parse_and_round_trip(
      ato::fuzz::text(data, size), [](std::string_view json) { return ato::parse_feed_page(json); },
      [](const ato::FeedPage& x) { return ato::to_json(x); },
      [](const ato::FeedPage& a, const ato::FeedPage& b) {
        return a.events == b.events && a.head_sequence == b.head_sequence && a.next_link == b.next_link &&
               a.count == b.count;
      },
      "feed page: to_json(parse(x)) does not read back the same");
  return 0;
}
