// The HTTP server's own answers, byte by byte on a raw socket: one response assembled per request
// (status line, headers, Content-Length), keep-alive as the client asked, and a response that cannot
// be written ending only its own connection.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <string>
#include <thread>

#include "core/net/http_server.hpp"

using namespace ato;

namespace {

// A client socket to 127.0.0.1:port whose reads give up after 5 s.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void send(const std::string& request) {
    REQUIRE(::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size()));
  }
  // One response: its head up to the blank line, then Content-Length bytes of body. Empty when the
  // server closed the connection first.
  std::string response() {
    std::string head;
    while (head.find("\r\n\r\n") == std::string::npos) {
      if (!read_some(head)) return head;
    }
    const auto head_end = head.find("\r\n\r\n") + 4;
    const auto length_at = head.find("Content-Length: ");
    const std::size_t length = length_at == std::string::npos ? 0 : std::stoul(head.substr(length_at + 16));
    while (head.size() < head_end + length) {
      if (!read_some(head)) break;
    }
    return head;
  }
  // What arrives up to the blank line, and whatever came with it (nothing more is waited for).
  std::string head_only() {
    std::string head;
    while (head.find("\r\n\r\n") == std::string::npos)
      if (!read_some(head)) break;
    return head;
  }
  bool closed_by_server() {
    char byte;
    return ::recv(fd_, &byte, 1, 0) == 0;
  }

 private:
  bool read_some(std::string& into) {
    char buffer[4096];
    const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    into.append(buffer, static_cast<std::size_t>(n));
    return true;
  }
  int fd_;
};

net::HttpResponse answer(const net::HttpRequest& request) {
  if (request.path == "/broken") {
    auto response = net::HttpResponse::json(200, "{}");
    response.header("X-Broken", "one\r\nInjected: two");  // a programming error, never sent
    return response;
  }
  if (request.path == "/close") {
    auto response = net::HttpResponse::json(200, "{}");
    response.close = true;
    return response;
  }
  if (request.path == "/echo") {
    net::HttpResponse response;
    response.header("Content-Type", "text/plain");
    response.body = request.method + " " + request.target + " query=" + request.query +
                    " headers=" + std::to_string(request.headers.size()) +
                    " x-once=" + std::string(request.header("X-Once")) + " body=" + request.body;
    return response;
  }
  return net::HttpResponse::json(201, R"({"path":")" + request.path + R"("})");
}

std::string body_of(const std::string& response) {
  const auto at = response.find("\r\n\r\n");
  return at == std::string::npos ? std::string() : response.substr(at + 4);
}

// Serves `answer` on a free port for the life of the object.
struct Server {
  net::HttpServers servers{1};
  std::uint16_t port = servers.listen(net::ListenOptions{}, answer);
  std::thread runner{[this] { servers.run({}, false); }};
  ~Server() {
    servers.stop();
    runner.join();
  }
};

}  // namespace

TEST_CASE("a response goes out whole: status line, headers, Content-Length, body; keep-alive by default") {
  Server server;
  RawClient client(server.port);
  client.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(client.response() ==
        "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n"
        R"({"path":"/first"})");
  client.send("GET /second HTTP/1.1\r\nHost: x\r\n\r\n");  // the same connection
  CHECK(client.response().ends_with(R"({"path":"/second"})"));
}

TEST_CASE("HEAD gets the head a GET would get and no body, so the next response on the connection is whole") {
  Server server;
  RawClient client(server.port);
  client.send("HEAD /first HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto head = client.head_only();
  CHECK(head == "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n");
  client.send("GET /second HTTP/1.1\r\nHost: x\r\n\r\n");  // the same connection
  const auto next = client.response();
  CHECK(next.starts_with("HTTP/1.1 201 Created\r\n"));  // no leftover body bytes in front of it
  CHECK(next.ends_with(R"({"path":"/second"})"));
}

TEST_CASE("Connection: close is said and done, as the client or the handler asked") {
  Server server;
  {
    RawClient client(server.port);
    client.send("GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(client.response().find("\r\nConnection: close\r\n") != std::string::npos);
    CHECK(client.closed_by_server());
  }
  {
    RawClient client(server.port);
    client.send("GET /close HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(client.response().find("\r\nConnection: close\r\n") != std::string::npos);
    CHECK(client.closed_by_server());
  }
  {
    RawClient client(server.port);  // HTTP/1.0 keeps the connection only when asked to
    client.send("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const auto response = client.response();
    CHECK(response.starts_with("HTTP/1.0 201 Created\r\n"));
    CHECK(response.find("\r\nConnection: keep-alive\r\n") != std::string::npos);
    client.send("GET /c HTTP/1.0\r\n\r\n");
    CHECK(client.response().find("Connection:") == std::string::npos);
    CHECK(client.closed_by_server());
  }
}

TEST_CASE("a response that cannot be written ends its connection only; the server goes on") {
  Server server;
  {
    RawClient client(server.port);
    client.send("GET /broken HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(client.response().empty());  // nothing half-written, no injected header
  }
  RawClient next(server.port);
  next.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(next.response().starts_with("HTTP/1.1 201 Created\r\n"));
}

TEST_CASE("each request on a connection is read afresh: nothing of the one before remains") {
  Server server;
  RawClient client(server.port);
  client.send("POST /echo?a=1 HTTP/1.1\r\nHost: x\r\nX-Once: first\r\nContent-Length: 5\r\n\r\nhello");
  CHECK(body_of(client.response()) == "POST /echo?a=1 query=a=1 headers=3 x-once=first body=hello");
  client.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(body_of(client.response()) == "GET /echo query= headers=1 x-once= body=");
  // A chunked body is put together from its chunks.
  client.send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  CHECK(body_of(client.response()) == "POST /echo query= headers=2 x-once= body=hello world");
  // A body larger than the connection keeps a buffer for, then a small one.
  const std::string large(300'000, 'z');
  client.send("PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n" + large);
  CHECK(body_of(client.response()) == "PUT /echo query= headers=2 x-once= body=" + large);
  client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok");
  CHECK(body_of(client.response()) == "POST /echo query= headers=2 x-once= body=ok");
}

TEST_CASE("header names compare without regard to ASCII case, and only ASCII") {
  CHECK(net::iequals("Content-Type", "content-type"));
  CHECK(net::iequals("AUTHORIZATION", "Authorization"));
  CHECK(net::iequals("X-1_@[`{", "x-1_@[`{"));  // the characters around the letters are not folded
  CHECK_FALSE(net::iequals("X-@", "X-`"));
  CHECK_FALSE(net::iequals("Content-Type", "Content-Typf"));
  CHECK_FALSE(net::iequals("Host", "Hosts"));
  CHECK_FALSE(net::iequals("\xC4", "\xE4"));  // Latin-1 Ä and ä: not ASCII, not folded
  net::HttpRequest request;
  request.headers = {{"content-TYPE", "application/json"}, {"Content-Type", "text/plain"}};
  CHECK(request.header("Content-Type") == "application/json");  // the first of that name
  CHECK(request.header("Accept").empty());
}
