#include "simulator/odata/service.hpp"

#include <fmt/format.h>

#include <map>

#include "core/json_writer.hpp"
#include "simulator/odata.hpp"
#include "simulator/odata/query.hpp"

namespace ato::sim {
namespace {

net::HttpResponse query_error(const ODataQueryError& problem) {
  return odata_error(400, "BAD_REQUEST", fmt::format("{}: {}", problem.option, problem.message),
                     problem.option);
}

// The rows of the sets a request touches, each read once.
class RowCache {
 public:
  explicit RowCache(const ODataService::Rows& rows) : rows_(rows) {}
  const std::vector<ODataEntity>& of(const ODataEntitySet& set) {
    auto it = cache_.find(set.name);
    if (it == cache_.end()) it = cache_.emplace(set.name, rows_(set)).first;
    return it->second;
  }

 private:
  const ODataService::Rows& rows_;
  std::map<std::string, std::vector<ODataEntity>> cache_;
};

// The entities of `target` that `navigation` reaches from `entity`.
std::vector<const ODataEntity*> related(const ODataEntitySet& from, const ODataNavigation& navigation,
                                        const ODataEntity& entity, const ODataEntitySet& target,
                                        const std::vector<ODataEntity>& target_rows) {
  std::vector<const ODataEntity*> out;
  const auto local = property_index(from.properties, navigation.local);
  const auto remote = property_index(target.properties, navigation.remote);
  if (!local || !remote || std::holds_alternative<std::monostate>(entity[*local])) return out;
  for (const auto& row : target_rows)
    if (row[*remote] == entity[*local]) out.push_back(&row);
  return out;
}

// Each expanded navigation of `entity` as a property: an array, an object or null.
void write_expanded(JsonWriter& json, const ODataModel& model, const ODataEntitySet& set,
                    const ODataEntity& entity, const std::vector<std::string>& expand, RowCache& cache) {
  for (const auto& name : expand) {
    const auto* navigation = set.navigation_named(name);
    const auto* target = model.set(navigation->target_set);
    const auto found = related(set, *navigation, entity, *target, cache.of(*target));
    json.key(name);
    if (!navigation->many && found.empty()) {
      json.null();
      continue;
    }
    if (navigation->many) json.begin_array();
    for (const auto* e : found) {
      json.begin_object();
      write_entity_properties(json, target->properties, *e, {});
      json.end_object();
      if (!navigation->many) break;
    }
    if (navigation->many) json.end_array();
  }
}

// Options a single entity takes: $select, $expand, $format.
std::optional<ODataQueryError> refuse_collection_options(const ODataQuery& q, std::string_view query_string) {
  if (q.filter || !q.orderby.empty() || q.top || q.skip != 0 || q.count) {
    for (const auto option : {"$filter", "$orderby", "$top", "$skip", "$count"})
      if (query_string.find(option) != std::string_view::npos ||
          query_string.find(std::string("%24") + (option + 1)) != std::string_view::npos)
        return ODataQueryError{option, fmt::format("{} applies to collections, not to one entity", option)};
    return ODataQueryError{"$filter", "collection options apply to collections, not to one entity"};
  }
  return std::nullopt;
}

}  // namespace

ODataService::ODataService(ODataModel model, std::string root, std::int64_t page_size)
    : model_(std::move(model)), root_(std::move(root)), page_size_(page_size) {}

const ODataEntity* ODataService::find(const ODataEntitySet& set, const std::vector<ODataEntity>& rows,
                                      const std::vector<ODataValue>& key) {
  const auto indexes = set.key_indexes();
  for (const auto& row : rows) {
    bool same = true;
    for (std::size_t i = 0; i < indexes.size() && same; ++i) same = row[indexes[i]] == key[i];
    if (same) return &row;
  }
  return nullptr;
}

std::string ODataService::entity_json(const ODataEntitySet& set, const ODataEntity& entity) const {
  return json_object_text([&](JsonWriter& json) {
    json.field("@odata.context", fmt::format("$metadata#{}/$entity", set.name));
    write_entity_properties(json, set.properties, entity, {});
  });
}

net::HttpResponse ODataService::read(std::string_view path, std::string_view query_string,
                                     const Rows& rows) const {
  if (path.empty()) {
    if (!query_string.empty() && query_string.find("$format=json") == std::string_view::npos)
      return odata_error(400, "BAD_REQUEST", "the service document takes no query options");
    return net::HttpResponse::json(200, odata_service_document(model_));
  }
  if (path == "$metadata") {
    net::HttpResponse response;
    response.body = odata_metadata_xml(model_);
    response.header("Content-Type", "application/xml");
    return response;
  }
  auto resource = parse_resource_path(path, model_);
  if (auto* problem = std::get_if<ODataPathError>(&resource))
    return odata_error(problem->status, problem->status == 404 ? "NOT_FOUND" : "BAD_REQUEST",
                       problem->message);
  return read(std::get<ODataResource>(resource), query_string, rows);
}

net::HttpResponse ODataService::read(const ODataResource& resource, std::string_view query_string,
                                     const Rows& rows) const {
  if (resource.action)
    return odata_error(405, "METHOD_NOT_ALLOWED",
                       fmt::format("Call the action {} with POST", resource.action->name));
  RowCache cache(rows);
  const ODataEntitySet* set = resource.set;
  std::vector<const ODataEntity*> candidates;
  std::string context = set->name;
  if (resource.key) {
    const auto* entity = find(*set, cache.of(*set), *resource.key);
    if (!entity) return odata_error(404, "NOT_FOUND", fmt::format("No {} with this key", set->type_name));
    if (!resource.navigation) {
      auto parsed = parse_odata_query(query_string, set->properties, set->navigation_names());
      if (auto* problem = std::get_if<ODataQueryError>(&parsed)) return query_error(*problem);
      const auto& q = std::get<ODataQuery>(parsed);
      if (auto problem = refuse_collection_options(q, query_string)) return query_error(*problem);
      candidates.push_back(entity);
      // One entity: no "value" array.
      std::string body = json_object_text([&](JsonWriter& json) {
        json.field("@odata.context", fmt::format("$metadata#{}/$entity", set->name));
        write_entity_properties(json, set->properties, *entity, q.select);
        write_expanded(json, model_, *set, *entity, q.expand, cache);
      });
      return net::HttpResponse::json(200, std::move(body));
    }
    const auto* target = model_.set(resource.navigation->target_set);
    candidates = related(*set, *resource.navigation, *entity, *target, cache.of(*target));
    if (!resource.navigation->many) {
      if (candidates.empty()) {
        net::HttpResponse none;
        none.status = 204;
        return none;
      }
      return net::HttpResponse::json(200, entity_json(*target, *candidates.front()));
    }
    set = target;
    context = target->name;
  } else {
    for (const auto& row : cache.of(*set)) candidates.push_back(&row);
  }

  auto parsed = parse_odata_query(query_string, set->properties, set->navigation_names());
  if (auto* problem = std::get_if<ODataQueryError>(&parsed)) return query_error(*problem);
  const auto& q = std::get<ODataQuery>(parsed);
  if (resource.count) {
    std::int64_t n = 0;
    for (const auto* e : candidates) n += matches(q, *e) ? 1 : 0;
    net::HttpResponse response;
    response.body = std::to_string(n);
    response.header("Content-Type", "text/plain");
    return response;
  }
  const auto page = odata_page(q, std::move(candidates), page_size_);
  std::string body = json_object_text([&](JsonWriter& json) {
    json.field("@odata.context", fmt::format("$metadata#{}", context));
    if (q.count) json.field("@odata.count", page.total);
    json.key("value").begin_array();
    for (const auto* entity : page.entities) {
      json.begin_object();
      write_entity_properties(json, set->properties, *entity, q.select);
      write_expanded(json, model_, *set, *entity, q.expand, cache);
      json.end_object();
    }
    json.end_array();
    if (page.next_skip) {
      const std::string path = root_ + "/" + resource.path;
      json.field("@odata.nextLink", odata_next_link(path, query_string, q, page));
    }
  });
  return net::HttpResponse::json(200, std::move(body));
}

}  // namespace ato::sim
