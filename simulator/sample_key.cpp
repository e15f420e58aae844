#include "simulator/sample_key.hpp"

#include "core/net/tls_identity.hpp"

#include <openssl/rand.h>

#include <array>
#include <chrono>
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
  if (o.x509)
    make_x509(key, "https://" + o.tenant + ".authentication.cert." + o.region + ".hana.ondemand.com");
  return key;
}

void make_x509(ServiceKey& key, const std::string& cert_url) {
  // XSUAA's X.509 credentials are valid for days to a year; the subject names the client.
  const auto identity = net::make_self_signed_identity({key.client_id}, std::chrono::hours(24 * 365),
                                                       net::CertificateUse::Client);
  key.credential_type = CredentialType::X509;
  key.credential_type_name = "x509";
  key.client_secret = Secret();
  key.certificate = identity.certificate_pem;
  key.private_key = Secret(identity.private_key_pem);
  key.cert_url = cert_url;
}

}  // namespace ato::sim
