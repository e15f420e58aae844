#include "core/net/http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <deque>
#include <map>
#include <set>
#include <variant>

#include "core/base64.hpp"
#include "core/net/beast.hpp"
#include "core/url.hpp"

namespace ato::net {
using Kind = HttpClientError::Kind;

std::string_view ClientResponse::header(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return h.value;
  return {};
}

std::string basic_authorization(std::string_view user, std::string_view password) {
  std::string pair;
  pair.reserve(user.size() + password.size() + 1);
  pair.append(user).append(":").append(password);
  return "Basic " + base64_encode(pair);
}

namespace {

constexpr std::size_t kReadBufferBytes = 64 * 1024;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

struct Connection {
  std::string origin;  // scheme://host:port: the pool's key
  std::variant<std::unique_ptr<PlainStream>, std::unique_ptr<TlsStream>> stream;
  beast::flat_buffer buffer;
  bool reused = false;
  std::chrono::steady_clock::time_point idle_since;

  beast::tcp_stream& tcp() {
    if (auto* plain = std::get_if<std::unique_ptr<PlainStream>>(&stream)) return **plain;
    return beast::get_lowest_layer(*std::get<std::unique_ptr<TlsStream>>(stream));
  }
};

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// What OpenSSL concluded about the peer's certificate, in words a user can act on.
std::string verify_problem(TlsStream& stream) {
  const long result = SSL_get_verify_result(stream.native_handle());
  if (result == X509_V_OK) return {};
  std::string text = X509_verify_cert_error_string(result);
  if (result == X509_V_ERR_HOSTNAME_MISMATCH || result == X509_V_ERR_IP_ADDRESS_MISMATCH)
    return text + ": the certificate is not issued for this host name";
  if (result == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN || result == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
      result == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
    return text + ": the certificate is not signed by a trusted CA (set tls.ca_file to the CA's PEM)";
  return text;
}

Kind kind_of(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) return Kind::Timeout;
  if (ec == asio::error::operation_aborted) return Kind::Cancelled;
  return Kind::Transport;
}

// A failure on a kept-alive connection that the server closed meanwhile: safe to try once more.
bool is_stale_connection(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::ssl::error::stream_truncated;
}

}  // namespace

struct HttpClient::Impl {
  Impl(asio::io_context& context, ClientOptions options)
      : context(context), options(std::move(options)), tls(ssl::context::tls_client) {
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    if (this->options.verify) {
      tls.set_verify_mode(ssl::verify_peer);
      boost::system::error_code ec;
      if (this->options.ca_file)
        tls.load_verify_file(this->options.ca_file->string(), ec);
      else
        tls.set_default_verify_paths(ec);
      if (ec)
        throw std::runtime_error("cannot load the CA certificates" +
                                 (this->options.ca_file ? " from " + this->options.ca_file->string() : "") +
                                 ": " + ec.message());
    } else {
      tls.set_verify_mode(ssl::verify_none);
    }
    if (const auto& mine = this->options.client_certificate) {
      boost::system::error_code ec;
      tls.use_certificate_chain(asio::buffer(mine->certificate_pem), ec);
      if (!ec) tls.use_private_key(asio::buffer(mine->private_key_pem), ssl::context::pem, ec);
      if (ec) throw std::runtime_error("cannot use the client certificate and key: " + ec.message());
    }
  }

  asio::io_context& context;
  ClientOptions options;
  ssl::context tls;
  std::map<std::string, std::deque<std::unique_ptr<Connection>>> idle;
  std::set<Connection*> busy;
  std::size_t opened = 0;
  // The last URL sent to, parsed: a pusher sends to the same few URLs over and over, and parsing
  // each (boost.url, the origin string) was 3% of a load test's CPU.
  struct ParsedUrl {
    std::string text;
    HttpUrl url;
    std::string origin;
  };
  std::shared_ptr<const ParsedUrl> last_url;  // shared: a send keeps its own while it waits

  std::shared_ptr<const ParsedUrl> parsed(const std::string& text) {
    if (last_url && last_url->text == text) return last_url;
    auto parsed = parse_http_url(text);
    if (auto* problem = std::get_if<std::string>(&parsed)) throw HttpClientError(Kind::BadUrl, *problem);
    HttpUrl url = std::move(std::get<HttpUrl>(parsed));
    std::string origin = url.scheme + "://" + url.host + ":" + std::to_string(url.port);
    last_url = std::make_shared<const ParsedUrl>(ParsedUrl{text, std::move(url), std::move(origin)});
    return last_url;
  }

  asio::awaitable<tcp::resolver::results_type> resolve(const HttpUrl& url) {
    tcp::resolver resolver(context);
    asio::steady_timer deadline(context);
    deadline.expires_after(options.timeout);
    deadline.async_wait([&resolver](const boost::system::error_code& ec) {
      if (!ec) resolver.cancel();
    });
    boost::system::error_code ec;
    auto results = co_await resolver.async_resolve(url.host, std::to_string(url.port),
                                                   asio::redirect_error(use_awaitable, ec));
    deadline.cancel();
    if (ec == asio::error::operation_aborted)
      throw HttpClientError(Kind::Timeout, "resolving " + url.host + " timed out");
    if (ec) throw HttpClientError(Kind::Resolve, "cannot resolve " + url.host + ": " + ec.message());
    co_return results;
  }

  asio::awaitable<std::unique_ptr<Connection>> connect(const HttpUrl& url, const std::string& origin) {
    auto results = co_await resolve(url);
    auto connection = std::make_unique<Connection>();
    connection->origin = origin;
    const std::string where = url.host + ":" + std::to_string(url.port);
    beast::tcp_stream tcp_stream(context);
    tcp_stream.expires_after(options.timeout);
    boost::system::error_code ec;
    co_await tcp_stream.async_connect(results, asio::redirect_error(use_awaitable, ec));
    if (ec == beast::error::timeout)
      throw HttpClientError(Kind::Timeout, "connecting to " + where + " timed out");
    if (ec) throw HttpClientError(Kind::Connect, "cannot connect to " + where + ": " + ec.message());
    tcp_stream.socket().set_option(tcp::no_delay(true));
    ++opened;
    if (!url.tls()) {
      connection->stream = std::make_unique<PlainStream>(std::move(tcp_stream));
      co_return connection;
    }
    auto stream = std::make_unique<TlsStream>(std::move(tcp_stream), tls);
    SSL* handle = stream->native_handle();
    if (!is_ip_literal(url.host)) SSL_set_tlsext_host_name(handle, url.host.c_str());  // SNI
    if (options.verify) {
      X509_VERIFY_PARAM* param = SSL_get0_param(handle);
      if (is_ip_literal(url.host))
        X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str());
      else
        X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), 0);
    }
    beast::get_lowest_layer(*stream).expires_after(options.timeout);
    co_await stream->async_handshake(ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == beast::error::timeout)
        throw HttpClientError(Kind::Timeout, "TLS handshake with " + where + " timed out");
      std::string problem = verify_problem(*stream);
      throw HttpClientError(Kind::Tls, "TLS handshake with " + where +
                                           " failed: " + (problem.empty() ? ec.message() : problem));
    }
    connection->stream = std::move(stream);
    co_return connection;
  }

  std::unique_ptr<Connection> take_idle(const std::string& origin) {
    auto it = idle.find(origin);
    if (it == idle.end()) return nullptr;
    const auto now = std::chrono::steady_clock::now();
    while (!it->second.empty()) {
      auto connection = std::move(it->second.back());
      it->second.pop_back();
      if (now - connection->idle_since > options.max_idle_time) continue;  // likely closed by the server
      connection->reused = true;
      return connection;
    }
    return nullptr;
  }

  void give_back(std::unique_ptr<Connection> connection) {
    auto& list = idle[connection->origin];
    connection->idle_since = std::chrono::steady_clock::now();
    if (list.size() < options.max_idle_per_origin) list.push_back(std::move(connection));
  }

  template <typename Stream>
  asio::awaitable<ClientResponse> exchange(Stream& stream, Connection& connection,
                                           http::request<http::string_body>& request, bool& keep_alive,
                                           bool& got_nothing) {
    auto& tcp = connection.tcp();
    tcp.expires_after(options.timeout);
    // A reused connection the server closed fails here (broken pipe) or at the read: either way
    // nothing reached the server's application, and the request may go again on a fresh one.
    got_nothing = true;
    co_await http::async_write(stream, request, use_awaitable);
    http::response_parser<http::string_body> parser;
    parser.body_limit(options.max_response_bytes);
    // Beast reads at most the buffer's free capacity per call, starting at 512 bytes: a feed page
    // of hundreds of KB came in ~1 KB reads. 64 KB is the most Beast asks for in one read.
    if (connection.buffer.capacity() < kReadBufferBytes) connection.buffer.reserve(kReadBufferBytes);
    tcp.expires_after(options.timeout);
    co_await http::async_read_header(stream, connection.buffer, parser, use_awaitable);
    got_nothing = false;
    if (!parser.is_done()) {
      tcp.expires_after(options.timeout);
      co_await http::async_read(stream, connection.buffer, parser, use_awaitable);
    }
    auto& res = parser.get();
    keep_alive = res.keep_alive() && !res.need_eof();
    ClientResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& field : res)
      out.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    out.body = std::move(res.body());
    co_return out;
  }

  asio::awaitable<ClientResponse> send_once(const HttpUrl& url, const std::string& origin,
                                            http::request<http::string_body>& request, bool& may_retry) {
    may_retry = false;
    auto connection = take_idle(origin);
    if (!connection) connection = co_await connect(url, origin);
    busy.insert(connection.get());
    bool keep_alive = false;
    bool got_nothing = false;
    boost::system::error_code failure;
    ClientResponse response;
    try {
      if (auto* plain = std::get_if<std::unique_ptr<PlainStream>>(&connection->stream))
        response = co_await exchange(**plain, *connection, request, keep_alive, got_nothing);
      else
        response = co_await exchange(*std::get<std::unique_ptr<TlsStream>>(connection->stream), *connection,
                                     request, keep_alive, got_nothing);
    } catch (const boost::system::system_error& e) {
      failure = e.code();
    }
    busy.erase(connection.get());
    if (failure) {
      may_retry = connection->reused && got_nothing && is_stale_connection(failure);
      const std::string where = url.host + ":" + std::to_string(url.port);
      const Kind kind = kind_of(failure);
      if (kind == Kind::Timeout)
        throw HttpClientError(
            kind, "no answer from " + where + " within " + std::to_string(options.timeout.count()) + " ms");
      if (kind == Kind::Cancelled) throw HttpClientError(kind, "request to " + where + " cancelled");
      if (failure == http::error::body_limit)
        throw HttpClientError(Kind::TooLarge, "the answer from " + where + " is larger than the limit of " +
                                                  std::to_string(options.max_response_bytes) +
                                                  " bytes; the rest was not read");
      throw HttpClientError(kind, "connection to " + where + " broke: " + failure.message());
    }
    if (keep_alive) give_back(std::move(connection));
    co_return response;
  }
};

HttpClient::HttpClient(asio::io_context& context, ClientOptions options)
    : impl_(std::make_unique<Impl>(context, std::move(options))) {}
HttpClient::~HttpClient() = default;

asio::awaitable<ClientResponse> HttpClient::send(ClientRequest request) {
  const auto target = impl_->parsed(request.url);
  const HttpUrl& url = target->url;
  const std::string& origin = target->origin;

  http::request<http::string_body> out;
  const auto verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown)
    throw HttpClientError(Kind::BadUrl, "unknown HTTP method " + request.method);
  out.method(verb);
  out.target(url.target);
  out.version(11);
  out.set(http::field::host,
          url.port == (url.tls() ? 443 : 80) ? url.host : url.host + ":" + std::to_string(url.port));
  out.set(http::field::user_agent, "ato-bridge");
  for (auto& h : request.headers) out.set(h.name, h.value);
  out.body() = std::move(request.body);
  out.prepare_payload();
  out.keep_alive(true);

  // (No co_return inside the try: GCC 12 destroys `out` twice when a co_await in a try block
  // is the operand of co_return.)
  bool may_retry = false;
  std::exception_ptr failure;
  ClientResponse response;
  try {
    response = co_await impl_->send_once(url, origin, out, may_retry);
  } catch (const HttpClientError&) {
    failure = std::current_exception();
  }
  if (!failure) co_return response;
  if (!may_retry) std::rethrow_exception(failure);
  // The kept-alive connection had been closed by the server, and so may its idle siblings: once
  // more on a fresh one.
  impl_->idle.erase(origin);
  response = co_await impl_->send_once(url, origin, out, may_retry);
  co_return response;
}

void HttpClient::cancel_all() {
  impl_->idle.clear();
  for (Connection* connection : impl_->busy) {
    boost::system::error_code ignored;
    connection->tcp().socket().cancel(ignored);
    connection->tcp().socket().close(ignored);
  }
}

std::size_t HttpClient::connections_opened() const {
  return impl_->opened;
}

}  // namespace ato::net
