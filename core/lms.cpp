#include "core/lms.hpp"

#include <functional>

#include <algorithm>

#include "core/json_reader.hpp"

namespace ato {

namespace {

simdjson::dom::element parse(simdjson::dom::parser& parser, std::string_view json) {
  return parse_json(parser, json);
}

SystemRef read_system(const JsonObjectReader& o, std::string_view key) {
  auto system = parse_system_ref(o.string(key));
  if (!system) throw JsonError(o.path_of(key), "expected SID~client, like S4D~080");
  return *system;
}

std::optional<std::string> read_suffix(const JsonObjectReader& o) {
  auto suffix = o.nullable_string("suffix");
  if (!suffix) return std::nullopt;
  if (!is_valid_lms_suffix(*suffix))
    throw JsonError(o.path_of("suffix"), "expected 1 to 20 letters or digits");
  return std::string(*suffix);
}

void write_optional(JsonWriter& json, std::string_view key, const std::optional<std::string>& value) {
  json.key(key);
  value ? json.value(*value) : json.null();
}

}  // namespace

bool is_valid_lms_suffix(std::string_view suffix) {
  return !suffix.empty() && suffix.size() <= 20 && std::all_of(suffix.begin(), suffix.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c));
  });
}

std::string lms_service_id(const SystemRef& system, const std::optional<std::string>& suffix) {
  return "ATO_" + system.sid + "_" + system.client + (suffix ? "_" + *suffix : "");
}

LmsRequest parse_lms_request(std::string_view json, bool role_required) {
  simdjson::dom::parser parser;
  const JsonObjectReader o(parse(parser, json), "");
  o.only_keys({"system", "role", "suffix"});
  LmsRequest request;
  request.system = read_system(o, "system");
  if (role_required || o.has("role")) request.role = read_enum(o, "role", kSystemRoleNames);
  request.suffix = read_suffix(o);
  return request;
}

std::string to_json(const LmsRequest& request) {
  return json_object_text([&](JsonWriter& json) {
    json.field("system", request.system.key());
    if (request.role) json.field("role", name_of(kSystemRoleNames, *request.role));
    if (request.suffix) json.field("suffix", *request.suffix);
  });
}

LmsRegistration parse_lms_registration(std::string_view json) {
  simdjson::dom::parser parser;
  const JsonObjectReader o(parse(parser, json), "");
  o.only_keys({"serviceId", "system", "role", "suffix", "registered", "changed", "message"});
  LmsRegistration r;
  r.service_id = o.string("serviceId");
  r.system = read_system(o, "system");
  if (auto role = o.nullable_string("role")) {
    auto value = value_of(kSystemRoleNames, *role);
    if (!value) throw JsonError(o.path_of("role"), "expected " + one_of(kSystemRoleNames));
    r.role = *value;
  }
  r.suffix = read_suffix(o);
  if (r.service_id != lms_service_id(r.system, r.suffix))
    throw JsonError(o.path_of("serviceId"), "expected ATO_<SID>_<client>[_<suffix>] of this system");
  r.registered = o.boolean("registered");
  r.changed = o.boolean("changed");
  r.message = o.string("message");
  return r;
}

std::string to_json(const LmsRegistration& r) {
  return json_object_text([&](JsonWriter& json) {
    json.field("serviceId", r.service_id).field("system", r.system.key()).key("role");
    r.role ? json.value(name_of(kSystemRoleNames, *r.role)) : json.null();
    write_optional(json, "suffix", r.suffix);
    json.field("registered", r.registered).field("changed", r.changed).field("message", r.message);
  });
}

// An OData collection ({"@odata.context", "value": [...]}), each entry read by `read`.
template <typename T>
std::vector<T> parse_collection(std::string_view json,
                                const std::function<T(const JsonObjectReader&)>& read) {
  simdjson::dom::parser parser;
  const JsonObjectReader o(parse(parser, json), "");
  o.only_keys({"@odata.context", "value"});
  std::vector<T> entries;
  o.array("value").for_each_object(
      [&](const JsonObjectReader& s, std::size_t) { entries.push_back(read(s)); });
  return entries;
}

std::vector<LmsSystem> parse_lms_systems(std::string_view json) {
  return parse_collection<LmsSystem>(json, [](const JsonObjectReader& s) {
    s.only_keys({"serviceId", "system", "role", "suffix", "registeredAt"});
    LmsSystem system;
    system.service_id = s.string("serviceId");
    system.system = read_system(s, "system");
    system.role = read_enum(s, "role", kSystemRoleNames);
    system.suffix = read_suffix(s);
    system.registered_at = s.timestamp("registeredAt");
    return system;
  });
}

std::string lms_systems_json(const std::vector<LmsSystem>& systems) {
  std::string out;
  JsonWriter json(out);
  json.begin_object().field("@odata.context", "$metadata#Systems").key("value").begin_array();
  for (const auto& s : systems) {
    json.begin_object().field("serviceId", s.service_id).field("system", s.system.key());
    json.field("role", name_of(kSystemRoleNames, s.role));
    write_optional(json, "suffix", s.suffix);
    json.field("registeredAt", format_iso8601_utc(s.registered_at)).end_object();
  }
  json.end_array().end_object();
  return out;
}

std::vector<AtoSystem> parse_ato_systems(std::string_view json) {
  return parse_collection<AtoSystem>(json, [](const JsonObjectReader& s) {
    s.only_keys({"system", "role", "description"});
    return AtoSystem{read_system(s, "system"), read_enum(s, "role", kSystemRoleNames),
                     std::string(s.string("description"))};
  });
}

std::string ato_systems_json(const std::vector<AtoSystem>& systems) {
  std::string out;
  JsonWriter json(out);
  json.begin_object().field("@odata.context", "$metadata#Systems").key("value").begin_array();
  for (const auto& s : systems)
    json.begin_object()
        .field("system", s.system.key())
        .field("role", name_of(kSystemRoleNames, s.role))
        .field("description", s.description)
        .end_object();
  json.end_array().end_object();
  return out;
}

}  // namespace ato
