// Plain HTTP request and response values: what handlers see. No Beast or Asio types here, so the
// code that decides what to answer compiles without them.
#pragma once

#include <chrono>
#include <optional>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ato::net {

struct Header {
  std::string name;
  std::string value;
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path and query
  std::string path;    // target before '?'
  std::string query;   // after '?', not decoded
  std::vector<Header> headers;
  std::string body;
  std::string remote;  // address:port of the client

  // First header of that name (case-insensitive), empty when absent.
  std::string_view header(std::string_view name) const;
};

// How a response is delivered: the simulator's faults are instructions to the server.
enum class Delivery {
  Normal,
  Reset,     // close the connection with a TCP reset instead of answering
  NoAnswer,  // close the connection without answering (after reading the request)
};

struct HttpResponse {
  int status = 200;
  std::vector<Header> headers;  // Content-Type goes here too
  std::string body;
  std::chrono::milliseconds delay{0};  // wait this long before answering
  Delivery delivery = Delivery::Normal;
  std::chrono::milliseconds drip_interval{0};  // > 0: send the body a few bytes at a time, pausing between
  bool close = false;                          // close the connection after this response

  HttpResponse& header(std::string name, std::string value) {
    headers.push_back({std::move(name), std::move(value)});
    return *this;
  }
  static HttpResponse json(int status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.header("Content-Type", "application/json");
    return r;
  }
};

bool iequals(std::string_view a, std::string_view b);

// Decodes %XX and (in forms and queries) '+' as space. Returns false on a malformed escape.
bool percent_decode(std::string_view in, std::string& out, bool plus_is_space);
// Encodes for an application/x-www-form-urlencoded value: unreserved characters as they are, every
// other byte as %XX (client IDs such as sb-x!b1|app!b2 carry '!' and '|').
std::string form_encode(std::string_view value);
// Finds `name` in an application/x-www-form-urlencoded text (a body or a query), decoded.
std::optional<std::string> form_value(std::string_view form, std::string_view name);

// How a handler that answers later hands over its answer (HttpServers::listen_deferred).
using Answer = std::function<void(HttpResponse)>;

}  // namespace ato::net
