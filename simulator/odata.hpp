// The OData v4 error answer both simulator halves give (schema/json/odata-error.schema.json).
#pragma once

#include <optional>
#include <string>

#include "core/net/http.hpp"
#include "core/wire.hpp"

namespace ato::sim {

inline net::HttpResponse odata_error(int status, std::string code, std::string message,
                                     std::optional<std::string> target = std::nullopt) {
  return net::HttpResponse::json(
      status, to_json(ODataError{std::move(code), std::move(message), std::move(target), {}}));
}

}  // namespace ato::sim
