// The request bodies of the Features API's writes (create and change a feature, assign a transport,
// URL and external references, deploy, create a transport): refused with a JsonError or read; what is read
// keeps the rules (title 1 to 255 characters when creating, a known priority, GUIDs lowercase).
#include "simulator/alm/feature_bodies.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto body = ato::fuzz::text(data, size);
  try {
    ato::sim::Feature feature;
    ato::sim::read_feature_body(body, feature, true);
    if (feature.title.empty() || feature.title.size() > 255)
      ato::fuzz::finding("feature body: title out of bounds");
    if (feature.priority_code % 10 != 0 || feature.priority_code < 10 || feature.priority_code > 40)
      ato::fuzz::finding("feature body: unknown priority accepted");
  } catch (const ato::JsonError&) {
  }
  try {
    const auto a = ato::sim::read_assignment_body(body);
    if (a.feature_uuid.size() != 36) ato::fuzz::finding("assignment body: featureUuid not a GUID");
  } catch (const ato::JsonError&) {
  }
  try {
    (void)ato::sim::read_url_reference_body(body);
  } catch (const ato::JsonError&) {
  }
  try {
    (void)ato::sim::read_external_reference_body(body);
  } catch (const ato::JsonError&) {
  }
  try {
    (void)ato::sim::read_deploy_body(body);
  } catch (const ato::JsonError&) {
  }
  try {
    if (ato::sim::read_create_transport_body(body).description.size() > 60)
      ato::fuzz::finding("create-transport body: description over 60 characters accepted");
  } catch (const ato::JsonError&) {
  }
  return 0;
}
