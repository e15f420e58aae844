// How the fake Cloud ALM is set up (ato-sim serve's options).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "core/event.hpp"

namespace ato::sim {

struct AlmSettings {
  std::map<Service, std::string> push_paths;  // defaults: schema/README.md
  int max_package_size = 1000;
  std::optional<std::filesystem::path> journal_file;  // SQLite; none: memory only
  // The newest accepted events /sim/journal can serve; older ones are dropped from memory (a load
  // test at 60k events/s would otherwise grow by ~130 GB an hour). 0: keep all.
  std::size_t journal_memory_events = 1'000'000;
  // Refuse events of systems not registered in Landscape Management (MSG_SLIS_NOT_FOUND_IN_LMS).
  bool lms_check = true;
  // The API key of the read-only sandbox of the Features API (/SAPCALM/calm-features/v1, header
  // APIKey), as SAP's API Business Hub serves it beside the OAuth mode.
  std::string sandbox_api_key;
  // The most entities one Features API answer carries; more: a next link (--odata-page-size).
  std::int64_t features_page_size = 1000;
};
AlmSettings default_alm_settings();

}  // namespace ato::sim
