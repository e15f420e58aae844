// The fake XSUAA: issues client-credentials tokens (HS256 JWTs carrying client, scopes, issue and
// expiry times) at /oauth/token as SAP's XSUAA answers, and checks bearer tokens for the push API.
#pragma once

#include <atomic>
#include <chrono>
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
  std::string issuer;  // the token URL
};

enum class TokenVerdict { Valid, Missing, Malformed, BadSignature, Expired, Revoked, MissingScope };

struct TokenCheck {
  TokenVerdict verdict = TokenVerdict::Missing;
  std::string message;  // for the 401/403 body
};

class TokenAuthority {
 public:
  explicit TokenAuthority(TokenSettings settings);

  // GET or POST /oauth/token.
  net::HttpResponse handle_token_request(const net::HttpRequest& request, EpochMillis now);
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
  TokenSettings settings_;
  std::string signing_key_;
  std::atomic<EpochMillis> revoked_before_{0};
  std::atomic<std::int64_t> early_expiry_ms_{0};
  std::atomic<std::int64_t> tokens_issued_{0};
  std::atomic<std::int64_t> requests_rejected_{0};
  std::atomic<std::uint64_t> jti_counter_{0};
};

std::string full_scope(std::string_view short_name);

}  // namespace ato::sim
