// Test support: a real `ato-sim serve` on 127.0.0.1 (port 0) in a temporary directory, and HTTP
// requests to it through real curl (verifying TLS against the CA the simulator wrote), each
// response body optionally kept for validation against schema/ by the JSON Schema validator.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace ato::test {

struct HttpResult {
  int curl_exit = 0;  // 0, or curl's error (52: empty reply, 56: reset, 28: timeout)
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::chrono::milliseconds elapsed{0};
};

struct HttpCall {
  std::string method = "GET";
  std::string path;  // joined to the base URL
  std::string body;
  std::vector<std::string> headers;  // "Name: value"
  std::string basic_user;            // "id:secret" for -u
  std::string schema;                // non-empty: keep the body for validation against this schema
  bool to_ato = false;               // the fake ATO's listener instead of the fake Cloud ALM's
  std::chrono::seconds max_time{15};
};

// One tenant of the simulated landscape, as the ready file lists it.
struct SimTenant {
  std::string name;  // SID~client
  std::string role;  // development, test, production
  std::string feed_url, user, password;
};

class SimProcess {
 public:
  // `lms_check` false (tests not about registration) starts it with --no-lms-check.
  explicit SimProcess(std::vector<std::string> extra_args = {}, std::string dir_name = "sim",
                      bool lms_check = false);
  ~SimProcess();

  HttpResult call(const HttpCall& call);
  std::string token();  // a fresh access token via the service key's credentials
  HttpResult push(const std::string& service_path, const std::string& package_json, const std::string& token);

  // SIGTERM; returns how long the process took to exit (it must exit 0).
  std::chrono::milliseconds stop();
  // Runs the JSON Schema validator over every body kept so far; returns its output, empty when all valid.
  std::string validate_kept_documents();

  const std::string& url() const { return alm_url_; }
  const std::string& ato_url() const { return ato_url_; }
  // The landscape's tenants (one feed each); ato_feed_url(), ato_user() and ato_password() are the
  // first one's (S4D~080, development).
  const std::vector<SimTenant>& tenants() const { return tenants_; }
  const SimTenant& tenant(const std::string& name) const;
  std::string ato_credentials() const { return ato_user_ + ":" + ato_password_; }
  std::string credentials_of(const std::string& tenant) const;
  const std::string& ato_feed_url() const { return ato_feed_url_; }
  const std::string& ato_user() const { return ato_user_; }
  const std::string& ato_password() const { return ato_password_; }
  std::filesystem::path service_key_file() const { return dir_ / "ato-sim-service-key.json"; }
  // The pages of a tenant's feed (default: the first tenant's) from `query`, following
  // @odata.nextLink; each page is kept for schema validation.
  std::vector<std::string> feed_pages(const std::string& query, const std::string& tenant = "");
  // A tenant's feed path below ato_url() (default: the first tenant's).
  std::string feed_path(const std::string& tenant = "") const;
  const std::string& client_id() const { return client_id_; }
  const std::string& client_secret() const { return client_secret_; }
  const std::string& ca_file() const { return ca_file_; }
  std::filesystem::path path(const std::string& name) const { return dir_ / name; }
  std::string log() const;
  static std::string export_path() { return "/api/calm-deployments/v1/ato/exports"; }
  static std::string import_path() { return "/api/calm-deployments/v1/ato/imports"; }
  static std::string status_change_path() { return "/api/calm-deployments/v1/ato/status-changes"; }

 private:
  static TempDir& shared_root();
  std::filesystem::path dir_;
  std::unique_ptr<ChildProcess> process_;
  std::string alm_url_, ca_file_, client_id_, client_secret_, ato_url_, ato_feed_url_, ato_user_,
      ato_password_;
  std::vector<SimTenant> tenants_;
  int kept_ = 0, calls_ = 0;
};

}  // namespace ato::test
