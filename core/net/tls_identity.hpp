// A self-signed certificate made at start-up, so a test server speaks HTTPS with no files to ship:
// it is its own CA, and clients verify it (host name included) by trusting that one PEM.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/net/http_server.hpp"

namespace ato::net {

enum class CertificateUse { Server, Client };

// `names`: IP addresses and DNS names the certificate is valid for (subjectAltName); a client
// certificate's first name is its subject's CN (XSUAA's X.509 credentials name the client so).
TlsIdentity make_self_signed_identity(const std::vector<std::string>& names, std::chrono::hours validity,
                                      CertificateUse use = CertificateUse::Server);

}  // namespace ato::net
