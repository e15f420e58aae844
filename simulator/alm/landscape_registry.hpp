// The fake Cloud ALM's Landscape Management: which systems may push. Register (idempotent; the
// service ID is ATO_<SID>_<client>[_<suffix>]), offboard, list. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/lms.hpp"

namespace ato::sim {

class LandscapeRegistry {
 public:
  // The registration, or why it cannot be done (the system is registered under another suffix).
  std::variant<LmsRegistration, std::string> register_system(const LmsRequest& request, EpochMillis now);
  LmsRegistration offboard(const SystemRef& system);
  bool is_registered(const std::string& system_key) const;
  std::vector<LmsSystem> list() const;
  void clear();

 private:
  mutable std::mutex mutex_;
  std::map<std::string, LmsSystem> systems_;  // by SID~client
};

}  // namespace ato::sim
