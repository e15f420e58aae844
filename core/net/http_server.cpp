#include "core/net/http_server.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/net/beast.hpp"

namespace ato::net {

namespace {

// A request's head and a package of a few dozen events arrive in one read.
constexpr std::size_t kReadBufferBytes = 16 * 1024;
// A connection keeps its request-body buffer from request to request up to this size.
constexpr std::size_t kKeptBodyBytes = 256 * 1024;

struct Listener {
  ListenOptions options;
  Handler handler;
  DeferredHandler deferred;  // instead of handler
  std::unique_ptr<ssl::context> tls;
  std::unique_ptr<tcp::acceptor> acceptor;
};

// Parses a request straight into an HttpRequest: Beast's own request message would keep a list
// of fields (an allocation per header) only for them to be copied out again. The HttpRequest is
// the connection's, reused from request to request, so its strings keep their capacity: a fresh
// ~1 KB body per request made glibc's malloc consolidate its free lists every time (perf).
class RequestParser final : public http::basic_parser<true> {
 public:
  explicit RequestParser(HttpRequest& out) : out_(out) {
    out_.method.clear();
    out_.target.clear();
    out_.path.clear();
    out_.query.clear();
    out_.body.clear();
    // A body grown by an unusually large request is not kept for the connection's life.
    if (out_.body.capacity() > kKeptBodyBytes) out_.body.shrink_to_fit();
  }
  unsigned version() const { return version_; }

 private:
  void on_request_impl(http::verb, beast::string_view method, beast::string_view target, int version,
                       beast::error_code&) override {
    out_.method.assign(method.data(), method.size());
    out_.target.assign(target.data(), target.size());
    const auto q = out_.target.find('?');
    out_.path.assign(out_.target, 0, q);
    if (q != std::string::npos) out_.query.assign(out_.target, q + 1);
    version_ = static_cast<unsigned>(version);
  }
  void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}  // a request parser
  // The previous request's header entries are assigned over, so their strings' capacity is reused;
  // on_header_impl drops what this request did not fill. (A request that fails to parse never
  // reaches a handler.)
  void on_field_impl(http::field, beast::string_view name, beast::string_view value,
                     beast::error_code&) override {
    if (header_count_ < out_.headers.size()) {
      out_.headers[header_count_].name.assign(name.data(), name.size());
      out_.headers[header_count_].value.assign(value.data(), value.size());
    } else {
      out_.headers.push_back({std::string(name), std::string(value)});
    }
    ++header_count_;
  }
  void on_header_impl(beast::error_code&) override { out_.headers.resize(header_count_); }
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, beast::error_code&) override {
    // basic_parser has checked the length against body_limit already.
    if (length) out_.body.reserve(static_cast<std::size_t>(*length));
  }
  std::size_t on_body_impl(beast::string_view piece, beast::error_code&) override {
    out_.body.append(piece.data(), piece.size());
    return piece.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view piece, beast::error_code&) override {
    out_.body.append(piece.data(), piece.size());
    return piece.size();
  }
  void on_finish_impl(beast::error_code&) override {}

  HttpRequest& out_;
  std::size_t header_count_ = 0;
  unsigned version_ = 11;
};

http::response<http::string_body> to_beast(HttpResponse& res, unsigned version, bool keep_alive) {
  http::response<http::string_body> out{static_cast<http::status>(res.status), version};
  for (auto& h : res.headers) out.set(h.name, h.value);
  out.body() = std::move(res.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

// The response as one buffer for one write. Beast's serializer walks a chain of buffer views on
// every write: 13% of ato-sim's user-space instructions per push request (callgrind). A response
// here is small, always complete, and never chunked, so it is assembled once instead. (The slow-drip
// fault still goes through Beast: it writes the head and the body apart.)
// A HEAD request's answer has the head a GET would have, Content-Length included, and no body
// (RFC 9110, 9.3.2): body bytes after it would be read as the start of the next response.
std::string serialize(const HttpResponse& res, unsigned version, bool keep_alive, bool head_only) {
  const bool bodiless = res.status < 200 || res.status == 204 || res.status == 304;  // RFC 9110, 6.4.1
  if (bodiless && !res.body.empty())
    throw std::logic_error("HTTP " + std::to_string(res.status) + " response with a body");
  std::string out;
  out.reserve(160 + res.body.size());
  out.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ").append(std::to_string(res.status)).append(" ");
  const auto reason = http::obsolete_reason(static_cast<http::status>(res.status));
  out.append(reason.data(), reason.size()).append("\r\n");
  for (const auto& h : res.headers) {
    if (h.name.find_first_of("\r\n:") != std::string::npos ||
        h.value.find_first_of("\r\n") != std::string::npos)
      throw std::logic_error("HTTP response header '" + h.name + "' with a line break in it");
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  if (!bodiless) out.append("Content-Length: ").append(std::to_string(res.body.size())).append("\r\n");
  if (version == 10 && keep_alive) out.append("Connection: keep-alive\r\n");
  if (version != 10 && !keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n");
  if (!head_only) out.append(res.body);
  return out;
}

void reset_connection(tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);  // close() then sends RST
  socket.close(ignored);
}

template <typename Stream>
tcp::socket& socket_of(Stream& stream) {
  return beast::get_lowest_layer(stream).socket();
}

// Writes the response a few bytes at a time with pauses: a server that trickles its answer.
template <typename Stream>
asio::awaitable<void> drip(Stream& stream, http::response<http::string_body>& res,
                           std::chrono::milliseconds pause, std::chrono::milliseconds write_timeout) {
  http::response<http::empty_body> head{res.result(), res.version()};
  for (const auto& field : res) head.set(field.name(), field.value());
  http::response_serializer<http::empty_body> serializer{head};
  beast::get_lowest_layer(stream).expires_after(write_timeout);
  co_await http::async_write_header(stream, serializer, use_awaitable);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const std::string& body = res.body();
  for (std::size_t at = 0; at < body.size(); at += 16) {
    timer.expires_after(pause);
    co_await timer.async_wait(use_awaitable);
    beast::get_lowest_layer(stream).expires_after(write_timeout);
    co_await asio::async_write(
        stream, asio::buffer(body.data() + at, std::min<std::size_t>(16, body.size() - at)), use_awaitable);
  }
}

// Waits for a deferred handler's answer. Only pointers go through the initiation (see
// bridge/outbox/outbox_thread.hpp on GCC 12 and copies in coroutine initiations); the waiting
// coroutine's io_context is kept from running out of work until the answer came.
asio::awaitable<HttpResponse> answer_later(const DeferredHandler* handler, const HttpRequest* request) {
  return asio::async_initiate<const asio::use_awaitable_t<>, void(HttpResponse)>(
      [](auto completion, const DeferredHandler* handler, const HttpRequest* request) {
        using Completion = decltype(completion);
        struct Waiting {
          Completion completion;
          asio::executor_work_guard<asio::associated_executor_t<Completion>> home;
        };
        auto home = asio::make_work_guard(asio::get_associated_executor(completion));
        auto waiting = std::make_shared<Waiting>(Waiting{std::move(completion), std::move(home)});
        (*handler)(*request, [waiting](HttpResponse response) {
          auto executor = waiting->home.get_executor();
          asio::post(executor, [waiting, response = std::move(response)]() mutable {
            std::move(waiting->completion)(std::move(response));
            waiting->home.reset();
          });
        });
      },
      use_awaitable, handler, request);
}

// Serves requests on one connection until the client closes it, a timeout, or a fault ends it.
template <typename Stream>
asio::awaitable<void> serve_requests(Stream& stream, Listener& listener, const std::string& remote) {
  beast::flat_buffer buffer;
  // Beast reads at most the buffer's free capacity per call, and an empty buffer starts at 512
  // bytes: a 2 KB push request took three recvmsg calls. Room for a typical request up front.
  buffer.reserve(kReadBufferBytes);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  HttpRequest request;
  request.remote = remote;
  for (;;) {
    RequestParser parser(request);
    parser.body_limit(listener.options.max_body_bytes);
    beast::get_lowest_layer(stream).expires_after(listener.options.idle_timeout);
    co_await http::async_read(stream, buffer, parser, use_awaitable);
    // Not a conditional expression around co_await: GCC 12 miscompiles that (a crash).
    HttpResponse res;
    if (listener.deferred)
      res = co_await answer_later(&listener.deferred, &request);
    else
      res = listener.handler(request);
    if (res.delay.count() > 0) {
      timer.expires_after(res.delay);
      co_await timer.async_wait(use_awaitable);
    }
    if (res.delivery == Delivery::Reset) {
      reset_connection(socket_of(stream));
      co_return;
    }
    if (res.delivery == Delivery::NoAnswer) {
      boost::system::error_code ignored;
      socket_of(stream).shutdown(tcp::socket::shutdown_both, ignored);
      co_return;
    }
    const bool keep_alive = parser.keep_alive() && !res.close;
    const bool head_only = request.method == "HEAD";
    if (res.drip_interval.count() > 0 && !head_only) {
      const auto drip_interval = res.drip_interval;
      auto out = to_beast(res, parser.version(), keep_alive);
      co_await drip(stream, out, drip_interval, listener.options.write_timeout);
    } else {
      const std::string out = serialize(res, parser.version(), keep_alive, head_only);
      beast::get_lowest_layer(stream).expires_after(listener.options.write_timeout);
      co_await asio::async_write(stream, asio::buffer(out), use_awaitable);
    }
    if (!keep_alive) co_return;
  }
}

std::string remote_of(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  return ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
}

asio::awaitable<void> session(tcp::socket socket, Listener& listener) {
  const std::string remote = remote_of(socket);
  try {
    socket.set_option(tcp::no_delay(true));
    if (listener.tls) {
      beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *listener.tls);
      beast::get_lowest_layer(stream).expires_after(listener.options.idle_timeout);
      co_await stream.async_handshake(ssl::stream_base::server, use_awaitable);
      co_await serve_requests(stream, listener, remote);
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
      boost::system::error_code ignored;
      co_await stream.async_shutdown(asio::redirect_error(use_awaitable, ignored));
    } else {
      beast::tcp_stream stream(std::move(socket));
      co_await serve_requests(stream, listener, remote);
      boost::system::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  } catch (const boost::system::system_error& e) {
    // The client went away, a timeout, a bad request: this connection ends, the server goes on.
    if (e.code() != http::error::end_of_stream && e.code() != asio::error::eof &&
        e.code() != asio::error::operation_aborted)
      spdlog::debug("connection from {} ended: {}", remote, e.code().message());
  } catch (const std::exception& e) {
    // A bug in answering one request (say a response header with a line break) ends this
    // connection, loudly, not the whole server.
    spdlog::error("connection from {} ended: {}", remote, e.what());
  }
}

// With one thread a connection needs no strand of its own: its operations already run one at a
// time, and a strand costs a shared state and locking on every completion.
asio::any_io_executor connection_executor(asio::io_context& context, bool one_thread) {
  if (one_thread) return context.get_executor();
  return asio::make_strand(context);
}

asio::awaitable<void> accept_loop(Listener& listener, asio::io_context& context, bool one_thread) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await listener.acceptor->async_accept(connection_executor(context, one_thread),
                                                                  asio::redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !listener.acceptor->is_open()) co_return;
    if (ec) {
      spdlog::warn("accept failed: {}", ec.message());  // e.g. out of file descriptors: keep serving
      continue;
    }
    auto executor = socket.get_executor();
    asio::co_spawn(executor, session(std::move(socket), listener), asio::detached);
  }
}

}  // namespace

struct HttpServers::Impl {
  explicit Impl(int threads) : context(threads), thread_count(threads) {}
  asio::io_context context;
  int thread_count;
  std::list<Listener> listeners;  // stable addresses: sessions refer to their listener
};

HttpServers::HttpServers(int threads) : impl_(std::make_unique<Impl>(std::max(1, threads))) {}
HttpServers::~HttpServers() = default;

std::uint16_t HttpServers::listen_deferred(const ListenOptions& options, DeferredHandler handler) {
  Handler none;
  const auto port = listen(options, std::move(none));
  impl_->listeners.back().deferred = std::move(handler);
  return port;
}

std::uint16_t HttpServers::listen(const ListenOptions& options, Handler handler) {
  Listener& listener = impl_->listeners.emplace_back();
  listener.options = options;
  listener.handler = std::move(handler);
  if (options.tls) {
    listener.tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    listener.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                              ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                              ssl::context::single_dh_use);
    listener.tls->use_certificate_chain(asio::buffer(options.tls->certificate_pem));
    listener.tls->use_private_key(asio::buffer(options.tls->private_key_pem), ssl::context::pem);
    if (options.client_ca_pem) {
      listener.tls->add_certificate_authority(asio::buffer(*options.client_ca_pem));
      listener.tls->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options.address, ec);
  if (ec) throw std::runtime_error("cannot listen on '" + options.address + "': not an IP address");
  const tcp::endpoint endpoint(address, options.port);
  listener.acceptor = std::make_unique<tcp::acceptor>(impl_->context);
  listener.acceptor->open(endpoint.protocol(), ec);
  if (!ec) listener.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) listener.acceptor->bind(endpoint, ec);
  if (!ec) listener.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + options.address + ":" + std::to_string(options.port) +
                             ": " + ec.message());
  asio::co_spawn(impl_->context, accept_loop(listener, impl_->context, impl_->thread_count == 1),
                 asio::detached);
  return listener.acceptor->local_endpoint().port();
}

void HttpServers::run(std::function<void(int)> on_signal, bool stop_on_signal) {
  asio::signal_set signals(impl_->context, SIGINT, SIGTERM);
  signals.async_wait(
      [this, on_signal, stop_on_signal, &signals](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        if (on_signal) on_signal(signal);
        if (stop_on_signal) {
          stop();
          return;
        }
        signals.async_wait([this](const boost::system::error_code& again, int) {
          if (!again) stop();
        });
      });
  std::vector<std::thread> threads;
  for (int i = 1; i < impl_->thread_count; ++i) threads.emplace_back([this] { impl_->context.run(); });
  impl_->context.run();
  for (auto& t : threads) t.join();
}

bool HttpServers::drain(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto& context = impl_->context;
  context.restart();
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < until)
    context.run_one_for(std::chrono::milliseconds(50));
  return done();
}

asio::io_context& HttpServers::context() {
  return impl_->context;
}

void HttpServers::stop() {
  // Close the listeners, then give open connections a moment before the context stops.
  asio::post(impl_->context, [this] {
    for (auto& listener : impl_->listeners) {
      boost::system::error_code ignored;
      listener.acceptor->close(ignored);
    }
    auto timer = std::make_shared<asio::steady_timer>(impl_->context, std::chrono::milliseconds(200));
    timer->async_wait([this, timer](const boost::system::error_code&) { impl_->context.stop(); });
  });
}

}  // namespace ato::net
