// The command lines as a user runs them: real binaries, a temporary directory, nothing else.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "core/service_key.hpp"
#include "tests/support/process.hpp"

using namespace ato::test;

namespace {

const std::string kBridge = ATO_BRIDGE_BIN;
const std::string kSim = ATO_SIM_BIN;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct Workspace {
  TempDir dir;
  std::string key = (dir / "key.json").string();
  std::string config = (dir / "bridge.json").string();
  ProcessOptions with_password;

  Workspace() { with_password.env["ATO_PASSWORD"] = "Feed-Password-For-Tests-1"; }

  std::string make_key() {
    const auto r = run_process({kSim, "sample-key", "--out", key});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    return ato::parse_service_key(read_text(key)).client_secret.reveal();
  }

  ProcessResult init(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {kBridge,
                                     "config",
                                     "init",
                                     "--service-key",
                                     key,
                                     "--ato-url",
                                     "https://s4d.example.com/sap/opu/odata4/ato/feed/v1/Events",
                                     "--ato-user",
                                     "CALM_COMM",
                                     "--ato-password-env",
                                     "ATO_PASSWORD"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_process(argv);
  }

  ProcessResult check(const std::string& file, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {kBridge, "config", "check", "--config", file};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_process(argv, with_password);
  }
};

}  // namespace

TEST_CASE("--help tells what each command does") {
  auto r = run_process({kBridge, "--help"});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "SAP_COM_0690"));
  CHECK(contains(r.out, "config"));
  r = run_process({kBridge, "config", "check", "--help"});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "--config"));
  CHECK(contains(r.out, "--json"));
  CHECK(contains(r.out, "/oauth/token"));
  r = run_process({kBridge, "config", "init", "--help"});
  CHECK(r.exit_code == 0);
  for (const char* flag : {"--service-key", "--ato-url", "--ato-user", "--ato-password-env", "--ca-file",
                           "--run-every", "--out"})
    CHECK_MESSAGE(contains(r.out, flag), flag);
  r = run_process({kSim, "--help"});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "sample-key"));
  r = run_process({kBridge, "--version"});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "0."));
}

TEST_CASE("a wrong command line exits 2 and says what is wrong") {
  auto r = run_process({kBridge, "config", "check"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "--config"));
  r = run_process({kBridge, "frobnicate"});
  CHECK(r.exit_code == 2);
  r = run_process({kBridge});
  CHECK(r.exit_code == 2);
}

TEST_CASE_FIXTURE(Workspace,
                  "sample-key writes a private key in SAP's shape and never overwrites by accident") {
  const std::string secret = make_key();
  struct stat st {};
  REQUIRE(stat(key.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(secret.size() >= 32);
  const auto again = run_process({kSim, "sample-key", "--out", key});
  CHECK(again.exit_code == 1);
  CHECK(contains(again.err, "already exists"));
  CHECK(run_process({kSim, "sample-key", "--out", key, "--force"}).exit_code == 0);
}

TEST_CASE_FIXTURE(Workspace,
                  "config init then config check: the derived communication system, secrets hidden") {
  const std::string secret = make_key();
  auto r = init({"--out", config, "--run-every", "30s"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(contains(r.err, "wrote " + config));
  CHECK_FALSE(contains(r.out + r.err, secret));

  r = check(config);
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(contains(r.out, "https://my-tenant.eu10.alm.cloud.sap   (service key endpoints.Api without /api)"));
  CHECK(contains(r.out, "port            443"));
  CHECK(contains(r.out, "https://my-tenant.authentication.eu10.hana.ondemand.com/oauth/token"));
  CHECK(contains(r.out, "client secret   ****"));
  CHECK(contains(r.out, "30s"));
  CHECK_FALSE(contains(r.out + r.err, secret));
  CHECK_FALSE(contains(r.out + r.err, "Feed-Password-For-Tests-1"));

  r = check(config, {"--json"});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "\"host\": \"https://my-tenant.eu10.alm.cloud.sap\""));
  CHECK(contains(r.out, "\"client_secret\": \"****\""));
  CHECK_FALSE(contains(r.out, secret));

  r = init({"--out", config});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "already exists"));
}

TEST_CASE_FIXTURE(Workspace, "config check refuses broken input with a message that names the problem") {
  make_key();
  REQUIRE(init({"--out", config}).exit_code == 0);
  const std::string good = read_text(config);
  auto broken = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const auto at = text.find(from);
    REQUIRE_MESSAGE(at != std::string::npos, from);
    text.replace(at, from.size(), to);
    write_text(config, text);
    return check(config);
  };

  auto r = broken("\"run_every\": \"5m\"", "\"run_every\": \"5 parsecs\"");
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err,
                 "services.export.run_every: expected a duration like 5m, 30s or 1h (got \"5 parsecs\")"));

  r = broken("\"package_size\": 100", "\"package_size\": -1");
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "services.export.package_size: must be between 1 and 10000"));

  r = broken("{", "{{");
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, config + ": not valid JSON"));

  r = check((dir / "absent.json").string());
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "cannot read"));

  write_text(config, good);
  std::string key_text = read_text(key);
  const auto at = key_text.find("\"clientsecret\"");
  key_text.replace(at, 14, "\"client_secret_gone\"");
  write_text(key, key_text);
  r = check(config);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "uaa.clientsecret: missing"));
  CHECK(contains(r.err, key));

  r = run_process({kBridge, "config", "check", "--config", config});  // no ATO_PASSWORD in the environment
  CHECK(r.exit_code == 1);
}

// The ready file of `ato-sim serve --only alm` has no tenants: said so, with what to do instead.
TEST_CASE_FIXTURE(Workspace, "config init --from-sim on a Cloud-ALM-only ready file says what it is") {
  make_key();
  const auto ready = (dir / "ready.json").string();
  write_text(ready, R"({"alm_url":"https://127.0.0.1:1","token_url":"https://127.0.0.1:1/oauth/token"})");
  const auto r = run_process({kBridge, "config", "init", "--service-key", key, "--from-sim", ready});
  CHECK(r.exit_code != 0);
  CHECK(contains(r.err, "has no ATO tenants: it is the ready file of a simulator started with --only alm"));
  CHECK(contains(r.err, "--tenant NAME,FEED_URL,USER,PASSWORD_ENV"));
  CHECK_FALSE(contains(r.err, "tenants: missing"));
  // --admin-listen: written into the file, checked like admin.listen.
  CHECK(init({"--admin-listen", "127.0.0.1:0", "--out", config}).exit_code == 0);
  CHECK(contains(read_text(config), R"("listen": "127.0.0.1:0")"));
  CHECK(init({"--admin-listen", "nonsense", "--out", config, "--force"}).exit_code != 0);
}

// A port someone else holds: run says which setting chooses another, and how to take any free one.
TEST_CASE_FIXTURE(Workspace, "run on an admin port already taken says how to choose another") {
  make_key();
  REQUIRE(init({"--admin-listen", "127.0.0.1:0", "--out", config}).exit_code == 0);
  const auto first =
      run_process({kBridge, "config", "check", "--config", config}, {.env = {{"ATO_PASSWORD", "x"}}});
  REQUIRE_MESSAGE(first.exit_code == 0, first.err);
  // Take a port, then point the bridge at it.
  const int held = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(held, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(held, 1) == 0);
  socklen_t length = sizeof address;
  ::getsockname(held, reinterpret_cast<sockaddr*>(&address), &length);
  const std::string taken = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  CHECK(init({"--admin-listen", taken, "--out", config, "--force"}).exit_code == 0);
  const auto r = run_process({kBridge, "run", "--config", config},
                             {.env = {{"ATO_PASSWORD", "x"}}, .timeout = std::chrono::seconds(20)});
  ::close(held);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "(admin.listen " + taken + "): another bridge or program holds it"));
  CHECK(contains(r.err, "\"127.0.0.1:0\" for any free one"));
}

TEST_CASE_FIXTURE(Workspace, "a key readable by others draws a warning") {
  make_key();
  REQUIRE(init({"--out", config}).exit_code == 0);
  chmod(key.c_str(), 0644);
  const auto r = check(config);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "readable by other users; chmod 600 it"));
}

// A typo is answered with the word meant; a command left without --config finds the configuration
// where an installed bridge keeps it.
TEST_CASE("an unknown command or option is named with the closest one; version says what was built") {
  auto r = run_process({kBridge, "stauts"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "unknown command 'stauts'; did you mean 'status'?"));
  r = run_process({kBridge, "config", "chekc"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "unknown command 'chekc'; did you mean 'check'?"));
  r = run_process({kBridge, "status", "--confg", "x.json"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "unknown option '--confg' for ato-bridge status; did you mean '--config'?"));
  r = run_process(
      {kBridge, "dead-letters", "list", "--tenat", "S4T~100"});  // a nested command: its whole path
  CHECK(r.exit_code == 2);
  CHECK(
      contains(r.err, "unknown option '--tenat' for ato-bridge dead-letters list; did you mean '--tenant'?"));
  r = run_process({kBridge, "frobnicate"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "unknown command 'frobnicate'"));
  CHECK(contains(r.err, "status, tick"));  // the commands it has
  r = run_process({kBridge, "version"});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "ato-bridge "));
  CHECK(contains(r.out, "OpenSSL"));
  CHECK(contains(r.out, "outbox schema version"));
}

TEST_CASE("--config defaults to $ATO_BRIDGE_CONFIG; none anywhere is a clear error") {
  Workspace w;
  w.make_key();
  REQUIRE(w.init({"--out", w.config}).exit_code == 0);
  ProcessOptions env = w.with_password;
  env.env["ATO_BRIDGE_CONFIG"] = w.config;
  auto r = run_process({kBridge, "config", "check"}, env);
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(contains(r.out, w.config));
  ProcessOptions none = w.with_password;
  none.unset_env.push_back("ATO_BRIDGE_CONFIG");
  r = run_process({kBridge, "status"}, none);
  if (!std::filesystem::exists("/etc/ato-bridge/bridge.json")) {
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err,
                   "no configuration: give --config FILE, set ATO_BRIDGE_CONFIG, or put one at "
                   "/etc/ato-bridge/bridge.json"));
  }
}

// config init spells every optional field out as null: filling one in next to a null of another
// source is the user's way of setting it, not two sources.
TEST_CASE("null in a generated configuration means not set") {
  Workspace w;
  w.make_key();
  REQUIRE(w.init({"--out", w.config}).exit_code == 0);
  std::string text = read_text(w.config);
  const auto at = text.find("\"client_secret_env\": null");
  REQUIRE(at != std::string::npos);
  text.insert(at, "\"client_secret\": \"Another-Secret-Of-Ours-42\", ");
  write_text(w.config, text);
  auto r = w.check(w.config);
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(contains(r.out, "the configuration file"));  // where the secret now comes from
  CHECK_FALSE(contains(r.out, "Another-Secret-Of-Ours-42"));
}

// What bash's completion of `ato-bridge completion bash` offers for each line of words (one line of
// offers per line of words).
static std::string bash_completes(const TempDir& dir, const std::string& word_lines) {
  const auto script = run_process({kBridge, "completion", "bash"});
  REQUIRE(script.exit_code == 0);
  write_text(dir / "completion.sh", script.out);
  std::string calls;
  for (std::size_t at = 0; at < word_lines.size();) {
    const auto eol = word_lines.find('\n', at);
    calls += "complete_words " + word_lines.substr(at, eol - at) + "\n";
    at = eol == std::string::npos ? word_lines.size() : eol + 1;
  }
  const auto completed = run_process({"/bin/bash", "-c",
                                      "source \"$1\"\n"
                                      "complete_words() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); "
                                      "_ato_bridge; echo \"${COMPREPLY[*]}\"; }\n" +
                                          calls,
                                      "bash", (dir / "completion.sh").string()});
  REQUIRE_MESSAGE(completed.exit_code == 0, completed.err);
  return completed.out;
}

// Shell completion is made from the command line itself, so it offers exactly what it takes.
TEST_CASE("bash completion completes commands, subcommands and options") {
  TempDir dir;
  const auto completed = bash_completes(dir,
                                        "ato-bridge sta\n"
                                        "ato-bridge dead-letters re\n"
                                        "ato-bridge cursor set --ten");
  CHECK(completed == "status\nrequeue\n--tenant\n");
}

// The values a command takes complete too; zsh gets the same completion; `help` and -V work as in
// other tools.
TEST_CASE("service names complete after tick; completion zsh; help COMMAND and -V") {
  TempDir dir;
  const auto completed = bash_completes(dir,
                                        "ato-bridge tick st\n"
                                        "ato-bridge tick --tenant S4T~100 im\n"
                                        "ato-bridge completion z");
  CHECK(completed == "status_change\nimport\nzsh\n");
  const auto zsh_script = run_process({kBridge, "completion", "zsh"});
  REQUIRE(zsh_script.exit_code == 0);
  CHECK(contains(zsh_script.out, "bashcompinit"));
  if (std::filesystem::exists("/usr/bin/zsh")) {  // scripts/setup --with-test-tools installs it
    write_text(dir / "completion.zsh", zsh_script.out);
    // As zsh's bashcompinit calls it (in sh emulation); zsh's own matching then filters by the prefix.
    const auto sourced = run_process({"/usr/bin/zsh", "-f", "-c",
                                      "source \"$1\" && emulate sh -c 'COMP_WORDS=(ato-bridge tick st); "
                                      "COMP_CWORD=2; _ato_bridge; echo \"${COMPREPLY[*]}\"'",
                                      "zsh", (dir / "completion.zsh").string()},
                                     {.env = {{"HOME", dir.path().string()}}});
    CHECK_MESSAGE(sourced.exit_code == 0, sourced.err);
    CHECK(contains(sourced.out, "export import status_change retry"));
    CHECK_FALSE(contains(sourced.out, "dead-letters"));
  }
  const auto help = run_process({kBridge, "help", "tick"});
  CHECK(help.exit_code == 0);
  CHECK(contains(help.out, "export, import, status_change or retry"));
  CHECK(run_process({kBridge, "help"}).exit_code == 0);
  const auto v = run_process({kBridge, "-V"});
  CHECK(v.exit_code == 0);
  CHECK(v.out.starts_with("ato-bridge "));
}

TEST_CASE("check --json says the same as the text, as JSON a monitor can read") {
  Workspace w;
  w.make_key();
  REQUIRE(w.init({"--out", w.config}).exit_code == 0);
  ProcessOptions without_password;  // ATO_PASSWORD unset: the configuration check fails first
  without_password.unset_env.push_back("ATO_PASSWORD");
  const auto r = run_process({kBridge, "check", "--json", "--config", w.config}, without_password);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, R"({"ok":false,"checks":[{"status":"fail","check":"configuration: )"));
  CHECK(contains(r.out, "environment variable ATO_PASSWORD is not set"));
}
