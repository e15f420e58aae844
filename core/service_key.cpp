#include "core/service_key.hpp"

#include "core/json_reader.hpp"
#include "core/json_writer.hpp"
#include "core/url.hpp"

namespace ato {
namespace {

std::string read_url(const JsonObjectReader& o, std::string_view key) {
  std::string text(o.string(key));
  auto parsed = parse_http_url(text);
  if (auto* error = std::get_if<std::string>(&parsed)) throw JsonError(o.path_of(key), *error);
  return text;
}

}  // namespace

ServiceKey parse_service_key(std::string_view json) {
  simdjson::dom::parser parser;
  const JsonObjectReader root(parse_json(parser, json), "");
  root.unique_keys();
  ServiceKey key;
  const auto endpoints = root.object("endpoints");
  endpoints.unique_keys();
  key.api_url = read_url(endpoints, "Api");
  const auto uaa = root.object("uaa");
  uaa.unique_keys();
  key.uaa_url = read_url(uaa, "url");
  key.client_id = uaa.string("clientid");
  key.credential_type_name = uaa.optional_string("credential-type").value_or("binding-secret");
  if (key.credential_type_name == "x509") {
    key.credential_type = CredentialType::X509;
    key.certificate = uaa.string("certificate");
    key.private_key = Secret(std::string(uaa.string("key")));
    key.cert_url = read_url(uaa, "certurl");
    if (!key.certificate.starts_with("-----BEGIN CERTIFICATE-----"))
      throw JsonError(uaa.path_of("certificate"), "expected a PEM certificate (-----BEGIN CERTIFICATE-----)");
    if (key.private_key.reveal().find("PRIVATE KEY-----") == std::string::npos)
      throw JsonError(uaa.path_of("key"), "expected a PEM private key");
  } else if (key.credential_type_name == "binding-secret" || key.credential_type_name == "instance-secret") {
    key.client_secret = Secret(std::string(uaa.string("clientsecret")));
  } else {
    throw JsonError(uaa.path_of("credential-type"),
                    "expected binding-secret, instance-secret or x509 (got \"" + key.credential_type_name + "\")");
  }
  key.identity_zone = uaa.optional_string("identityzone").value_or("");
  key.tenant_id = uaa.optional_string("tenantid").value_or("");
  key.xsappname = uaa.optional_string("xsappname").value_or("");
  return key;
}

std::string to_json(const ServiceKey& key) {
  std::string out;
  JsonWriter json(out);
  json.begin_object()
      .key("uaa")
      .begin_object()
      .field("tenantmode", "dedicated")
      .field("clientid", key.client_id);
  if (key.credential_type == CredentialType::X509)
    json.field("certificate", key.certificate).field("key", key.private_key.reveal()).field("certurl", key.cert_url);
  else
    json.field("clientsecret", key.client_secret.reveal());
  json.field("url", key.uaa_url);
  // Optional fields only when set: the reader refuses an empty string where one is given.
  if (!key.identity_zone.empty()) json.field("identityzone", key.identity_zone);
  if (!key.tenant_id.empty()) json.field("tenantid", key.tenant_id);
  if (!key.xsappname.empty()) json.field("xsappname", key.xsappname);
  if (!key.uaa_domain.empty()) json.field("uaadomain", key.uaa_domain);
  if (!key.verification_key.empty()) json.field("verificationkey", key.verification_key);
  if (!key.sburl.empty()) json.field("sburl", key.sburl);
  json.field("credential-type", key.credential_type == CredentialType::X509 ? "x509" : "binding-secret")
      .end_object()
      .key("endpoints")
      .begin_object()
      .field("Api", key.api_url)
      .end_object()
      .end_object();
  return pretty_json(out);
}

}  // namespace ato
