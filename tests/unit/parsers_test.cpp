// What the parsers accept from files and peers, and that what we write they read back: a byte order
// mark, a key given twice, NaN where a number is expected, a file far too large, empty optionals.
#include <doctest/doctest.h>

#include <fstream>

#include "core/files.hpp"
#include "core/json_reader.hpp"
#include "core/service_key.hpp"
#include "core/wire.hpp"
#include "simulator/faults.hpp"
#include "tests/support/process.hpp"

using namespace ato;

namespace {

constexpr const char* kKey =
    R"({"uaa":{"clientid":"sb-calm!b1|sapcloudalm!b2","clientsecret":"first-Secret-123","url":"https://t.authentication.eu10.hana.ondemand.com"},"endpoints":{"Api":"https://t.eu10.alm.cloud.sap/api"}})";

}  // namespace

TEST_CASE("a service key saved with a UTF-8 byte order mark is read like one without") {
  const auto key = parse_service_key(std::string("\xEF\xBB\xBF") + kKey);
  CHECK(key.client_id == "sb-calm!b1|sapcloudalm!b2");
}

TEST_CASE("a service key with a field given twice is refused, never read with the first value") {
  std::string twice = kKey;
  twice.insert(twice.find("\"url\""), R"("clientsecret":"second-Secret-456",)");
  CHECK_THROWS_WITH_AS(parse_service_key(twice), doctest::Contains("uaa.clientsecret: given more than once"),
                       JsonError);
  std::string api_twice = kKey;
  api_twice.insert(api_twice.find("\"Api\""), R"("Api":"https://other.example.com/api",)");
  CHECK_THROWS_WITH_AS(parse_service_key(api_twice), doctest::Contains("endpoints.Api: given more than once"),
                       JsonError);
}

TEST_CASE("what we write, we read back: service keys and token responses with optional fields unset") {
  ServiceKey key = parse_service_key(kKey);  // no identityzone, tenantid, xsappname
  const ServiceKey again = parse_service_key(to_json(key));
  CHECK(again.api_url == key.api_url);
  CHECK(again.client_secret.reveal() == key.client_secret.reveal());
  CHECK(again.identity_zone.empty());

  TokenResponse token;
  token.access_token = "abc";
  token.token_type = "bearer";
  token.expires_in = 60;  // scope and jti unset
  const TokenResponse read = parse_token_response(to_json(token));
  CHECK(read.access_token == "abc");
  CHECK(read.scope.empty());
}

TEST_CASE("a token response must carry a usable token") {
  CHECK_THROWS_WITH_AS(parse_token_response(R"({"access_token":"t","token_type":"bearer","expires_in":-5})"),
                       doctest::Contains("expires_in"), JsonError);
  CHECK_THROWS_WITH_AS(parse_token_response(R"({"access_token":"t","token_type":"bearer","expires_in":0})"),
                       doctest::Contains("expires_in"), JsonError);
  CHECK_THROWS_WITH_AS(parse_token_response(R"({"access_token":"t","token_type":"bearer","expires_in":"1"})"),
                       doctest::Contains("expires_in"), JsonError);
  CHECK_THROWS_AS(parse_token_response("<html>login</html>"), JsonError);
}

TEST_CASE("a fault probability must be a number from 0 to 1; nan is not") {
  for (const char* bad : {"push.*:status=503@nan", "push.*:status=503@NaN%", "push.*:status=503@inf",
                          "push.*:status=503@-0.1", "push.*:status=503@1.5"})
    CHECK_THROWS_AS_MESSAGE(sim::parse_fault_spec(bad), sim::FaultSpecError, bad);
  CHECK(sim::parse_fault_spec("push.*:status=503@50%").front().probability == doctest::Approx(0.5));
}

TEST_CASE("small files (configuration, keys, certificates) are read up to a limit that is named") {
  test::TempDir dir;
  const auto big = dir / "big.json";
  {
    std::ofstream out(big);
    out << std::string(kMaxSmallFileBytes + 1, ' ');
  }
  CHECK_THROWS_WITH_AS(read_text_file(big), doctest::Contains("larger than 1048576 bytes"), FileError);
  test::write_text(dir / "ok.json", "{}");
  CHECK(read_text_file(dir / "ok.json") == "{}");
  CHECK(read_text_file(big, kMaxSmallFileBytes + 1).size() == kMaxSmallFileBytes + 1);
}

// Cloud ALM's X.509 keys (credential-type x509): certificate, key and certurl instead of a secret.
TEST_CASE("an X.509 service key is read as one, and one missing its certificate is refused naming it") {
  const std::string x509 = R"({"uaa":{"clientid":"sb-calm!b1|sapcloudalm!b2","credential-type":"x509",
    "certificate":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    "key":"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
    "certurl":"https://mytenant.authentication.cert.eu10.hana.ondemand.com",
    "url":"https://mytenant.authentication.eu10.hana.ondemand.com"},
    "endpoints":{"Api":"https://mytenant.eu10.alm.cloud.sap/api"}})";
  const auto key = parse_service_key(x509);
  CHECK(key.credential_type == CredentialType::X509);
  CHECK(key.client_secret.empty());
  CHECK(key.cert_url == "https://mytenant.authentication.cert.eu10.hana.ondemand.com");
  CHECK(key.private_key.reveal().find("PRIVATE KEY") != std::string::npos);
  // What we write, we read back (the simulator writes such keys).
  const auto again = parse_service_key(to_json(key));
  CHECK(again.credential_type == CredentialType::X509);
  CHECK(again.certificate == key.certificate);
  CHECK(again.private_key.reveal() == key.private_key.reveal());

  std::string no_certificate = x509;
  no_certificate.replace(no_certificate.find("\"certificate\""), 13, "\"certificat\"");
  CHECK_THROWS_WITH_AS(parse_service_key(no_certificate), doctest::Contains("uaa.certificate: missing"),
                       JsonError);
  std::string not_pem = x509;
  not_pem.replace(not_pem.find("-----BEGIN CERTIFICATE-----"), 27, "MIIB");
  CHECK_THROWS_WITH_AS(parse_service_key(not_pem), doctest::Contains("uaa.certificate: expected a PEM"),
                       JsonError);
  std::string unknown = x509;
  unknown.replace(unknown.find("\"x509\""), 6, "\"x510\"");
  CHECK_THROWS_WITH_AS(parse_service_key(unknown),
                       doctest::Contains("uaa.credential-type: expected binding-secret"), JsonError);
}
