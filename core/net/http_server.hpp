// HTTP/1.1 servers (plain or TLS) on one io_context run by a few threads: Beast underneath, kept
// out of this header. Each connection is one coroutine (on a strand of its own when several threads
// run the io_context) that reads a request, asks the handler, and writes the answer (or carries out
// the fault the answer asks for), with a timeout on every operation. SIGINT/SIGTERM stop everything
// within a second.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/net/http.hpp"

namespace boost::asio {
class io_context;
}

namespace ato::net {

using Handler = std::function<HttpResponse(const HttpRequest&)>;
// A handler that answers later, once work elsewhere is done (another thread's, say): it calls
// `answer` (core/net/http.hpp) exactly once, from any thread; the connection waits for it. The
// request is valid only during the call: copy what the answer needs.
using DeferredHandler = std::function<void(const HttpRequest&, Answer)>;

struct TlsIdentity {
  std::string certificate_pem;  // leaf first, then any chain
  std::string private_key_pem;
};

struct ListenOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port (the bound one is returned)
  std::optional<TlsIdentity> tls;
  // With TLS: require a client certificate that this PEM (CA certificates, or the client's own
  // self-signed one) verifies; a connection without one fails in the handshake (mutual TLS).
  std::optional<std::string> client_ca_pem;
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};  // waiting for a request or handshake
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
  std::size_t max_body_bytes = 16 * 1024 * 1024;
};

class HttpServers {
 public:
  explicit HttpServers(int threads);
  ~HttpServers();
  HttpServers(const HttpServers&) = delete;
  HttpServers& operator=(const HttpServers&) = delete;

  // Binds and starts accepting (once run() runs). Throws std::runtime_error naming the address when
  // it cannot bind. Returns the bound port.
  std::uint16_t listen(const ListenOptions& options, Handler handler);
  std::uint16_t listen_deferred(const ListenOptions& options, DeferredHandler handler);

  // Runs until stop() or SIGINT/SIGTERM; then closes the listeners and connections and returns.
  // `on_signal` (optional) is told which signal ended the run. With `stop_on_signal` false the
  // signal only calls `on_signal`, which is then responsible for calling stop() (a graceful
  // shutdown that finishes work first); a second signal stops at once.
  void run(std::function<void(int)> on_signal = {}, bool stop_on_signal = true);
  void stop();  // thread-safe
  // After run() returned: runs the io_context's handlers again, on this thread, until `done()` says
  // so or `limit` passed; true when done. Lets work that run() left suspended end before teardown.
  bool drain(const std::function<bool()>& done, std::chrono::milliseconds limit);

  // The io_context the servers run on, for other work of the same process (one io_context).
  boost::asio::io_context& context();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ato::net
