// A Cloud ALM service key in SAP's shape with a fresh random client secret, for trying the bridge's
// configuration without a real tenant. (The running simulator writes one for itself; same shape.)
#pragma once

#include <string>

#include "core/service_key.hpp"

namespace ato::sim {

struct SampleKeyOptions {
  std::string tenant = "my-tenant";
  std::string region = "eu10";
  bool x509 = false;  // credential-type x509: a fresh client certificate and key instead of a secret
};

// A random secret of 32 bytes from OpenSSL's CSPRNG, as URL-safe text.
std::string random_secret();

ServiceKey make_sample_key(const SampleKeyOptions& options);

// Makes `key` an X.509 one (credential-type x509): a fresh self-signed client certificate naming
// its client ID, its private key, and XSUAA's mTLS host `cert_url`; no client secret.
void make_x509(ServiceKey& key, const std::string& cert_url);

}  // namespace ato::sim
