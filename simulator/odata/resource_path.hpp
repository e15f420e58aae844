// A resource path below a service root, as OData V4 clients write it: `Set`, `Set/$count`,
// `Set(<key>)`, `Set(name=<key>)`, composite `Set(a=1,b='x')`, key-as-segment `Set/<key>`, then a
// navigation property (`/transportReferences`, `/.../$count`) or a bound action (`/deploy` or
// namespace-qualified). Key values are typed by the key properties; every mismatch is said.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "simulator/odata/model.hpp"

namespace ato::sim {

struct ODataResource {
  const ODataEntitySet* set = nullptr;
  std::optional<std::vector<ODataValue>> key;  // in the order of set->key
  const ODataNavigation* navigation = nullptr;
  const ODataAction* action = nullptr;
  bool count = false;  // a /$count segment ends the path
  std::string path;    // as requested (for next links)
};

struct ODataPathError {
  int status = 404;
  std::string message;
};

// `path` is what follows the service root's '/', still percent-encoded.
std::variant<ODataResource, ODataPathError> parse_resource_path(std::string_view path,
                                                                const ODataModel& model);

}  // namespace ato::sim
