// `ato-bridge version` and --version: the version and what it was built with, for bug reports.
#include "bridge/cli/version.hpp"

#include <ostream>

#include "bridge/cli/command_context.hpp"
#include "bridge/cli/command_spec.hpp"

#include "bridge/outbox/outbox.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <simdjson.h>
#include <spdlog/version.h>
#include <sqlite3.h>
#include <boost/version.hpp>

namespace ato::bridge {

std::string version_text() {
  return fmt::format(
      "ato-bridge {}\n"
      "  built with {}{} (C++{}), {}\n"
      "  Boost {}.{}.{} (Beast, Asio, URL), OpenSSL {} (running {}), SQLite {} (running {}),\n"
      "  simdjson {}.{}.{} (kernel {}), spdlog {}.{}.{}, fmt {}.{}.{}\n"
      "  outbox schema version {}\n",
      ATO_VERSION,
#if defined(__clang__)
      "",
#else
      "GCC ",
#endif
      __VERSION__, __cplusplus / 100 % 100,
#ifdef NDEBUG
      "optimised",
#else
      "debug",
#endif
      BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100, OPENSSL_VERSION_TEXT,
      OpenSSL_version(OPENSSL_VERSION), SQLITE_VERSION, sqlite3_libversion(),
      int(simdjson::SIMDJSON_VERSION_MAJOR), int(simdjson::SIMDJSON_VERSION_MINOR),
      int(simdjson::SIMDJSON_VERSION_REVISION), simdjson::get_active_implementation()->name(),
      SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH, FMT_VERSION / 10000, FMT_VERSION / 100 % 100,
      FMT_VERSION % 100, Outbox::latest_schema_version());
}

CommandSpec version_command() {
  return {{"version"},
          "Print the version and what it was built with (for bug reports)",
          {},
          [](CommandContext& c) {
            c.out << version_text();
            return kExitOk;
          },
          {}};
}

}  // namespace ato::bridge
