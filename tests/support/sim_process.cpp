#include "tests/support/sim_process.hpp"

#include <signal.h>
#include <simdjson.h>
#include <strings.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

namespace ato::test {
namespace {

std::string json_string(simdjson::dom::element root, const char* a, const char* b = nullptr) {
  auto el = root[a];
  if (b) el = el[b];
  std::string_view v;
  if (el.get_string().get(v)) throw std::runtime_error(std::string("ready/key file lacks ") + a);
  return std::string(v);
}

}  // namespace

TempDir& SimProcess::shared_root() {
  static TempDir root;
  return root;
}

SimProcess::SimProcess(std::vector<std::string> extra_args, std::string dir_name, bool lms_check) {
  if (!lms_check) extra_args.push_back("--no-lms-check");
  static int counter = 0;
  dir_ = shared_root().path() / (dir_name + "-" + std::to_string(++counter));
  std::filesystem::create_directories(dir_ / "documents");
  std::vector<std::string> argv = {ATO_SIM_BIN,  "serve", "--listen",     "127.0.0.1",
                                   "--alm-port", "0",     "--ready-file", (dir_ / "ready.json").string()};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<ChildProcess>(argv, dir_ / "sim.log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!std::filesystem::exists(dir_ / "ready.json")) {
    if (!process_->running()) throw std::runtime_error("ato-sim exited before it was ready:\n" + log());
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("ato-sim not ready in 20 s:\n" + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  simdjson::dom::parser parser;
  const std::string ready = read_text(dir_ / "ready.json");
  const auto root = parser.parse(ready).value();
  std::string_view ca;
  if (!root["ca_file"].get_string().get(ca)) ca_file_ = std::string(ca);
  if (root["alm_url"].error() == simdjson::SUCCESS) {
    alm_url_ = json_string(root, "alm_url");
    simdjson::dom::parser key_parser;
    const std::string key = read_text(json_string(root, "service_key_file"));
    const auto key_root = key_parser.parse(key).value();
    client_id_ = json_string(key_root, "uaa", "clientid");
    std::string_view secret;  // an X.509 key (--x509) has none
    if (!key_root["uaa"]["clientsecret"].get_string().get(secret)) client_secret_ = std::string(secret);
  }
  if (root["ato_url"].error() == simdjson::SUCCESS) {
    ato_url_ = json_string(root, "ato_url");
    simdjson::dom::array listed;  // (a range-for over `.value()` of a temporary result would dangle)
    if (root["tenants"].get_array().get(listed)) throw std::runtime_error("the ready file lists no tenants");
    for (auto t : listed)
      tenants_.push_back({json_string(t, "name"), json_string(t, "role"), json_string(t, "feed_url"),
                          json_string(t, "user"), json_string(t, "password")});
    if (tenants_.empty()) throw std::runtime_error("the ready file lists no tenants");
    ato_feed_url_ = tenants_.front().feed_url;
    ato_user_ = tenants_.front().user;
    ato_password_ = tenants_.front().password;
  }
}

const SimTenant& SimProcess::tenant(const std::string& name) const {
  for (const auto& t : tenants_)
    if (t.name == name) return t;
  throw std::runtime_error("the simulator has no tenant " + name);
}

SimProcess::~SimProcess() {
  if (process_ && process_->running()) stop();
}

std::string SimProcess::log() const {
  try {
    return read_text(dir_ / "sim.log");
  } catch (...) {
    return "(no log)";
  }
}

std::chrono::milliseconds SimProcess::stop() {
  const auto start = std::chrono::steady_clock::now();
  process_->kill(SIGTERM);
  const auto result = process_->wait(std::chrono::seconds(10));
  if (result.exit_code != 0) throw std::runtime_error("ato-sim did not exit cleanly:\n" + log());
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

HttpResult SimProcess::call(const HttpCall& c) {
  const int n = ++calls_;
  const auto body_out = dir_ / ("response-" + std::to_string(n));
  const auto headers_out = dir_ / ("headers-" + std::to_string(n));
  std::vector<std::string> argv = {"/usr/bin/curl",
                                   "-sS",
                                   "-X",
                                   c.method,
                                   "-o",
                                   body_out.string(),
                                   "-D",
                                   headers_out.string(),
                                   "-w",
                                   "%{http_code}",
                                   "--max-time",
                                   std::to_string(c.max_time.count())};
  if (!ca_file_.empty()) argv.insert(argv.end(), {"--cacert", ca_file_});
  for (const auto& h : c.headers) argv.insert(argv.end(), {"-H", h});
  // A JSON body says so, as every client of an OData service does (curl would call it a form).
  const bool typed = std::any_of(c.headers.begin(), c.headers.end(), [](const std::string& h) {
    return h.size() >= 13 && strncasecmp(h.c_str(), "Content-Type:", 13) == 0;
  });
  if (!typed && !c.body.empty() && (c.body.front() == '{' || c.body.front() == '['))
    argv.insert(argv.end(), {"-H", "Content-Type: application/json"});
  if (!c.basic_user.empty()) argv.insert(argv.end(), {"-u", c.basic_user});
  if (!c.body.empty()) {
    const auto body_in = dir_ / ("request-" + std::to_string(n));
    write_text(body_in, c.body);
    argv.insert(argv.end(), {"--data-binary", "@" + body_in.string()});
  }
  // A full URL (an @odata.nextLink) is used as is.
  argv.push_back(c.path.rfind("http", 0) == 0 ? c.path : (c.to_ato ? ato_url_ : alm_url_) + c.path);
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_process(argv, {.timeout = c.max_time + std::chrono::seconds(5)});
  HttpResult out;
  out.elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  out.curl_exit = r.exit_code;
  out.status = std::atoi(r.out.c_str());
  if (std::filesystem::exists(body_out)) out.body = read_text(body_out);
  if (std::filesystem::exists(headers_out)) {
    const std::string text = read_text(headers_out);
    std::size_t pos = 0;
    while (pos < text.size()) {
      const auto eol = text.find("\r\n", pos);
      const std::string line = text.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
      pos = eol == std::string::npos ? text.size() : eol + 2;
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      out.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  if (!c.schema.empty() && out.curl_exit == 0)
    write_text(dir_ / "documents" / (c.schema + "." + std::to_string(++kept_) + ".json"), out.body);
  return out;
}

std::string SimProcess::token() {
  const auto r = call({.method = "POST",
                       .path = "/oauth/token",
                       .body = "grant_type=client_credentials",
                       .basic_user = client_id_ + ":" + client_secret_,
                       .schema = "token-response"});
  simdjson::dom::parser parser;
  std::string_view token;
  if (r.status != 200 || parser.parse(r.body)["access_token"].get_string().get(token))
    throw std::runtime_error("no token: HTTP " + std::to_string(r.status) + " " + r.body);
  return std::string(token);
}

HttpResult SimProcess::push(const std::string& service_path, const std::string& package_json,
                            const std::string& token) {
  return call({.method = "POST",
               .path = service_path,
               .body = package_json,
               .headers = {"Authorization: Bearer " + token, "Content-Type: application/json"}});
}

std::string SimProcess::feed_path(const std::string& tenant) const {
  const auto& url = tenant.empty() ? ato_feed_url_ : this->tenant(tenant).feed_url;
  return url.substr(ato_url_.size());
}

std::string SimProcess::credentials_of(const std::string& name) const {
  const auto& t = tenant(name);
  return t.user + ":" + t.password;
}

std::vector<std::string> SimProcess::feed_pages(const std::string& query, const std::string& tenant) {
  std::vector<std::string> pages;
  std::string next = feed_path(tenant) + query;
  const std::string credentials = tenant.empty() ? ato_credentials() : credentials_of(tenant);
  for (int i = 0; i < 10'000 && !next.empty(); ++i) {
    const auto r = call({.path = next, .basic_user = credentials, .schema = "feed-page", .to_ato = true});
    if (r.status != 200)
      throw std::runtime_error("feed page: HTTP " + std::to_string(r.status) + " " + r.body);
    pages.push_back(r.body);
    simdjson::dom::parser p;
    std::string_view link;
    next = p.parse(r.body)["@odata.nextLink"].get_string().get(link) ? std::string() : std::string(link);
  }
  return pages;
}

std::string SimProcess::validate_kept_documents() {
  const auto r =
      run_process({"/usr/bin/python3", std::string(ATO_SOURCE_DIR) + "/tests/contract/validate_examples.py",
                   ATO_SOURCE_DIR, "--documents", (dir_ / "documents").string()});
  return r.exit_code == 0 ? std::string() : r.out + r.err;
}

}  // namespace ato::test
