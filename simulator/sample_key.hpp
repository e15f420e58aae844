// A Cloud ALM service key in SAP's shape with a fresh random client secret, for trying the bridge's
// configuration without a real tenant. (The running simulator writes one for itself; same shape.)
#pragma once

#include <string>

#include "core/service_key.hpp"

namespace ato::sim {

struct SampleKeyOptions {
  std::string tenant = "my-tenant";
  std::string region = "eu10";
};

// A random secret of 32 bytes from OpenSSL's CSPRNG, as URL-safe text.
std::string random_secret();

ServiceKey make_sample_key(const SampleKeyOptions& options);

}  // namespace ato::sim
