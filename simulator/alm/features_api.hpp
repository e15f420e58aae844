// SAP's public Features API as the fake Cloud ALM serves it (/api/calm-features/v1, OData V4): the
// eight entity sets SAP lists, read with every query option and key syntax V4 clients use
// (simulator/odata/), and the writes SAP lists: Features (POST, PATCH), URLReferences and
// ExternalReferences (POST, DELETE), TransportReferences (assign, unassign), and the deploy of a
// feature, which asks the fake ATO to import its transports. The model is in features_model.cpp;
// the writes in feature_writes.cpp.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/net/http.hpp"
#include "core/time.hpp"
#include "simulator/odata/resource_path.hpp"
#include "simulator/odata/service.hpp"

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
  FeaturesApi(AlmStore& store, TokenAuthority& tokens);
  void set_deploy_target(DeployTarget target) { deploy_target_ = std::move(target); }

  // Anything under /api/calm-features/v1.
  net::HttpResponse handle(const net::HttpRequest& request, EpochMillis now);

 private:
  net::HttpResponse write(const net::HttpRequest& request, const ODataResource& resource, EpochMillis now);
  net::HttpResponse create_feature(const net::HttpRequest& request, EpochMillis now);
  net::HttpResponse change_feature(const net::HttpRequest& request, const std::string& uuid, EpochMillis now);
  net::HttpResponse assign_transport(const net::HttpRequest& request, EpochMillis now);
  net::HttpResponse add_url_reference(const net::HttpRequest& request, EpochMillis now);
  net::HttpResponse add_external_reference(const net::HttpRequest& request);
  net::HttpResponse remove(const ODataResource& resource);
  net::HttpResponse deploy_feature(const net::HttpRequest& request, const std::string& uuid, EpochMillis now);

  AlmStore& store_;
  TokenAuthority& tokens_;
  ODataService service_;
  DeployTarget deploy_target_;
};

}  // namespace ato::sim
