// The OAuth 2.0 client-credentials token for Cloud ALM: fetched from the service key's token
// endpoint on first need, refreshed shortly before it expires, shared by every push (one fetch at a
// time however many pushes wait), and never logged: every token is registered with the redactor.
// A failed fetch is remembered: until its backoff has passed (1 s, doubling to at most a minute)
// every caller gets the same error without a request, so a broken token endpoint is asked at most
// once a minute however many pushes want a token.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "bridge/config.hpp"
#include "core/net/http_client.hpp"

namespace ato::bridge {

// The token endpoint did not give a token. what() says why and what to check; never a secret.
class TokenError : public std::runtime_error {
 public:
  enum class Kind { BadCredentials, Refused, Unreachable };
  TokenError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct TokenInfo {
  std::string scope;  // as granted, space-separated
  EpochMillis expires_at = 0;
};

class TokenCache {
 public:
  TokenCache(net::HttpClient& client, const CommunicationSystem& system, std::function<EpochMillis()> clock);
  ~TokenCache();

  // "Bearer <token>", fetching or refreshing first when needed. Throws TokenError.
  boost::asio::awaitable<std::string> authorization();
  // Cloud ALM refused `authorization` (401): the next call fetches a new token. A token already
  // replaced by another push's refresh is left alone.
  void invalidate(const std::string& authorization);
  // The one rule for a refused token, for every caller (pushes, Landscape Management): Cloud ALM
  // answered 401 to `authorization` in the `round`-th send of a request. The first time the token is
  // invalidated and the caller sends once more (true); a fresh token refused again stands (false).
  bool refresh_after_refusal(const std::string& authorization, int round) {
    if (round > 0) return false;
    invalidate(authorization);
    return true;
  }
  // Forget the token (e.g. scopes may have changed while pushing was paused).
  void forget() { authorization_.clear(); }
  // Fetches a token now (for `check`) and says what was granted.
  boost::asio::awaitable<TokenInfo> fetch();

  int fetches() const { return fetches_; }
  // Fetches that gave no usable token, and the current run of them (0 once a token came).
  int failures() const { return failures_; }
  int consecutive_failures() const { return consecutive_failures_; }
  const TokenInfo& current() const { return info_; }

 private:
  boost::asio::awaitable<void> refresh();
  boost::asio::awaitable<void> request_token();
  void failed(const TokenError& error);

  net::HttpClient& client_;
  const CommunicationSystem& system_;
  std::function<EpochMillis()> clock_;
  std::string authorization_;
  TokenInfo info_;
  EpochMillis refresh_at_ = 0;
  int fetches_ = 0;
  int failures_ = 0, consecutive_failures_ = 0;
  std::optional<TokenError> last_error_;  // while in backoff
  EpochMillis next_try_at_ = 0;
  struct Waiters;
  std::unique_ptr<Waiters> waiters_;  // pushes waiting for a fetch in progress
};

}  // namespace ato::bridge
