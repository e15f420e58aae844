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
  key.client_secret = Secret(std::string(uaa.string("clientsecret")));
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
      .field("clientid", key.client_id)
      .field("clientsecret", key.client_secret.reveal())
      .field("url", key.uaa_url);
  // Optional fields only when set: the reader refuses an empty string where one is given.
  if (!key.identity_zone.empty()) json.field("identityzone", key.identity_zone);
  if (!key.tenant_id.empty()) json.field("tenantid", key.tenant_id);
  if (!key.xsappname.empty()) json.field("xsappname", key.xsappname);
  if (!key.uaa_domain.empty()) json.field("uaadomain", key.uaa_domain);
  if (!key.verification_key.empty()) json.field("verificationkey", key.verification_key);
  if (!key.sburl.empty()) json.field("sburl", key.sburl);
  json.field("credential-type", "binding-secret")
      .end_object()
      .key("endpoints")
      .begin_object()
      .field("Api", key.api_url)
      .end_object()
      .end_object();
  return pretty_json(out);
}

}  // namespace ato
