// `ato-sim serve`: binds the listeners, writes the certificate, the service key and the ready
// file, and serves until SIGINT/SIGTERM.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace ato::sim {

struct ServeOptions {
  std::string listen = "127.0.0.1";
  std::uint16_t alm_port = 0;
  std::optional<std::filesystem::path> ready_file;
  std::optional<std::filesystem::path> state_dir;  // default: the ready file's directory, else "."
  std::uint64_t seed = 1;
  std::string faults;
  bool plain = false;
  std::chrono::milliseconds token_ttl = std::chrono::hours(12);
  std::string client_id = "sb-ato-sim!b123456|sapcloudalm!b456789";
  std::optional<std::string> client_secret;  // default: a fresh random one
  std::string scopes = "manage,display";
  std::optional<std::filesystem::path> tls_cert, tls_key;
  std::optional<std::filesystem::path> journal;
  int max_package_size = 1000;
  int threads = 2;
  std::string log_level = "info";
};

// Returns the process exit code.
int serve(const ServeOptions& options);

}  // namespace ato::sim
