// Test support: a small HTTP server on 127.0.0.1 (plain http, port 0) whose answers the test
// scripts, playing a hostile or broken ATO feed, token endpoint or Cloud ALM. It runs on a thread of
// its own and records every request it gets, so a test can say what reached it, and what did not.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/net/http.hpp"

namespace ato::test {

struct SeenRequest {
  std::string method;
  std::string target;
  std::string authorization;
};

class HostilePeer {
 public:
  using Script = std::function<net::HttpResponse(const net::HttpRequest&)>;

  explicit HostilePeer(Script script);
  ~HostilePeer();
  HostilePeer(const HostilePeer&) = delete;
  HostilePeer& operator=(const HostilePeer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void script(Script script);  // answer differently from now on

  std::vector<SeenRequest> requests() const;
  // Requests whose target starts with `prefix`.
  std::size_t count(const std::string& prefix) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
};

// Plain HTTP GET to a loopback URL through curl: status and body.
struct PlainResponse {
  int status = 0;
  std::string body;
};
PlainResponse http_get(const std::string& url);

}  // namespace ato::test
