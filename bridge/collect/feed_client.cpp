#include "bridge/collect/feed_client.hpp"

#include <fmt/format.h>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "bridge/push/classify.hpp"
#include "core/json_reader.hpp"

namespace ato::bridge {
namespace asio = boost::asio;

namespace {

HttpUrl parsed_feed_url(const std::string& text) {
  auto parsed = parse_http_url(text);
  if (auto* error = std::get_if<std::string>(&parsed)) throw std::invalid_argument("ato.feed_url " + *error);
  return std::get<HttpUrl>(parsed);
}

std::string filter_url(const std::string& feed_url, const std::string& filter, int top) {
  return fmt::format("{}?$filter={}&$top={}", feed_url,
                     boost::urls::encode(filter, boost::urls::unreserved_chars), top);
}

}  // namespace

FeedClient::FeedClient(net::HttpClient& client, const AtoConnection& ato)
    : client_(client), ato_(ato), feed_(parsed_feed_url(ato.feed_url)), origin_(feed_.origin()) {}

std::string FeedClient::first_page_url(Service service, std::int64_t after, int top) const {
  return filter_url(ato_.feed_url,
                    fmt::format("service eq '{}' and sequence gt {}", to_string(service), after), top);
}

std::string FeedClient::next_page_url(const std::string& next_link) const {
  std::string url = next_link;
  const bool absolute = url.find("://") != std::string::npos;
  if (!absolute) {
    if (url.starts_with("//"))  // scheme-relative: another host
      throw FeedError(fmt::format("the ATO feed at {} sent an @odata.nextLink to another host ({}); refused: "
                                  "the communication user's password only goes to {}",
                                  origin_, next_link.substr(0, 200), origin_),
                      false);
    url = origin_ + (url.starts_with("/") ? "" : "/") + url;
  }
  auto parsed = parse_http_url(url);
  if (auto* error = std::get_if<std::string>(&parsed))
    throw FeedError(fmt::format("the ATO feed at {} sent an unusable @odata.nextLink '{}': {}", origin_,
                                next_link.substr(0, 200), *error),
                    false);
  const auto& link = std::get<HttpUrl>(parsed);
  if (!same_origin(link, feed_))
    throw FeedError(fmt::format("the ATO feed at {} sent an @odata.nextLink to another origin ({}); refused, "
                                "nothing was sent there and the cursor stays where it was: the "
                                "communication user's password only goes to ato.feed_url's origin",
                                origin_, link.origin()),
                    false);
  return link.str();
}

asio::awaitable<FeedPage> FeedClient::first_page(Service service, std::int64_t after, int top) {
  co_return co_await get(first_page_url(service, after, top), service);
}

asio::awaitable<FeedPage> FeedClient::next_page(Service service, const std::string& next_link) {
  co_return co_await get(next_page_url(next_link), service);
}

asio::awaitable<std::int64_t> FeedClient::head(Service service) {
  const FeedPage page = co_await first_page(service, 0, 1);
  co_await verify_head(page.head_sequence);
  co_return page.head_sequence;
}

asio::awaitable<void> FeedClient::verify_head(std::int64_t head) {
  if (head <= 0) co_return;  // an empty feed: nothing to skip
  const FeedPage page =
      co_await get(filter_url(ato_.feed_url, fmt::format("sequence gt {}", head - 1), 1), {});
  if (page.events.empty() || page.events.front().sequence != head)
    throw FeedError(
        fmt::format("the ATO feed at {} claims head sequence {} (@ato.headSequence) but serves no "
                    "event with that sequence{}; the cursor does not move on a claim the feed "
                    "cannot back",
                    origin_, head,
                    page.events.empty() ? std::string()
                                        : fmt::format(" (the next one is {})", page.events.front().sequence)),
        true);
}

asio::awaitable<FeedPage> FeedClient::get(const std::string& url, std::optional<Service> expected) {
  net::ClientRequest request;
  request.url = url;
  request.headers = {{"Authorization", net::basic_authorization(ato_.user, ato_.password.reveal())},
                     {"Accept", "application/json"}};
  const std::string& where = origin_;
  net::ClientResponse response;
  try {
    response = co_await client_.send(std::move(request));
  } catch (const net::HttpClientError& e) {
    const bool unreachable = e.kind() != net::HttpClientError::Kind::TooLarge;
    throw FeedError(
        fmt::format("{}: {}", unreachable ? "ATO feed unreachable" : "ATO feed page refused", e.what()),
        e.kind() != net::HttpClientError::Kind::Tls);
  }
  if (response.status == 401)
    throw FeedError(fmt::format("the ATO feed at {} refused user '{}' (HTTP 401): check ato.user and the "
                                "password ({})",
                                where, ato_.user, ato_.password_source),
                    false);
  if (response.status >= 300 && response.status < 400)
    throw FeedError(fmt::format("the ATO feed at {} answered HTTP {} (a redirect to '{}'); redirects are not "
                                "followed: set ato.feed_url to the feed's real URL",
                                where, response.status, body_excerpt(response.header("Location"), 200)),
                    false);
  if (response.status != 200)
    throw FeedError(fmt::format("the ATO feed at {} answered HTTP {}: {}", where, response.status,
                                body_excerpt(response.body, 300)),
                    response.status == 429 || response.status >= 500);
  FeedPage page;
  try {
    page = parse_feed_page(response.body);
  } catch (const JsonError& e) {
    throw FeedError(
        fmt::format("the ATO feed at {} sent a page that is not a valid feed page: {}", where, e.what()),
        false);
  }
  for (const auto& event : page.events) {
    if (expected && event.service != *expected)
      throw FeedError(fmt::format("the ATO feed at {} returned a {} event when asked for {}", where,
                                  to_string(event.service), to_string(*expected)),
                      false);
    if (event.sequence > page.head_sequence)
      throw FeedError(
          fmt::format("the ATO feed at {} sent event {} with sequence {} above the page's own head "
                      "{}: an inconsistent page is not stored",
                      where, event.event_id, event.sequence, page.head_sequence),
          false);
  }
  co_return page;
}

}  // namespace ato::bridge
