// The bridge's configuration file, beside a valid service key in a scratch directory.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "bridge/config.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

std::filesystem::path scratch() {
  static const std::filesystem::path dir = [] {
    char name[] = "/tmp/ato-fuzz-config-XXXXXX";
    const std::filesystem::path made = ::mkdtemp(name);
    std::ofstream(made / "key.json")
        << R"({"uaa":{"clientid":"sb-x!b1","clientsecret":"fuzz-Secret-1","url":"https://t.authentication.eu10.hana.ondemand.com"},"endpoints":{"Api":"https://t.eu10.alm.cloud.sap/api"}})";
    std::filesystem::permissions(made / "key.json", std::filesystem::perms::owner_read);
    return made;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ato::bridge::EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "ATO_PASSWORD") return std::string("fuzz-Password-1");
    return std::nullopt;
  };
  const auto input = ato::fuzz::text(data, size);
  try {
    const auto config = ato::bridge::parse_config(input, scratch() / "bridge.json", env);
    // What `config check` prints must never carry a secret (unless the input put that text elsewhere
    // itself, say in a path: the fuzzer learns the strings this check compares with).
    const auto shown =
        ato::bridge::effective_config_text(config) + ato::bridge::effective_config_json(config);
    for (const char* secret : {"fuzz-Secret-1", "fuzz-Password-1"})
      if (shown.find(secret) != std::string::npos && input.find(secret) == std::string_view::npos)
        ato::fuzz::finding("config: a secret is shown");
  } catch (const ato::bridge::ConfigError&) {
  }
  return 0;
}
