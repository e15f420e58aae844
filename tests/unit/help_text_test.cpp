#include <doctest/doctest.h>

#include <sstream>
#include <vector>

#include "core/help_text.hpp"

using ato::reflow;

namespace {

std::size_t longest_line(const std::string& text) {
  std::istringstream lines(text);
  std::size_t longest = 0;
  for (std::string line; std::getline(lines, line);) longest = std::max(longest, line.size());
  return longest;
}

}  // namespace

TEST_CASE("reflow joins a paragraph's lines and wraps it to the width") {
  const std::string text =
      "Write a complete bridge configuration, every default spelled out, from a Cloud ALM service key\n"
      "(the JSON downloaded from the SAP BTP cockpit) and the tenants.";
  const std::string out = reflow(text, 40);
  CAPTURE(out);
  CHECK(longest_line(out) <= 40);
  CHECK(out.find("service\nkey") == std::string::npos);  // no break where the source line ended
  const auto words = [](const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
  };
  CHECK(words(out) == words(text));  // the same words in the same order
}

TEST_CASE("reflow keeps empty lines, indented lines and words longer than the width") {
  const std::string text = "First paragraph.\n\nSecond one.\n  source <(ato-bridge completion bash)\nafter";
  CHECK(reflow(text, 60) == "First paragraph.\n\nSecond one.\n  source <(ato-bridge completion bash)\nafter");
  CHECK(reflow("a https://a-very-long-host.example.com/path b", 10) ==
        "a\nhttps://a-very-long-host.example.com/path\nb");
  CHECK(reflow("  indented words wrap keeping their indent", 20) ==
        "  indented words\n  wrap keeping their\n  indent");
  CHECK(reflow("", 60) == "");
}
