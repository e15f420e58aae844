#include "bridge/push/token_cache.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bridge/push/classify.hpp"
#include "core/log.hpp"
#include "core/wire.hpp"

namespace ato::bridge {
namespace asio = boost::asio;

struct TokenCache::Waiters {
  bool fetching = false;
  std::shared_ptr<asio::steady_timer> done;  // cancelled when the fetch ends: wakes the waiters
};

TokenCache::TokenCache(net::HttpClient& client, const CommunicationSystem& system,
                       std::function<EpochMillis()> clock)
    : client_(client), system_(system), clock_(std::move(clock)), waiters_(std::make_unique<Waiters>()) {}
TokenCache::~TokenCache() = default;

asio::awaitable<std::string> TokenCache::authorization() {
  for (int round = 0; round < 3; ++round) {
    if (!authorization_.empty() && clock_() < refresh_at_) co_return authorization_;
    if (!waiters_->fetching) {
      co_await refresh();
      co_return authorization_;
    }
    // Another push is fetching: wait for it rather than asking the endpoint twice.
    auto done = waiters_->done;
    boost::system::error_code ignored;
    co_await done->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  co_await refresh();
  co_return authorization_;
}

void TokenCache::invalidate(const std::string& authorization) {
  if (authorization == authorization_) authorization_.clear();
}

asio::awaitable<TokenInfo> TokenCache::fetch() {
  co_await refresh();
  co_return info_;
}

asio::awaitable<void> TokenCache::refresh() {
  if (last_error_ && clock_() < next_try_at_) throw *last_error_;  // in backoff: no request
  try {
    co_await request_token();
  } catch (const TokenError& e) {
    failed(e);
    throw;
  }
  if (consecutive_failures_ > 0)
    spdlog::info("token endpoint {} gives tokens again after {} failed request(s)", system_.token_endpoint,
                 consecutive_failures_);
  consecutive_failures_ = 0;
  last_error_.reset();
}

void TokenCache::failed(const TokenError& error) {
  ++failures_;
  ++consecutive_failures_;
  const auto backoff = std::chrono::milliseconds(1000) * (1LL << std::min(consecutive_failures_ - 1, 6));
  const auto wait = std::min<std::chrono::milliseconds>(backoff, std::chrono::minutes(1));
  last_error_ = error;
  next_try_at_ = clock_() + wait.count();
  spdlog::log(error.kind() == TokenError::Kind::BadCredentials ? spdlog::level::err : spdlog::level::warn,
              "no token ({} failed request(s) in a row; next try in {} s): {}", consecutive_failures_,
              wait.count() / 1000, error.what());
}

asio::awaitable<void> TokenCache::request_token() {
  waiters_->fetching = true;
  waiters_->done = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                        asio::steady_timer::time_point::max());
  struct Wake {
    Waiters& w;
    ~Wake() {
      w.fetching = false;
      w.done->cancel();
    }
  } wake{*waiters_};

  net::ClientRequest request;
  request.method = "POST";
  request.url = system_.token_endpoint;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
  if (system_.credential_type == CredentialType::X509) {
    // The client proves itself with its certificate in the TLS handshake; the form names it.
    request.body = "grant_type=client_credentials&client_id=" + net::form_encode(system_.client_id);
  } else {
    request.headers.push_back(
        {"Authorization", net::basic_authorization(system_.client_id, system_.client_secret.reveal())});
    request.body = "grant_type=client_credentials";
  }
  net::ClientResponse response;
  try {
    response = co_await client_.send(std::move(request));
  } catch (const net::HttpClientError& e) {
    throw TokenError(TokenError::Kind::Unreachable,
                     fmt::format("cannot get a token from {}: {}", system_.token_endpoint, e.what()));
  }
  ++fetches_;
  if (response.status == 401 || response.status == 400) {
    std::string detail = body_excerpt(response.body, 200);
    try {
      const auto error = parse_token_error(response.body);
      detail = error.error + (error.description ? ": " + *error.description : "");
    } catch (const std::exception&) {
    }
    throw TokenError(
        response.status == 401 ? TokenError::Kind::BadCredentials : TokenError::Kind::Refused,
        fmt::format("the token endpoint {} refused client '{}' (HTTP {}, {}): check uaa.clientid "
                    "and uaa.clientsecret of the service key, or the configured override",
                    system_.token_endpoint, system_.client_id, response.status, detail));
  }
  if (response.status != 200)
    throw TokenError(TokenError::Kind::Refused,
                     fmt::format("the token endpoint {} answered HTTP {}: {}", system_.token_endpoint,
                                 response.status, body_excerpt(response.body, 200)));
  TokenResponse token;
  try {
    token = parse_token_response(response.body);
  } catch (const std::exception& e) {
    throw TokenError(TokenError::Kind::Refused,
                     fmt::format("the token endpoint {} answered 200 without a usable token: {}",
                                 system_.token_endpoint, e.what()));
  }
  register_secret_for_redaction(token.access_token);
  const EpochMillis now = clock_();
  const std::int64_t lifetime_ms = std::max<std::int64_t>(token.expires_in, 1) * 1000;
  // Refresh a little early (a tenth of the lifetime, at most a minute) so no push carries a token
  // that expires on the way.
  refresh_at_ = now + lifetime_ms - std::min<std::int64_t>(lifetime_ms / 10, 60'000);
  info_ = {token.scope, now + lifetime_ms};
  authorization_ = "Bearer " + token.access_token;
  spdlog::debug("token obtained from {} (scope '{}', valid {} s)", system_.token_endpoint, token.scope,
                token.expires_in);
}

}  // namespace ato::bridge
