// The read side of an OData V4 service made from its model: the service document, $metadata,
// collections with their query options, /$count, one entity by key, navigation from an entity, and
// $expand. The caller supplies the rows of a set (read under its own lock) and does the writes.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/net/http.hpp"
#include "simulator/odata/model.hpp"
#include "simulator/odata/resource_path.hpp"

namespace ato::sim {

class ODataService {
 public:
  // All rows of a set, at the time of the request.
  using Rows = std::function<std::vector<ODataEntity>(const ODataEntitySet& set)>;

  // `root` is the service root path ("/api/calm-features/v1"); `page_size` the most entities one
  // answer carries (more: a next link).
  ODataService(ODataModel model, std::string root, std::int64_t page_size = 1000);

  const ODataModel& model() const { return model_; }
  const std::string& root() const { return root_; }

  // GET of anything below the root: "" (the service document), "$metadata", or a resource path.
  net::HttpResponse read(std::string_view path, std::string_view query_string, const Rows& rows) const;
  // GET of a parsed resource.
  net::HttpResponse read(const ODataResource& resource, std::string_view query_string,
                         const Rows& rows) const;

  // One entity as an answer (after a create or an update): its context and properties.
  std::string entity_json(const ODataEntitySet& set, const ODataEntity& entity) const;
  // The row of `rows` with this key, or nullptr.
  static const ODataEntity* find(const ODataEntitySet& set, const std::vector<ODataEntity>& rows,
                                 const std::vector<ODataValue>& key);

 private:
  ODataModel model_;
  std::string root_;
  std::int64_t page_size_;
};

}  // namespace ato::sim
