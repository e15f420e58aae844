// An OData V4 service described once, as data: its entity sets (properties, keys, navigation to other
// sets, what may be written) and its bound actions. $metadata, the service document, resource paths
// and reads are all made from this description (simulator/odata/metadata.cpp, resource_path.cpp,
// service.cpp), so what $metadata declares and what the service accepts cannot drift apart.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/odata/values.hpp"

namespace ato::sim {

// A navigation property: the entities of `target_set` whose `remote` property equals this entity's
// `local` property (a referential constraint).
struct ODataNavigation {
  std::string name;
  std::string target_set;
  bool many = true;
  std::string local, remote;
};

struct ODataEntitySet {
  std::string name;       // "Features"
  std::string type_name;  // "Feature"
  std::vector<ODataProperty> properties;
  std::vector<std::string> key;  // property names, in key order
  std::vector<ODataNavigation> navigation;
  bool insertable = false, updatable = false, deletable = false;

  std::vector<std::string> navigation_names() const;
  const ODataNavigation* navigation_named(std::string_view name) const;
  // Positions of the key properties in `properties`.
  std::vector<std::size_t> key_indexes() const;
};

struct ODataAction {
  std::string name;       // "deploy"
  std::string bound_set;  // bound to one entity of this set
  std::vector<ODataProperty> parameters;
  std::string return_type;  // a complex type of the schema, or "" for none
};

struct ODataComplexType {
  std::string name;
  std::vector<ODataProperty> properties;
  std::vector<std::string> collections;  // names of Collection(Edm.String) properties
};

struct ODataModel {
  std::string namespace_name;  // "com.sap.calm.features"
  std::string container_name = "EntityContainer";
  std::vector<ODataEntitySet> sets;
  std::vector<ODataAction> actions;
  std::vector<ODataComplexType> complex_types;

  const ODataEntitySet* set(std::string_view name) const;
  const ODataAction* action(std::string_view set, std::string_view name) const;
};

// EDMX as SAP Cloud SDK's generator and other V4 clients read it: full namespace-qualified type
// names (no alias), keys, nullability, navigation with referential constraints, bound actions.
std::string odata_metadata_xml(const ODataModel& model);
// The service document: every entity set with its URL, as JSON.
std::string odata_service_document(const ODataModel& model);

}  // namespace ato::sim
