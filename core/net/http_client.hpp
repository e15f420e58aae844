// An HTTP/1.1 client (HTTPS by default) for coroutines on one io_context: keep-alive connections
// reused per origin, SNI and host-name verification against the system CA store or a given CA
// file, and a timeout on every operation (connect, handshake, write, read). Beast stays in the .cpp.
//
// Not thread-safe: use it from the thread that runs its io_context (the bridge runs one).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/net/http.hpp"
#include "core/net/http_server.hpp"

namespace boost::asio {
class io_context;
}

namespace ato::net {

struct ClientOptions {
  std::optional<std::filesystem::path> ca_file;                 // none: the system's CA store
  bool verify = true;                                           // false: no certificate or host-name check
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};  // per operation
  std::size_t max_idle_per_origin = 8;                          // kept-alive connections to reuse
  // A kept-alive connection idle longer is closed instead of reused: servers close idle ones
  // (ato-sim after 30 s), and a request on one the server has closed may fail (after a long pause
  // such as a full disk, the first push failed that way and spent an attempt).
  std::chrono::milliseconds max_idle_time{std::chrono::seconds(15)};
  std::size_t max_response_bytes = 64 * 1024 * 1024;
  // Presented when a server asks for a client certificate (mutual TLS: an X.509 service key).
  std::optional<TlsIdentity> client_certificate;
};

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // absolute http(s) URL
  std::vector<Header> headers;
  std::string body;
};

struct ClientResponse {
  int status = 0;
  std::vector<Header> headers;
  std::string body;
  std::string_view header(std::string_view name) const;  // empty when absent
};

// The request got no HTTP answer. what() says what happened and to whom, never a credential.
class HttpClientError : public std::runtime_error {
 public:
  enum class Kind {
    Resolve,    // the host name does not resolve
    Connect,    // refused, unreachable
    Tls,        // handshake failed: untrusted certificate, wrong host name, protocol
    Timeout,    // an operation took longer than the timeout
    Transport,  // the connection broke (reset, closed without an answer, malformed answer)
    Cancelled,  // cancel_all() ended it
    TooLarge,   // the answer's body is over ClientOptions::max_response_bytes (read no further)
    BadUrl,
  };
  HttpClientError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

class HttpClient {
 public:
  // Throws std::runtime_error when the CA file cannot be loaded.
  HttpClient(boost::asio::io_context& context, ClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends the request on a reused or new connection. Any HTTP status is a response; only a missing
  // answer throws HttpClientError. A reused connection that the server had closed meanwhile is
  // retried once on a fresh one (the request never reached the server's application).
  boost::asio::awaitable<ClientResponse> send(ClientRequest request);

  // Closes idle connections and aborts requests in progress (they throw Kind::Cancelled).
  void cancel_all();

  std::size_t connections_opened() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// HTTP Basic credentials: "Basic base64(user:password)".
std::string basic_authorization(std::string_view user, std::string_view password);

}  // namespace ato::net
