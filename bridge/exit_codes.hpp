// The exit codes of both programs' commands (README.md, "Running the bridge").
#pragma once

namespace ato::bridge {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the request could not be done (bad config, I/O, ...)
inline constexpr int kExitUsage = 2;    // the command line itself is wrong

}  // namespace ato::bridge
