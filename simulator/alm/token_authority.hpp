// The fake XSUAA: issues client-credentials tokens at /oauth/token as SAP's XSUAA does (RS256 JWTs
// with `kid` and `jku` in the header and the claims of a client-credentials token), publishes its
// verification key at /token_keys (a JWKS), and checks bearer tokens for the push API.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/net/http.hpp"
#include "core/secret.hpp"
#include "core/time.hpp"

namespace ato::sim {

// Scopes are named `<xsappname>.<scope>`, as XSUAA names them.
inline constexpr std::string_view kScopePrefix = "sapcloudalm!b456789";
inline constexpr std::string_view kManageScope = "imp-cdm-feature-manage-ui";
inline constexpr std::string_view kDisplayScope = "imp-cdm-feature-display-ui";

struct TokenSettings {
  std::string client_id;
  Secret client_secret;
  std::vector<std::string> scopes;  // full names
  std::chrono::milliseconds ttl = std::chrono::hours(12);
  std::string issuer;         // the token URL, <uaa>/oauth/token
  std::string identity_zone;  // the subaccount's subdomain (ext_attr.zdn)
  std::string tenant_id;      // zid, ext_attr.subaccountid
};

enum class TokenVerdict { Valid, Missing, Malformed, BadSignature, Expired, Revoked, MissingScope };

struct TokenCheck {
  TokenVerdict verdict = TokenVerdict::Missing;
  std::string message;  // for the 401/403 body
};

// Compares secrets in time that does not depend on where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

// How a token request's client proved itself: its secret (HTTP Basic or the form), or a client
// certificate the TLS handshake verified (an X.509 key, at its certurl).
enum class ClientProof { Secret, Certificate };

class TokenAuthority {
 public:
  explicit TokenAuthority(TokenSettings settings);

  TokenAuthority(const TokenAuthority&) = delete;
  TokenAuthority& operator=(const TokenAuthority&) = delete;
  ~TokenAuthority();

  // GET or POST /oauth/token.
  net::HttpResponse handle_token_request(const net::HttpRequest& request, EpochMillis now,
                                         ClientProof proof = ClientProof::Secret);
  // GET /token_keys: the JWKS a verifier needs (XSUAA's fields: kty, e, n, use, kid, alg, value).
  net::HttpResponse handle_token_keys(const net::HttpRequest& request) const;
  // GET /.well-known/openid-configuration: where the token endpoint and the keys are, in XSUAA's
  // fields, and what this fake supports (client credentials only; secret or client certificate).
  net::HttpResponse handle_openid_configuration(const net::HttpRequest& request) const;
  // The verification key, PEM (a service key's uaa.verificationkey).
  const std::string& verification_key_pem() const { return public_pem_; }
  // <uaa>/token_keys: the `jku` of every token.
  std::string keys_url() const;
  // Checks `Authorization: Bearer ...` for `required_scope` (a short name such as kManageScope).
  TokenCheck check(std::string_view authorization, std::string_view required_scope, EpochMillis now) const;

  // Every token issued before `now` becomes invalid.
  void revoke_all(EpochMillis now) { revoked_before_ = now; }
  // Tokens stop working `after` their issue, whatever expires_in said (0: off).
  void set_early_expiry(std::chrono::milliseconds after) { early_expiry_ms_ = after.count(); }

  std::int64_t tokens_issued() const { return tokens_issued_; }
  std::int64_t requests_rejected() const { return requests_rejected_; }
  const TokenSettings& settings() const { return settings_; }

  std::string issue(EpochMillis now, const std::string& jti);  // the JWT

 private:
  bool credentials_match(std::string_view id, std::string_view secret) const;
  // Signature and claims of a token (the expensive part); nullopt when it is a valid JWT of ours.
  std::optional<TokenCheck> verify(std::string_view token, std::int64_t& exp, std::int64_t& iat_ms,
                                   std::vector<std::string>& scopes) const;
  // Expiry, revocation and scope: what can change while a token is in use.
  TokenCheck judge(std::int64_t exp, std::int64_t iat_ms, const std::vector<std::string>& scopes,
                   std::string_view required_scope, EpochMillis now) const;
  std::string sign(std::string_view input) const;  // RS256
  bool signature_valid(std::string_view input, std::string_view signature) const;

  TokenSettings settings_;
  struct Keys;
  std::unique_ptr<Keys> keys_;  // the RSA key pair
  std::string kid_, public_pem_, modulus_b64url_, exponent_b64url_;
  // When each token was issued, to the millisecond (the `iat` claim has seconds): revocation and
  // early expiry compare against it. Bounded: the oldest entries go first.
  mutable std::mutex issued_mutex_;
  std::map<std::string, EpochMillis> issued_at_ms_;
  std::atomic<EpochMillis> revoked_before_{0};
  std::atomic<std::int64_t> early_expiry_ms_{0};
  std::atomic<std::int64_t> tokens_issued_{0};
  std::atomic<std::int64_t> requests_rejected_{0};
  std::atomic<std::uint64_t> jti_counter_{0};
};

std::string full_scope(std::string_view short_name);

}  // namespace ato::sim
