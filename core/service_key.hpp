// The SAP Cloud ALM API service key, exactly as downloaded from the SAP BTP cockpit (SAP's format).
// The bridge reads it to derive the communication system; the simulator writes one for itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/secret.hpp"

namespace ato {

// How the key authenticates its client at XSUAA (uaa.credential-type).
enum class CredentialType {
  Secret,  // binding-secret / instance-secret (or none given): client ID and secret, HTTP Basic
  X509,    // x509: the key's certificate and private key, mutual TLS at uaa.certurl
};

struct ServiceKey {
  std::string api_url;        // endpoints.Api, e.g. https://mytenant.eu10.alm.cloud.sap/api
  std::string uaa_url;        // uaa.url, e.g. https://mytenant.authentication.eu10.hana.ondemand.com
  std::string client_id;      // uaa.clientid
  CredentialType credential_type = CredentialType::Secret;
  std::string credential_type_name = "binding-secret";  // as the file says it
  Secret client_secret;       // uaa.clientsecret (secret keys)
  std::string certificate;    // uaa.certificate, PEM (X.509 keys)
  Secret private_key;         // uaa.key, PEM (X.509 keys)
  std::string cert_url;       // uaa.certurl: XSUAA's mTLS host (X.509 keys)
  std::string identity_zone;  // uaa.identityzone (optional in the file)
  std::string tenant_id;      // uaa.tenantid (optional in the file)
  std::string xsappname;      // uaa.xsappname (optional in the file)
  // Written by the simulator as XSUAA writes them; the bridge does not need them.
  std::string uaa_domain;        // uaa.uaadomain
  std::string verification_key;  // uaa.verificationkey: the PEM public key tokens are signed with
  std::string sburl;             // uaa.sburl
};

// Reads a service key. Fields we do not use are allowed (SAP's keys carry many); the ones we use are
// checked, with errors naming their path (`uaa.clientsecret: missing (expected string)`). A secret
// key needs uaa.clientsecret; an X.509 key (credential-type x509) uaa.certificate, uaa.key and
// uaa.certurl instead.
ServiceKey parse_service_key(std::string_view json);

// Writes a key in SAP's shape (used by the simulator for the key it hands to bridges).
std::string to_json(const ServiceKey& key);

}  // namespace ato
