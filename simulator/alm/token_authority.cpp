#include "simulator/alm/token_authority.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <simdjson.h>

#include "core/base64.hpp"
#include "core/json_writer.hpp"
#include "core/wire.hpp"

namespace ato::sim {
namespace {

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[32];
  unsigned int size = sizeof out;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size);
  return std::string(reinterpret_cast<char*>(out), size);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

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

TokenAuthority::TokenAuthority(TokenSettings settings) : settings_(std::move(settings)) {
  signing_key_.resize(32);
  RAND_bytes(reinterpret_cast<unsigned char*>(signing_key_.data()), static_cast<int>(signing_key_.size()));
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

std::string TokenAuthority::issue(EpochMillis now, const std::string& jti) {
  std::string payload;
  JsonWriter json(payload);
  json.begin_object()
      .field("jti", jti)
      .field("iss", settings_.issuer)
      .field("sub", settings_.client_id)
      .field("client_id", settings_.client_id)
      .field("cid", settings_.client_id)
      .field("grant_type", "client_credentials")
      .field("iat", now / 1000)
      .field("exp", (now + settings_.ttl.count()) / 1000)
      .field("ato_iat_ms", now)
      .key("scope")
      .begin_array();
  for (const auto& s : settings_.scopes) json.value(s);
  json.end_array().end_object();
  const std::string signing_input =
      base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." + base64url_encode(payload);
  ++tokens_issued_;
  return signing_input + "." + base64url_encode(hmac_sha256(signing_key_, signing_input));
}

net::HttpResponse TokenAuthority::handle_token_request(const net::HttpRequest& request, EpochMillis now) {
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
  if (id.empty() || !credentials_match(id, secret)) {
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
    std::string signing_key;  // which authority verified it (not `this`: an address can be reused)
    std::int64_t exp = 0, iat_ms = 0;
    std::vector<std::string> scopes;
  };
  thread_local Verified cache;
  if (cache.token != token || cache.signing_key != signing_key_) {
    Verified fresh;
    if (auto failure = verify(token, fresh.exp, fresh.iat_ms, fresh.scopes)) return *failure;
    fresh.token = std::string(token);
    fresh.signing_key = signing_key_;
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
  if (!signature || !constant_time_equal(*signature, hmac_sha256(signing_key_, token.substr(0, dot2))))
    return TokenCheck{TokenVerdict::BadSignature, "The bearer token's signature is not valid"};
  const auto payload = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  simdjson::dom::parser parser;
  simdjson::dom::element claims;
  if (!payload || parser.parse(*payload).get(claims))
    return TokenCheck{TokenVerdict::Malformed, "The bearer token is not a JWT"};
  if (claims["exp"].get_int64().get(exp) || claims["ato_iat_ms"].get_int64().get(iat_ms))
    return TokenCheck{TokenVerdict::Malformed, "The bearer token lacks exp or iat"};
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
