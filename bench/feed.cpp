// bench/run feed: how many events per second one client reads from the fake ATO feed, pages of 500,
// over one keep-alive connection, following @odata.nextLink and parsing every page strictly (as the
// bridge's collector will). Reference in the same run: the same pages fetched without parsing, so
// the parse share is visible. Starts its own `ato-sim --only ato --plain` landscape.
#include <signal.h>
#include <simdjson.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/base64.hpp"
#include "core/url.hpp"
#include "core/wire.hpp"
#include "tests/support/process.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

namespace {

struct Client {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  std::string auth;
  Client(const ato::HttpUrl& url, const std::string& user_password) {
    asio::ip::tcp::resolver resolver(ioc);
    stream.connect(resolver.resolve(url.host, std::to_string(url.port)));
    auth = "Basic " + ato::base64_encode(user_password);
  }
  std::string get(const std::string& target) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, auth);
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    if (res.result_int() != 200)
      throw std::runtime_error("HTTP " + std::to_string(res.result_int()) + ": " + res.body());
    return std::move(res.body());
  }
};

std::string field(const std::string& json, const char* name) {
  simdjson::dom::parser p;
  return std::string(p.parse(json)[name].get_string().value());
}

// A field of one tenant in the ready file (each tenant has a feed of its own).
std::string tenant_field(const std::string& json, std::string_view tenant, const char* name) {
  simdjson::dom::parser p;
  for (auto t : simdjson::dom::array(p.parse(json)["tenants"]))
    if (std::string_view(t["name"]) == tenant) return std::string(std::string_view(t[name]));
  throw std::runtime_error("the ready file has no tenant " + std::string(tenant));
}

// Reads the whole feed; returns {events, seconds}.
std::pair<std::int64_t, double> read_all(Client& client, const std::string& feed_path,
                                         const std::string& base, bool parse) {
  std::int64_t events = 0;
  std::string target = feed_path + "?$top=500";
  simdjson::dom::parser raw;
  const auto start = Clock::now();
  while (!target.empty()) {
    const std::string body = client.get(target);
    std::string next;
    if (parse) {
      auto page = ato::parse_feed_page(body);
      events += static_cast<std::int64_t>(page.events.size());
      next = page.next_link.value_or("");
    } else {
      auto doc = raw.parse(body);
      events += static_cast<std::int64_t>(doc["value"].get_array().size());
      std::string_view link;
      next = doc["@odata.nextLink"].get_string().get(link) ? std::string() : std::string(link);
    }
    target = next.empty() ? std::string() : next.substr(base.size());
  }
  return {events, std::chrono::duration<double>(Clock::now() - start).count()};
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string sim = argc > 1 ? argv[1] : "build-bench/simulator/ato-sim";
  ato::test::TempDir dir;
  ato::test::ChildProcess server(
      {sim, "serve", "--only", "ato", "--plain", "--generate-count", "20000", "--time-scale", "100000000",
       "--seed", "1", "--start-time", "2026-11-20T08:00:00Z", "--log-level", "warn", "--ready-file",
       (dir / "ready.json").string()},
      dir / "sim.log");
  for (int i = 0; i < 400 && !std::filesystem::exists(dir / "ready.json"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  const std::string ready = ato::test::read_text(dir / "ready.json");
  const std::string base = field(ready, "ato_url");
  const auto url = std::get<ato::HttpUrl>(ato::parse_http_url(base));
  // The test tenant's feed: it holds most of a landscape's events (imports and status changes).
  constexpr std::string_view kTenant = "S4T~100";
  Client client(url, tenant_field(ready, kTenant, "user") + ":" + tenant_field(ready, kTenant, "password"));
  const auto generate_start = Clock::now();
  while (client.get("/sim/ato/stats").find("\"generator_done\":true") == std::string::npos)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::printf("landscape: 20000 transports generated in %.1f s\n",
              std::chrono::duration<double>(Clock::now() - generate_start).count());
  const std::string feed_path = tenant_field(ready, kTenant, "feed_url").substr(base.size());
  read_all(client, feed_path, base, false);  // warm up
  const auto [raw_events, raw_s] = read_all(client, feed_path, base, false);
  const auto [events, s] = read_all(client, feed_path, base, true);
  std::printf("feed read (the test tenant's), pages of 500, one keep-alive connection, plain HTTP on 127.0.0.1:\n");
  std::printf("  fetch + simdjson only:        %9.0f events/s (%lld events in %.2f s)\n", raw_events / raw_s,
              static_cast<long long>(raw_events), raw_s);
  std::printf("  fetch + strict parse_feed_page %9.0f events/s (%lld events in %.2f s)\n", events / s,
              static_cast<long long>(events), s);
  std::printf("ratio feed_strict_vs_raw_read %.3f\n", (events / s) / (raw_events / raw_s));
  server.kill(SIGTERM);
  server.wait();
}
