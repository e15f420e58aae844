#include "simulator/sample_key.hpp"

#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace ato::sim {

std::string random_secret() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("OpenSSL could not produce random bytes for a secret");
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  for (unsigned char b : bytes) out += alphabet[b % 64];
  return out;
}

ServiceKey make_sample_key(const SampleKeyOptions& o) {
  ServiceKey key;
  key.api_url = "https://" + o.tenant + "." + o.region + ".alm.cloud.sap/api";
  key.uaa_url = "https://" + o.tenant + ".authentication." + o.region + ".hana.ondemand.com";
  key.client_id = "sb-ato-bridge-sample!b123456|sapcloudalm!b456789";
  key.client_secret = Secret(random_secret());
  key.identity_zone = o.tenant;
  key.tenant_id = "00000000-0000-4000-8000-000000000000";
  key.xsappname = "ato-bridge-sample!b123456|sapcloudalm!b456789";
  return key;
}

}  // namespace ato::sim
