#include "simulator/alm/token_authority.hpp"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <stdexcept>

#include <simdjson.h>

#include "core/base64.hpp"
#include "core/json_writer.hpp"
#include "core/wire.hpp"

namespace ato::sim {

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {

net::HttpResponse token_error(int status, std::string error, std::string description) {
  auto response =
      net::HttpResponse::json(status, to_json(TokenError{std::move(error), std::move(description)}));
  response.header("Cache-Control", "no-store");
  if (status == 401)
    response.header("WWW-Authenticate", "Basic realm=\"UAA/client\", error=\"unauthorized\"");
  return response;
}

}  // namespace

std::string full_scope(std::string_view short_name) {
  return fmt::format("{}.{}", kScopePrefix, short_name);
}

namespace {
// `scope` == full_scope(short_name), without building the string: judged on every push.
bool is_full_scope(std::string_view scope, std::string_view short_name) {
  return scope.size() == kScopePrefix.size() + 1 + short_name.size() && scope.starts_with(kScopePrefix) &&
         scope[kScopePrefix.size()] == '.' && scope.ends_with(short_name);
}
}  // namespace

// The key pair XSUAA signs with (RS256: RSA 2048, PKCS #1 v1.5, SHA-256).
struct TokenAuthority::Keys {
  EVP_PKEY* pair = nullptr;
  ~Keys() { EVP_PKEY_free(pair); }
};

namespace {

std::string big_number(const EVP_PKEY* key, const char* name) {
  BIGNUM* n = nullptr;
  if (!EVP_PKEY_get_bn_param(key, name, &n)) throw std::runtime_error("cannot read the token key");
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(n)), '\0');
  BN_bn2bin(n, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(n);
  return bytes;
}

std::string public_key_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return pem;
}

}  // namespace

TokenAuthority::TokenAuthority(TokenSettings settings)
    : settings_(std::move(settings)), keys_(std::make_unique<Keys>()) {
  keys_->pair = EVP_RSA_gen(2048);
  if (!keys_->pair) throw std::runtime_error("cannot make the token signing key");
  unsigned char random[4];
  RAND_bytes(random, sizeof random);
  kid_ = fmt::format("default-jwt-key-{:02x}{:02x}{:02x}{:02x}", random[0], random[1], random[2], random[3]);
  public_pem_ = public_key_pem(keys_->pair);
  modulus_b64url_ = base64url_encode(big_number(keys_->pair, OSSL_PKEY_PARAM_RSA_N));
  exponent_b64url_ = base64url_encode(big_number(keys_->pair, OSSL_PKEY_PARAM_RSA_E));
}

TokenAuthority::~TokenAuthority() = default;

std::string TokenAuthority::sign(std::string_view input) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t size = 0;
  std::string signature;
  if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, keys_->pair) == 1 &&
      EVP_DigestSign(ctx, nullptr, &size, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) == 1) {
    signature.resize(size);
    if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &size,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
      signature.clear();
    signature.resize(size);
  }
  EVP_MD_CTX_free(ctx);
  if (signature.empty()) throw std::runtime_error("cannot sign a token");
  return signature;
}

bool TokenAuthority::signature_valid(std::string_view input, std::string_view signature) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool valid =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, keys_->pair) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return valid;
}

std::string TokenAuthority::keys_url() const {
  std::string base = settings_.issuer;
  if (base.ends_with("/oauth/token")) base.resize(base.size() - 12);
  return base + "/token_keys";
}

net::HttpResponse TokenAuthority::handle_token_keys(const net::HttpRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD")
    return token_error(405, "invalid_request", "read the token keys with GET");
  std::string body;
  JsonWriter json(body);
  json.begin_object().key("keys").begin_array();
  json.begin_object()
      .field("kty", "RSA")
      .field("e", exponent_b64url_)
      .field("use", "sig")
      .field("kid", kid_)
      .field("alg", "RS256")
      .field("value", public_pem_)
      .field("n", modulus_b64url_)
      .end_object();
  json.end_array().end_object();
  return net::HttpResponse::json(200, std::move(body));
}

net::HttpResponse TokenAuthority::handle_openid_configuration(const net::HttpRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD")
    return token_error(405, "invalid_request", "read the OpenID configuration with GET");
  std::string base = settings_.issuer;
  if (base.ends_with("/oauth/token")) base.resize(base.size() - 12);
  // XSUAA's issuer is its token endpoint; the grants listed are the ones this fake serves.
  return net::HttpResponse::json(
      200, json_object_text([&](JsonWriter& json) {
        json.field("issuer", settings_.issuer)
            .field("token_endpoint", base + "/oauth/token")
            .field("jwks_uri", keys_url())
            .key("grant_types_supported")
            .begin_array()
            .value("client_credentials")
            .end_array()
            .key("response_types_supported")
            .begin_array()
            .value("token")
            .end_array()
            .key("subject_types_supported")
            .begin_array()
            .value("public")
            .end_array()
            .key("id_token_signing_alg_values_supported")
            .begin_array()
            .value("RS256")
            .end_array()
            .key("token_endpoint_auth_methods_supported")
            .begin_array()
            .value("client_secret_basic")
            .value("client_secret_post")
            .value("tls_client_auth")
            .end_array()
            .key("claims_supported")
            .begin_array();
        for (const char* claim : {"iss", "sub", "aud", "exp", "iat", "jti", "zid", "client_id", "cid", "azp",
                                  "grant_type", "scope"})
          json.value(claim);
        json.end_array();
      }));
}

bool TokenAuthority::credentials_match(std::string_view id, std::string_view secret) const {
  // RFC 6749 2.3.1: client ID and secret are form-encoded before Basic encoding; clients that skip
  // that (curl -u) send them raw. Accept both, as XSUAA does.
  std::string decoded_id, decoded_secret;
  if (!net::percent_decode(id, decoded_id, true)) decoded_id = id;
  if (!net::percent_decode(secret, decoded_secret, true)) decoded_secret = secret;
  const auto& want_secret = settings_.client_secret.reveal();
  return (constant_time_equal(id, settings_.client_id) && constant_time_equal(secret, want_secret)) ||
         (constant_time_equal(decoded_id, settings_.client_id) &&
          constant_time_equal(decoded_secret, want_secret));
}

// A client-credentials token as XSUAA issues one: no claim of ours in it.
std::string TokenAuthority::issue(EpochMillis now, const std::string& jti) {
  std::string header;
  JsonWriter h(header);
  h.begin_object()
      .field("alg", "RS256")
      .field("jku", keys_url())
      .field("kid", kid_)
      .field("typ", "JWT")
      .end_object();
  // The audiences: the xsappname of every scope, and the client itself.
  std::vector<std::string> audiences;
  for (const auto& scope : settings_.scopes) {
    const std::string app = scope.substr(0, scope.find('.'));
    if (std::find(audiences.begin(), audiences.end(), app) == audiences.end()) audiences.push_back(app);
  }
  audiences.push_back(settings_.client_id);
  std::string payload;
  JsonWriter json(payload);
  json.begin_object().field("jti", jti).key("ext_attr").begin_object().field("enhancer", "XSUAA");
  if (!settings_.tenant_id.empty()) json.field("subaccountid", settings_.tenant_id);
  if (!settings_.identity_zone.empty()) json.field("zdn", settings_.identity_zone);
  json.end_object().field("sub", settings_.client_id).key("authorities").begin_array();
  for (const auto& s : settings_.scopes) json.value(s);
  json.value("uaa.resource").end_array().key("scope").begin_array();
  for (const auto& s : settings_.scopes) json.value(s);
  json.value("uaa.resource").end_array();
  json.field("client_id", settings_.client_id)
      .field("cid", settings_.client_id)
      .field("azp", settings_.client_id)
      .field("grant_type", "client_credentials")
      .field("iat", now / 1000)
      .field("exp", (now + settings_.ttl.count()) / 1000)
      .field("iss", settings_.issuer)
      .field("zid", settings_.tenant_id.empty() ? settings_.identity_zone : settings_.tenant_id)
      .key("aud")
      .begin_array();
  for (const auto& a : audiences) json.value(a);
  json.end_array().end_object();
  const std::string signing_input = base64url_encode(header) + "." + base64url_encode(payload);
  {
    std::lock_guard lock(issued_mutex_);
    issued_at_ms_[jti] = now;
    while (issued_at_ms_.size() > 100'000) issued_at_ms_.erase(issued_at_ms_.begin());  // jti sorts by time
  }
  ++tokens_issued_;
  return signing_input + "." + base64url_encode(sign(signing_input));
}

net::HttpResponse TokenAuthority::handle_token_request(const net::HttpRequest& request, EpochMillis now,
                                                       ClientProof proof) {
  if (request.method != "POST" && request.method != "GET") {
    ++requests_rejected_;
    return token_error(405, "invalid_request", "use POST (form body) or GET with grant_type in the query");
  }
  const std::string_view params = request.method == "POST" ? std::string_view(request.body) : request.query;
  const auto grant = net::form_value(params, "grant_type");
  if (!grant) {
    ++requests_rejected_;
    return token_error(400, "invalid_request", "Missing grant type");
  }
  if (*grant != "client_credentials") {
    ++requests_rejected_;
    return token_error(400, "unsupported_grant_type", "Unsupported grant type: " + *grant);
  }
  std::string id, secret;
  const auto authorization = request.header("Authorization");
  if (authorization.size() > 6 && net::iequals(authorization.substr(0, 6), "basic ")) {
    const auto decoded = base64_decode(authorization.substr(6));
    const auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon != std::string::npos) {
      id = decoded->substr(0, colon);
      secret = decoded->substr(colon + 1);
    }
  } else {
    id = net::form_value(params, "client_id").value_or("");
    secret = net::form_value(params, "client_secret").value_or("");
  }
  if (proof == ClientProof::Certificate) {
    // The handshake verified the key's certificate; the form (or Basic user) names the client.
    std::string decoded;
    if (!net::percent_decode(id, decoded, true)) decoded = id;
    if (id != settings_.client_id && decoded != settings_.client_id) {
      ++requests_rejected_;
      return token_error(401, "invalid_client", "Bad credentials");
    }
  } else if (id.empty() || !credentials_match(id, secret)) {
    ++requests_rejected_;
    return token_error(401, "invalid_client", "Bad credentials");
  }
  std::string scope;
  for (const auto& s : settings_.scopes) scope += (scope.empty() ? "" : " ") + s;
  // As XSUAA does, the response's jti is the token's own jti claim.
  const auto jti = fmt::format("{:016x}{:08x}", static_cast<std::uint64_t>(now), ++jti_counter_);
  TokenResponse token{issue(now, jti), "bearer", settings_.ttl.count() / 1000, scope, jti};
  auto response = net::HttpResponse::json(200, to_json(token));
  response.header("Cache-Control", "no-store").header("Pragma", "no-cache");
  return response;
}

TokenCheck TokenAuthority::check(std::string_view authorization, std::string_view required_scope,
                                 EpochMillis now) const {
  if (authorization.size() <= 7 || !net::iequals(authorization.substr(0, 7), "bearer "))
    return {TokenVerdict::Missing, "Authorization: Bearer <token> is required; get a token at /oauth/token"};
  const auto token = authorization.substr(7);
  // A client sends the same token for hours: verify its signature and read its claims once per
  // thread, then check only what changes with time (expiry, revocation) on every request.
  struct Verified {
    std::string token;
    std::string kid;  // which authority verified it (not `this`: an address can be reused)
    std::int64_t exp = 0, iat_ms = 0;
    std::vector<std::string> scopes;
  };
  thread_local Verified cache;
  if (cache.token != token || cache.kid != kid_) {
    Verified fresh;
    if (auto failure = verify(token, fresh.exp, fresh.iat_ms, fresh.scopes)) return *failure;
    fresh.token = std::string(token);
    fresh.kid = kid_;
    cache = std::move(fresh);
  }
  return judge(cache.exp, cache.iat_ms, cache.scopes, required_scope, now);
}

std::optional<TokenCheck> TokenAuthority::verify(std::string_view token, std::int64_t& exp,
                                                 std::int64_t& iat_ms,
                                                 std::vector<std::string>& scopes) const {
  const auto dot1 = token.find('.');
  const auto dot2 = token.find('.', dot1 == std::string_view::npos ? 0 : dot1 + 1);
  if (dot1 == std::string_view::npos || dot2 == std::string_view::npos)
    return TokenCheck{TokenVerdict::Malformed, "The bearer token is not a JWT"};
  const auto signature = base64url_decode(token.substr(dot2 + 1));
  if (!signature || !signature_valid(token.substr(0, dot2), *signature))
    return TokenCheck{TokenVerdict::BadSignature, "The bearer token's signature is not valid"};
  const auto payload = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  simdjson::dom::parser parser;
  simdjson::dom::element claims;
  if (!payload || parser.parse(*payload).get(claims))
    return TokenCheck{TokenVerdict::Malformed, "The bearer token is not a JWT"};
  std::int64_t iat = 0;
  std::string_view jti;
  if (claims["exp"].get_int64().get(exp) || claims["iat"].get_int64().get(iat) || claims["jti"].get(jti))
    return TokenCheck{TokenVerdict::Malformed, "The bearer token lacks exp, iat or jti"};
  {
    std::lock_guard lock(issued_mutex_);
    const auto issued = issued_at_ms_.find(std::string(jti));
    iat_ms = issued != issued_at_ms_.end() ? issued->second : iat * 1000;
  }
  simdjson::dom::array scope_array;
  if (!claims["scope"].get_array().get(scope_array)) {
    for (auto s : scope_array) {
      std::string_view name;
      if (!s.get_string().get(name)) scopes.emplace_back(name);
    }
  }
  return std::nullopt;
}

TokenCheck TokenAuthority::judge(std::int64_t exp, std::int64_t iat_ms,
                                 const std::vector<std::string>& scopes, std::string_view required_scope,
                                 EpochMillis now) const {
  if (now >= exp * 1000 || (early_expiry_ms_ > 0 && now >= iat_ms + early_expiry_ms_))
    return {TokenVerdict::Expired, "The bearer token has expired; get a new one at /oauth/token"};
  if (iat_ms < revoked_before_) return {TokenVerdict::Revoked, "The bearer token was revoked; get a new one"};
  for (const auto& s : scopes)
    if (is_full_scope(s, required_scope)) return {TokenVerdict::Valid, {}};
  return {TokenVerdict::MissingScope, fmt::format("The token lacks scope {}", full_scope(required_scope))};
}

}  // namespace ato::sim
