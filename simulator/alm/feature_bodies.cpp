#include "simulator/alm/feature_bodies.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>

#include "core/json_reader.hpp"

namespace ato::sim {
namespace {

constexpr std::string_view kFeatureFields[] = {"title",        "description", "projectId", "priorityCode",
                                               "statusCode",   "releaseId",   "scopeId",   "responsibleId",
                                               "workstreamId", "type",        "tags"};

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool known_status(std::string_view code) {
  return std::any_of(std::begin(kFeatureStatuses), std::end(kFeatureStatuses),
                     [&](const FeatureStatusInfo& s) { return code == s.code; });
}

// A priority as clients send it: 20 or "20"; one of FeaturePriorities.
std::optional<std::int64_t> read_priority(const JsonObjectReader& o) {
  const auto element = o.raw()["priorityCode"];
  if (element.error() || element.is_null()) return std::nullopt;
  std::int64_t code = -1;
  if (element.is_string()) {
    const std::string_view text(element.get_string().value());
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
    if (ec != std::errc{} || end != text.data() + text.size()) code = -1;
  } else {
    code = o.integer("priorityCode", 0, 1000);
  }
  if (std::none_of(std::begin(kFeaturePriorities), std::end(kFeaturePriorities),
                   [&](const FeaturePriorityInfo& p) { return p.code == code; }))
    throw JsonError(o.path_of("priorityCode"),
                    "unknown priorityCode (see FeaturePriorities: 10, 20, 30, 40)");
  return code;
}

// A GUID as clients write it (any case), kept lowercase as the API answers it.
std::string read_guid(const JsonObjectReader& o, std::string_view key) {
  auto value = lowercase(o.string(key));
  const bool guid = value.size() == 36 && std::all_of(value.begin(), value.end(), [](char c) {
                      return std::isxdigit(static_cast<unsigned char>(c)) || c == '-';
                    });
  if (!guid) throw JsonError(o.path_of(key), "expected a GUID");
  return value;
}

// `body` as one JSON object of only `keys`, handed to `read`.
template <typename Read>
auto read_object(std::string_view body, std::initializer_list<std::string_view> keys, Read&& read) {
  simdjson::dom::parser parser;
  const JsonObjectReader o(parse_json(parser, body), "");
  o.only_keys(keys);
  return read(o);
}

}  // namespace

void read_feature_body(std::string_view body, Feature& f, bool creating) {
  simdjson::dom::parser parser;
  const JsonObjectReader o(parse_json(parser, body), "");
  o.only_keys(std::span<const std::string_view>(kFeatureFields));
  if (creating || o.has("title")) {
    f.title = o.string("title");
    if (f.title.size() > 255) throw JsonError(o.path_of("title"), "at most 255 characters");
  }
  const auto text = [&](std::string_view name, std::string& into) {
    if (o.has(name)) into = std::string(o.nullable_string(name).value_or(""));
  };
  text("description", f.description);
  text("projectId", f.placement.project_id);
  text("releaseId", f.placement.release_id);
  text("scopeId", f.placement.scope_id);
  text("responsibleId", f.placement.responsible_id);
  text("workstreamId", f.placement.workstream_id);
  text("type", f.placement.type);
  if (auto priority = read_priority(o)) f.priority_code = *priority;
  if (auto status = o.nullable_string("statusCode")) {
    if (!known_status(*status))
      throw JsonError(o.path_of("statusCode"), "unknown statusCode (see FeatureStatus)");
    f.status_code = std::string(*status);
  }
  if (auto tags = o.optional_array("tags")) {
    f.placement.tags.clear();
    tags->for_each_string([&](std::string_view tag, std::size_t) { f.placement.tags.emplace_back(tag); });
  }
}

TransportAssignment read_assignment_body(std::string_view body) {
  return read_object(body, {"featureUuid", "transportRequest", "transportUuid"},
                     [](const JsonObjectReader& o) {
                       TransportAssignment a;
                       a.feature_uuid = read_guid(o, "featureUuid");
                       if (o.has("transportRequest")) a.transport_request = o.string("transportRequest");
                       if (o.has("transportUuid")) a.transport_uuid = read_guid(o, "transportUuid");
                       if (a.transport_request.empty() == a.transport_uuid.empty())
                         throw JsonError("transportRequest",
                                         "name the transport by one of transportRequest and transportUuid");
                       return a;
                     });
}

UrlReference read_url_reference_body(std::string_view body) {
  return read_object(body, {"parentUuid", "name", "url"}, [](const JsonObjectReader& o) {
    UrlReference r;
    r.parent_uuid = read_guid(o, "parentUuid");
    r.name = o.string("name");
    r.url = o.string("url");
    if (!r.url.starts_with("https://") && !r.url.starts_with("http://"))
      throw JsonError(o.path_of("url"), "expected an http(s) URL");
    return r;
  });
}

ExternalReference read_external_reference_body(std::string_view body) {
  return read_object(body, {"id", "parentUuid", "name", "url"}, [](const JsonObjectReader& o) {
    return ExternalReference{std::string(o.string("id")), read_guid(o, "parentUuid"),
                             std::string(o.string("name")),
                             std::string(o.nullable_string("url").value_or(""))};
  });
}

std::string read_deploy_body(std::string_view body) {
  return read_object(body, {"targetSystem"},
                     [](const JsonObjectReader& o) { return std::string(o.string("targetSystem")); });
}

TransportCreationRequest read_create_transport_body(std::string_view body) {
  return read_object(body, {"sourceSystem", "description"}, [](const JsonObjectReader& o) {
    TransportCreationRequest r{std::string(o.string("sourceSystem")), ""};
    if (o.has("description")) r.description = std::string(o.nullable_string("description").value_or(""));
    if (r.description.size() > 60)
      throw JsonError(o.path_of("description"), "at most 60 characters (a transport request's short text)");
    return r;
  });
}

}  // namespace ato::sim
