// The ATO feed page as the bridge reads it from the feed, and back through to_json.
#include "core/wire.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ato::FeedPage page;
  try {
    page = ato::parse_feed_page(ato::fuzz::text(data, size));
  } catch (const ato::JsonError&) {
    return 0;
  }
  ato::fuzz::round_trip(
      page, [](const ato::FeedPage& p) { return ato::to_json(p); }, ato::parse_feed_page,
      [](const ato::FeedPage& a, const ato::FeedPage& b) {
        return a.events == b.events && a.head_sequence == b.head_sequence && a.next_link == b.next_link &&
               a.count == b.count;
      },
      "feed page: to_json(parse(x)) does not read back the same");
  return 0;
}
