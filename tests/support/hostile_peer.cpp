#include "tests/support/hostile_peer.hpp"

#include <thread>

#include "core/net/http_server.hpp"
#include "tests/support/process.hpp"

namespace ato::test {

struct HostilePeer::Impl {
  net::HttpServers servers{1};
  std::thread thread;
  mutable std::mutex mutex;
  Script script;
  std::vector<SeenRequest> seen;
};

HostilePeer::HostilePeer(Script script) : impl_(std::make_unique<Impl>()) {
  impl_->script = std::move(script);
  net::ListenOptions options;
  options.idle_timeout = std::chrono::seconds(5);
  port_ = impl_->servers.listen(options, [impl = impl_.get()](const net::HttpRequest& request) {
    std::lock_guard lock(impl->mutex);
    impl->seen.push_back({request.method, request.target, std::string(request.header("Authorization"))});
    return impl->script(request);
  });
  impl_->thread = std::thread([impl = impl_.get()] { impl->servers.run({}, false); });
}

HostilePeer::~HostilePeer() {
  impl_->servers.stop();
  impl_->thread.join();
}

void HostilePeer::script(Script script) {
  std::lock_guard lock(impl_->mutex);
  impl_->script = std::move(script);
}

std::vector<SeenRequest> HostilePeer::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->seen;
}

std::size_t HostilePeer::count(const std::string& prefix) const {
  std::lock_guard lock(impl_->mutex);
  std::size_t n = 0;
  for (const auto& r : impl_->seen) n += r.target.rfind(prefix, 0) == 0;
  return n;
}

PlainResponse http_get(const std::string& url) {
  const auto r = run_process({"/usr/bin/curl", "-sS", "--max-time", "5", "-w", "\n%{http_code}", url},
                             {.timeout = std::chrono::seconds(10)});
  PlainResponse out;
  const auto last = r.out.rfind('\n');
  if (last == std::string::npos) return out;
  out.status = std::atoi(r.out.c_str() + last + 1);
  out.body = r.out.substr(0, last);
  return out;
}

}  // namespace ato::test
