// A secret value (client secret, password, bearer token) that cannot be printed by accident:
// it has no stream or fmt output of its own, and every value is registered with the log redactor.
#pragma once

#include <string>
#include <string_view>

namespace ato {

inline constexpr std::string_view kRedacted = "****";

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value);

  // The only way to the raw value; call sites are easy to audit with grep.
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  // What to print instead of the value.
  std::string_view redacted() const { return value_.empty() ? std::string_view{} : kRedacted; }

  friend bool operator==(const Secret&, const Secret&) = default;

 private:
  std::string value_;
};

}  // namespace ato
