#include "simulator/alm/features.hpp"

#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

namespace ato::sim {

Feature* FeatureStore::find(const std::string& uuid) {
  for (auto& f : features)
    if (f.uuid == uuid) return &f;
  return nullptr;
}

const TransportReference* FeatureStore::reference_of(const std::string& transport_request) const {
  for (const auto& r : references)
    if (r.transport_request == transport_request) return &r;
  return nullptr;
}

std::vector<std::string> FeatureStore::transports_of(const std::string& feature_uuid) const {
  std::vector<std::string> out;
  for (const auto& r : references)
    if (r.feature_uuid == feature_uuid) out.push_back(r.transport_request);
  return out;
}

std::string random_uuid() {
  thread_local boost::uuids::random_generator generate;
  return boost::uuids::to_string(generate());
}

std::string transport_uuid(const std::string& transport_request) {
  // Our namespace for transports: the same request always has the same uuid.
  static const boost::uuids::uuid kNamespace = {
      {0x6a, 0x7f, 0x1c, 0x2e, 0x94, 0x0b, 0x4d, 0x51, 0x8e, 0x3a, 0x27, 0x55, 0xc9, 0x0d, 0x61, 0x11}};
  boost::uuids::name_generator_sha1 generate(kNamespace);
  return boost::uuids::to_string(generate(transport_request));
}

}  // namespace ato::sim
