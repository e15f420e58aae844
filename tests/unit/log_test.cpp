#include <doctest/doctest.h>

#include "core/log.hpp"
#include "core/secret.hpp"

using namespace ato;

TEST_CASE("registered secrets are masked wherever they appear") {
  const Secret secret("Registered-Secret-Value-77");
  CHECK(redact("token request with Registered-Secret-Value-77 failed") == "token request with **** failed");
  CHECK(redact("xRegistered-Secret-Value-77Registered-Secret-Value-77") == "x********");
  CHECK(secret.redacted() == "****");
  CHECK(Secret().redacted().empty());
}

TEST_CASE("credential-shaped text is masked even when never registered") {
  CHECK(redact("Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln") ==
        "Authorization: Bearer ****");
  CHECK(redact("authorization: basic dXNlcjpwYXNz") == "authorization: basic ****");
  CHECK(redact(R"({"access_token":"abc.def.ghi","expires_in":43199})") ==
        R"({"access_token":"****","expires_in":43199})");
  CHECK(redact("grant_type=client_credentials&client_secret=abc123&x=1") ==
        "grant_type=client_credentials&client_secret=****&x=1");
  CHECK(redact(R"("clientsecret": "k3y")") == R"("clientsecret": "****")");
  CHECK(redact(R"(\"password\":\"pw\")") == R"(\"password\":\"****\")");
}

TEST_CASE("ordinary prose is left readable") {
  CHECK(redact("HTTP Basic authentication failed") == "HTTP Basic authentication failed");
  CHECK(redact("expected a bearer token") == "expected a bearer token");
  CHECK(redact("password_env names the variable") == "password_env names the variable");
  CHECK(redact("key.json: uaa.clientsecret: missing (expected string)") ==
        "key.json: uaa.clientsecret: missing (expected string)");
  CHECK(redact("") == "");
}
