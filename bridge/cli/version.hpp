// `ato-bridge version` (and --version): the version and what it was built with, for bug reports.
#pragma once

#include <string>

namespace ato::bridge {

std::string version_text();

}  // namespace ato::bridge
