// The request bodies of the Features API's writes, read strictly: an unknown field, a wrong type or
// an unknown code is a JsonError naming the field (a 400 for the client). A peer reaches these
// parsers: fuzzed (tests/fuzz/fuzz_features_body.cpp).
#pragma once

#include <string>
#include <string_view>

#include "simulator/alm/features.hpp"

namespace ato::sim {

// The fields of a feature a body sets; absent fields keep their value. Creating: title is required.
void read_feature_body(std::string_view body, Feature& feature, bool creating);

// A transport assigned to a feature, named by its request or by its uuid (one of the two is set).
struct TransportAssignment {
  std::string feature_uuid, transport_request, transport_uuid;
};
TransportAssignment read_assignment_body(std::string_view body);

UrlReference read_url_reference_body(std::string_view body);
ExternalReference read_external_reference_body(std::string_view body);
// The system a deploy goes to ("SID~client").
std::string read_deploy_body(std::string_view body);
// A transport Cloud ALM creates for a feature: in which development tenant, and its description.
struct TransportCreationRequest {
  std::string source_system, description;
};
TransportCreationRequest read_create_transport_body(std::string_view body);

}  // namespace ato::sim
