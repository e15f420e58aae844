// SAP's public Features API as the fake Cloud ALM serves it (/api/calm-features/v1): features,
// transports (read-only), transport references, statuses and priorities, $metadata, and the deploy
// of a feature, which asks the fake ATO to import its transports (simulator/alm/features_api.cpp).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/net/http.hpp"
#include "core/time.hpp"

namespace ato::sim {

class AlmStore;
class TokenAuthority;

// Deploying a feature asks the fake ATO to import its transports (both halves in one process).
struct DeployTarget {
  // The role (test, production) of a system the ATO landscape has; nullopt: none such.
  std::function<std::optional<std::string>(const std::string& system)> role_of;
  // Imports the transports into `system`; an error in words, or empty.
  std::function<std::string(const std::vector<std::string>& transports, const std::string& system)> deploy;
};

class FeaturesApi {
 public:
  FeaturesApi(AlmStore& store, TokenAuthority& tokens) : store_(store), tokens_(tokens) {}
  void set_deploy_target(DeployTarget target) { deploy_target_ = std::move(target); }

  // Anything under /api/calm-features/v1.
  net::HttpResponse handle(const net::HttpRequest& request, EpochMillis now);

 private:
  net::HttpResponse features_read(const net::HttpRequest& request, std::string_view set,
                                  const std::optional<std::string>& key);
  net::HttpResponse create_feature(const net::HttpRequest& request, EpochMillis now);
  net::HttpResponse change_feature(const net::HttpRequest& request, const std::string& uuid, EpochMillis now);
  net::HttpResponse assign_transport(const net::HttpRequest& request, EpochMillis now);
  net::HttpResponse deploy_feature(const net::HttpRequest& request, const std::string& uuid, EpochMillis now);

  AlmStore& store_;
  TokenAuthority& tokens_;
  DeployTarget deploy_target_;
};

}  // namespace ato::sim
