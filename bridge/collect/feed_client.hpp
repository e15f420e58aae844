// Reads the ATO event feed (OData v4, Basic auth of the communication user over TLS): the first
// page of a service's events after a cursor, the pages its @odata.nextLink names, and the head.
// The feed is a peer like any other: a link off the feed's origin is refused before any request (the
// password never leaves for another host), and a head is believed only once an event carries it.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <stdexcept>
#include <string>

#include "bridge/config.hpp"
#include "core/net/http_client.hpp"
#include "core/url.hpp"
#include "core/wire.hpp"

namespace ato::bridge {

// The feed did not give a page. what() names the URL's host and the reason; never the password.
class FeedError : public std::runtime_error {
 public:
  FeedError(const std::string& message, bool retry_soon)
      : std::runtime_error(message), retry_soon_(retry_soon) {}
  // A passing condition (timeout, upgrade window, 5xx) rather than a configuration problem.
  bool retry_soon() const { return retry_soon_; }

 private:
  bool retry_soon_;
};

// The feed's head went below a service's stored cursor: the feed was reset or replaced, or another
// system answers at its URL. Nothing is collected until an operator looks (`ato-bridge cursor`).
class FeedResetError : public FeedError {
 public:
  explicit FeedResetError(const std::string& message) : FeedError(message, false) {}
};

class FeedClient {
 public:
  static constexpr int kPageSize = 1000;

  // Throws std::invalid_argument when ato.feed_url does not parse (the configuration checked it).
  FeedClient(net::HttpClient& client, const AtoConnection& ato);

  // `service`'s events with a sequence above `after`, first page.
  boost::asio::awaitable<FeedPage> first_page(Service service, std::int64_t after, int top = kPageSize);
  // The page an @odata.nextLink of `service`'s pages names (absolute, or relative to the feed's
  // origin). The service is passed, not remembered: the services' collections run concurrently.
  // Throws FeedError, before any request, for a link off the feed's origin.
  boost::asio::awaitable<FeedPage> next_page(Service service, const std::string& next_link);
  // The feed's head: the highest sequence assigned so far, verified (see verify_head).
  boost::asio::awaitable<std::int64_t> head(Service service);
  // A head is believed when the feed serves an event with exactly that sequence (of any service).
  // Throws FeedError when it does not: a cursor never moves on an unverified claim.
  boost::asio::awaitable<void> verify_head(std::int64_t head);

  // The URL of the first page (for tests and logs).
  std::string first_page_url(Service service, std::int64_t after, int top) const;
  // The absolute URL of a nextLink, or FeedError when it leaves the feed's origin.
  std::string next_page_url(const std::string& next_link) const;
  const std::string& origin() const { return origin_; }  // scheme://host[:port] of the feed

 private:
  // `expected`: the service every event must be of (none: any).
  boost::asio::awaitable<FeedPage> get(const std::string& url, std::optional<Service> expected);

  net::HttpClient& client_;
  const AtoConnection& ato_;
  HttpUrl feed_;
  std::string origin_;
};

}  // namespace ato::bridge
