#include "simulator/alm/landscape_registry.hpp"

#include <fmt/format.h>

namespace ato::sim {

std::variant<LmsRegistration, std::string> LandscapeRegistry::register_system(const LmsRequest& request,
                                                                              EpochMillis now) {
  std::lock_guard lock(mutex_);
  const std::string key = request.system.key();
  const std::string service_id = lms_service_id(request.system, request.suffix);
  LmsRegistration answer{service_id, request.system, request.role, request.suffix, true, true, {}};
  if (auto it = systems_.find(key); it != systems_.end()) {
    if (it->second.service_id != service_id)
      return fmt::format("{} is already registered as {}; offboard it first to register it as {}", key,
                         it->second.service_id, service_id);
    answer.changed = false;
    answer.role = it->second.role;
    answer.message = fmt::format("{} is already registered in Landscape Management as {}; nothing changed",
                                 key, service_id);
    return answer;
  }
  systems_[key] = {service_id, request.system, *request.role, request.suffix, now};
  answer.message = fmt::format(
      "Service registration triggered: {} appears in Landscape Management as {}; PUSH data collection is "
      "active",
      key, service_id);
  return answer;
}

LmsRegistration LandscapeRegistry::offboard(const SystemRef& system) {
  std::lock_guard lock(mutex_);
  const std::string key = system.key();
  auto it = systems_.find(key);
  if (it == systems_.end())
    return {lms_service_id(system, std::nullopt),
            system,
            std::nullopt,
            std::nullopt,
            false,
            false,
            fmt::format("{} is not registered in Landscape Management; nothing changed", key)};
  LmsRegistration answer{it->second.service_id,
                         system,
                         it->second.role,
                         it->second.suffix,
                         false,
                         true,
                         fmt::format("{} ({}) offboarded: data transfer stopped and the service unregistered",
                                     key, it->second.service_id)};
  systems_.erase(it);
  return answer;
}

bool LandscapeRegistry::is_registered(const std::string& system_key) const {
  std::lock_guard lock(mutex_);
  return systems_.count(system_key) > 0;
}

std::vector<LmsSystem> LandscapeRegistry::list() const {
  std::lock_guard lock(mutex_);
  std::vector<LmsSystem> out;
  for (const auto& [key, system] : systems_) out.push_back(system);
  return out;
}

void LandscapeRegistry::clear() {
  std::lock_guard lock(mutex_);
  systems_.clear();
}

}  // namespace ato::sim
