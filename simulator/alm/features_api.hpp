// SAP's public Features API as the fake Cloud ALM serves it (/api/calm-features/v1, OData V4): the
// eight entity sets SAP lists, read with every query option and key syntax V4 clients use
// (simulator/odata/), and the writes SAP lists: Features (POST, PATCH), URLReferences and
// ExternalReferences (POST, DELETE), TransportReferences (assign, unassign), and the deploy of a
// feature, which asks the fake ATO to import its transports; and SAP's API sandbox of it (read-only,
// an APIKey header). The model is in features_model.cpp; the writes in feature_writes.cpp.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/net/http.hpp"
#include "core/time.hpp"
#include "simulator/alm/features.hpp"
#include "simulator/odata/resource_path.hpp"
#include "simulator/odata/service.hpp"

namespace ato::sim {

class AlmStore;
class TokenAuthority;

// What Cloud ALM calls in the fake ATO (both halves in one process): deploying a feature imports its
// transports; creating a transport calls a development tenant's inbound "create transports" service.
struct AtoInbound {
  // The role (test, production) of a system the ATO landscape has; nullopt: none such.
  std::function<std::optional<std::string>(const std::string& system)> role_of;
  // Imports the transports into `system`; an error in words, or empty.
  std::function<std::string(const std::vector<std::string>& transports, const std::string& system)> deploy;
  // Creates a transport request in `system`: its id, or an error in words (the second).
  std::function<std::pair<std::string, std::string>(const std::string& system,
                                                    const std::string& description)>
      create_transport;
};

class FeaturesApi {
 public:
  // `sandbox_api_key`: what the sandbox's APIKey header must carry (empty: no sandbox); `page_size`:
  // the most entities one answer carries.
  FeaturesApi(AlmStore& store, TokenAuthority& tokens, std::string sandbox_api_key, std::int64_t page_size);
  void set_ato_inbound(AtoInbound target) { ato_ = std::move(target); }

  // Anything under /api/calm-features/v1.
  net::HttpResponse handle(const net::HttpRequest& request, EpochMillis now);
  // Anything under /SAPCALM/calm-features/v1: the same API read-only, with an APIKey header instead
  // of a token, as SAP's API sandbox serves it.
  net::HttpResponse handle_sandbox(const net::HttpRequest& request);
  static constexpr std::string_view kRoot = "/api/calm-features/v1";
  static constexpr std::string_view kSandboxRoot = "/SAPCALM/calm-features/v1";

 private:
  net::HttpResponse answer(const net::HttpRequest& request, EpochMillis now);
  net::HttpResponse write(const net::HttpRequest& request, const ODataResource& resource, EpochMillis now);
  net::HttpResponse create_feature(const net::HttpRequest& request, EpochMillis now);
  net::HttpResponse change_feature(const net::HttpRequest& request, const std::string& uuid, EpochMillis now);
  net::HttpResponse assign_transport(const net::HttpRequest& request, EpochMillis now);
  net::HttpResponse add_url_reference(const net::HttpRequest& request, EpochMillis now);
  net::HttpResponse add_external_reference(const net::HttpRequest& request);
  net::HttpResponse remove(const ODataResource& resource);
  net::HttpResponse deploy_feature(const net::HttpRequest& request, const std::string& uuid, EpochMillis now);
  net::HttpResponse create_transport(const net::HttpRequest& request, const std::string& uuid,
                                     EpochMillis now);

  AlmStore& store_;
  TokenAuthority& tokens_;
  ODataService service_;
  ODataService sandbox_;  // the same model, its links under kSandboxRoot
  std::string sandbox_api_key_;
  AtoInbound ato_;
  const std::string csrf_token_ = random_uuid();  // what `x-csrf-token: Fetch` gets
};

}  // namespace ato::sim
