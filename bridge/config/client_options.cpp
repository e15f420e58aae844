#include "bridge/config/client_options.hpp"

namespace ato::bridge {

net::ClientOptions client_options_of(const BridgeConfig& config) {
  net::ClientOptions options;
  options.ca_file = config.tls.ca_file;
  options.verify = config.tls.verify;
  options.timeout = config.push.timeout;
  if (config.cloud_alm.credential_type == CredentialType::X509)
    options.client_certificate =
        net::TlsIdentity{config.cloud_alm.client_certificate, config.cloud_alm.client_key.reveal()};
  return options;
}

}  // namespace ato::bridge
