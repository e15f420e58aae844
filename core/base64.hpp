// Base64 (RFC 4648) over OpenSSL's encoder: standard for HTTP Basic credentials, URL-safe without
// padding for JWTs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ato {

std::string base64_encode(std::string_view data);
std::optional<std::string> base64_decode(std::string_view text);  // nullopt when not base64
std::string base64url_encode(std::string_view data);              // no padding
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace ato
