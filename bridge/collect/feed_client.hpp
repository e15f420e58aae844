// Reads the ATO event feed (OData v4, Basic auth of the communication user over TLS): the first
// page of a service's events after a cursor, the pages its @odata.nextLink names, and the head.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <stdexcept>
#include <string>

#include "bridge/config.hpp"
#include "core/net/http_client.hpp"
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

class FeedClient {
 public:
  static constexpr int kPageSize = 1000;

  FeedClient(net::HttpClient& client, const AtoConnection& ato) : client_(client), ato_(ato) {}

  // `service`'s events with a sequence above `after`, first page.
  boost::asio::awaitable<FeedPage> first_page(Service service, std::int64_t after, int top = kPageSize);
  // The page an @odata.nextLink of `service`'s pages names (absolute, or relative to the feed's
  // origin). The service is passed, not remembered: the services' collections run concurrently.
  boost::asio::awaitable<FeedPage> next_page(Service service, const std::string& next_link);
  // The feed's head: the highest sequence assigned so far.
  boost::asio::awaitable<std::int64_t> head(Service service);

  // The URL of the first page (for tests and logs).
  std::string first_page_url(Service service, std::int64_t after, int top) const;

 private:
  boost::asio::awaitable<FeedPage> get(const std::string& url, Service expected);
  const std::string& origin();  // scheme://host[:port] of the feed, for nextLinks and messages

  net::HttpClient& client_;
  const AtoConnection& ato_;
  std::string origin_;
};

}  // namespace ato::bridge
