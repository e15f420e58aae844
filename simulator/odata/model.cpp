#include "simulator/odata/model.hpp"

#include <fmt/format.h>

#include "core/json_writer.hpp"

namespace ato::sim {

std::vector<std::string> ODataEntitySet::navigation_names() const {
  std::vector<std::string> names;
  for (const auto& n : navigation) names.push_back(n.name);
  return names;
}

const ODataNavigation* ODataEntitySet::navigation_named(std::string_view name) const {
  for (const auto& n : navigation)
    if (n.name == name) return &n;
  return nullptr;
}

std::vector<std::size_t> ODataEntitySet::key_indexes() const {
  std::vector<std::size_t> indexes;
  for (const auto& name : key)
    if (const auto index = property_index(properties, name)) indexes.push_back(*index);
  return indexes;
}

const ODataEntitySet* ODataModel::set(std::string_view name) const {
  for (const auto& s : sets)
    if (s.name == name) return &s;
  return nullptr;
}

const ODataAction* ODataModel::action(std::string_view set_name, std::string_view name) const {
  // Bound actions are addressed by name or by namespace-qualified name.
  for (const auto& a : actions)
    if (a.bound_set == set_name && (a.name == name || fmt::format("{}.{}", namespace_name, a.name) == name))
      return &a;
  return nullptr;
}

namespace {

std::string property_xml(const ODataProperty& p) {
  std::string xml = fmt::format(R"(<Property Name="{}" Type="{}")", p.name, edm_name(p.type));
  if (!p.nullable) xml += R"( Nullable="false")";
  if (p.max_length > 0) xml += fmt::format(R"( MaxLength="{}")", p.max_length);
  if (p.type == ODataType::DateTimeOffset) xml += R"( Precision="3")";
  return xml + "/>";
}

std::string restrictions_xml(const ODataModel& model, const ODataEntitySet& set) {
  std::string xml = fmt::format(R"(      <Annotations Target="{}.{}/{}">)"
                                "\n",
                                model.namespace_name, model.container_name, set.name);
  const auto restriction = [&](std::string_view term, std::string_view property, bool allowed) {
    xml += fmt::format(R"(        <Annotation Term="Org.OData.Capabilities.V1.{}"><Record><PropertyValue )"
                       R"(Property="{}" Bool="{}"/></Record></Annotation>)"
                       "\n",
                       term, property, allowed ? "true" : "false");
  };
  restriction("InsertRestrictions", "Insertable", set.insertable);
  restriction("UpdateRestrictions", "Updatable", set.updatable);
  restriction("DeleteRestrictions", "Deletable", set.deletable);
  return xml + "      </Annotations>\n";
}

}  // namespace

std::string odata_metadata_xml(const ODataModel& model) {
  const auto& ns = model.namespace_name;
  std::string xml = R"(<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">
  <edmx:Reference Uri="https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml">
    <edmx:Include Namespace="Org.OData.Capabilities.V1"/>
  </edmx:Reference>
  <edmx:DataServices>
)";
  xml += fmt::format(R"(    <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="{}">)"
                     "\n",
                     ns);
  for (const auto& c : model.complex_types) {
    xml += fmt::format("      <ComplexType Name=\"{}\">\n", c.name);
    for (const auto& p : c.properties) xml += "        " + property_xml(p) + "\n";
    for (const auto& name : c.collections)
      xml += fmt::format(
          "        <Property Name=\"{}\" Type=\"Collection(Edm.String)\" Nullable=\"false\"/>\n", name);
    xml += "      </ComplexType>\n";
  }
  for (const auto& set : model.sets) {
    xml += fmt::format("      <EntityType Name=\"{}\">\n        <Key>", set.type_name);
    for (const auto& k : set.key) xml += fmt::format(R"(<PropertyRef Name="{}"/>)", k);
    xml += "</Key>\n";
    for (const auto& p : set.properties) xml += "        " + property_xml(p) + "\n";
    for (const auto& n : set.navigation) {
      const auto* target = model.set(n.target_set);
      const auto type = fmt::format("{}.{}", ns, target ? target->type_name : n.target_set);
      xml += fmt::format(R"(        <NavigationProperty Name="{}" Type="{}"{}>)"
                         "\n",
                         n.name, n.many ? fmt::format("Collection({})", type) : type,
                         n.many ? "" : R"( Nullable="true")");
      // A constraint belongs on the dependent side: the single-valued navigation to a principal.
      if (!n.many)
        xml += fmt::format(R"(          <ReferentialConstraint Property="{}" ReferencedProperty="{}"/>)"
                           "\n",
                           n.local, n.remote);
      xml += "        </NavigationProperty>\n";
    }
    xml += "      </EntityType>\n";
  }
  for (const auto& a : model.actions) {
    const auto* bound = model.set(a.bound_set);
    xml += fmt::format("      <Action Name=\"{}\" IsBound=\"true\">\n", a.name);
    xml += fmt::format(R"(        <Parameter Name="in" Type="{}.{}" Nullable="false"/>)"
                       "\n",
                       ns, bound ? bound->type_name : a.bound_set);
    for (const auto& p : a.parameters) {
      auto parameter = property_xml(p);
      parameter.replace(0, std::string_view("<Property").size(), "<Parameter");
      // Parameters carry no Precision facet in the generator's reading; keep them plain.
      xml += "        " + parameter + "\n";
    }
    if (!a.return_type.empty())
      xml += fmt::format(R"(        <ReturnType Type="{}.{}" Nullable="false"/>)"
                         "\n",
                         ns, a.return_type);
    xml += "      </Action>\n";
  }
  xml += fmt::format("      <EntityContainer Name=\"{}\">\n", model.container_name);
  for (const auto& set : model.sets) {
    xml += fmt::format(R"(        <EntitySet Name="{}" EntityType="{}.{}">)"
                       "\n",
                       set.name, ns, set.type_name);
    for (const auto& n : set.navigation)
      xml += fmt::format(R"(          <NavigationPropertyBinding Path="{}" Target="{}"/>)"
                         "\n",
                         n.name, n.target_set);
    xml += "        </EntitySet>\n";
  }
  // SAP Cloud SDK's generator emits a bound action only when an ActionImport names it too.
  for (const auto& a : model.actions)
    xml += fmt::format(R"(        <ActionImport Name="{}" Action="{}.{}"/>)"
                       "\n",
                       a.name, ns, a.name);
  xml += "      </EntityContainer>\n";
  for (const auto& set : model.sets) xml += restrictions_xml(model, set);
  xml += "    </Schema>\n  </edmx:DataServices>\n</edmx:Edmx>\n";
  return xml;
}

std::string odata_service_document(const ODataModel& model) {
  return json_object_text([&](JsonWriter& json) {
    json.field("@odata.context", "$metadata").key("value").begin_array();
    for (const auto& set : model.sets)
      json.begin_object()
          .field("name", set.name)
          .field("kind", "EntitySet")
          .field("url", set.name)
          .end_object();
    json.end_array();
  });
}

}  // namespace ato::sim
