#include "bridge/collect/feed_client.hpp"

#include <fmt/format.h>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "bridge/push/classify.hpp"
#include "core/url.hpp"

namespace ato::bridge {
namespace asio = boost::asio;

std::string FeedClient::first_page_url(Service service, std::int64_t after, int top) const {
  const std::string filter = fmt::format("service eq '{}' and sequence gt {}", to_string(service), after);
  return fmt::format("{}?$filter={}&$top={}", ato_.feed_url,
                     boost::urls::encode(filter, boost::urls::unreserved_chars), top);
}

asio::awaitable<FeedPage> FeedClient::first_page(Service service, std::int64_t after, int top) {
  co_return co_await get(first_page_url(service, after, top), service);
}

asio::awaitable<FeedPage> FeedClient::next_page(Service service, const std::string& next_link) {
  std::string url = next_link;
  if (!url.starts_with("http://") && !url.starts_with("https://"))
    url = origin() + (url.starts_with("/") ? "" : "/") + url;
  co_return co_await get(url, service);
}

asio::awaitable<std::int64_t> FeedClient::head(Service service) {
  const FeedPage page = co_await first_page(service, 0, 1);
  co_return page.head_sequence;
}

const std::string& FeedClient::origin() {
  // The configuration was validated: the feed URL parses.
  if (origin_.empty()) origin_ = std::get<HttpUrl>(parse_http_url(ato_.feed_url)).origin();
  return origin_;
}

asio::awaitable<FeedPage> FeedClient::get(const std::string& url, Service expected) {
  net::ClientRequest request;
  request.url = url;
  request.headers = {{"Authorization", net::basic_authorization(ato_.user, ato_.password.reveal())},
                     {"Accept", "application/json"}};
  const std::string& where = origin();
  net::ClientResponse response;
  try {
    response = co_await client_.send(std::move(request));
  } catch (const net::HttpClientError& e) {
    throw FeedError(fmt::format("ATO feed unreachable: {}", e.what()),
                    e.kind() != net::HttpClientError::Kind::Tls);
  }
  if (response.status == 401)
    throw FeedError(fmt::format("the ATO feed at {} refused user '{}' (HTTP 401): check ato.user and the "
                                "password ({})",
                                where, ato_.user, ato_.password_source),
                    false);
  if (response.status != 200)
    throw FeedError(fmt::format("the ATO feed at {} answered HTTP {}: {}", where, response.status,
                                body_excerpt(response.body, 300)),
                    response.status == 429 || response.status >= 500);
  try {
    FeedPage page = parse_feed_page(response.body);
    for (const auto& event : page.events)
      if (event.service != expected)
        throw FeedError(fmt::format("the ATO feed at {} returned a {} event when asked for {}", where,
                                    to_string(event.service), to_string(expected)),
                        false);
    co_return page;
  } catch (const JsonError& e) {
    throw FeedError(
        fmt::format("the ATO feed at {} sent a page that is not a valid feed page: {}", where, e.what()),
        false);
  }
}

}  // namespace ato::bridge
