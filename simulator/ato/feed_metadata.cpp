#include "simulator/ato/feed_metadata.hpp"

namespace ato::sim {

// One event type for the three services: the fields of the other services are absent (nullable),
// as each event carries only its own (schema/README.md, "Event model in one page").
std::string_view feed_metadata_xml() {
  return R"(<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">
  <edmx:DataServices>
    <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="ato.feed.v1">
      <ComplexType Name="System">
        <Property Name="sid" Type="Edm.String" Nullable="false" MaxLength="3"/>
        <Property Name="client" Type="Edm.String" Nullable="false" MaxLength="3"/>
      </ComplexType>
      <ComplexType Name="CollectionVersion">
        <Property Name="name" Type="Edm.String" Nullable="false"/>
        <Property Name="version" Type="Edm.Int64" Nullable="false"/>
        <Property Name="exportType" Type="Edm.String" Nullable="false"/>
      </ComplexType>
      <EntityType Name="Event">
        <Key>
          <PropertyRef Name="eventId"/>
        </Key>
        <Property Name="eventId" Type="Edm.Guid" Nullable="false"/>
        <Property Name="service" Type="Edm.String" Nullable="false"/>
        <Property Name="sequence" Type="Edm.Int64" Nullable="false"/>
        <Property Name="occurredAt" Type="Edm.DateTimeOffset" Nullable="false" Precision="3"/>
        <Property Name="source" Type="ato.feed.v1.System" Nullable="false"/>
        <Property Name="transportId" Type="Edm.String" Nullable="false" MaxLength="10"/>
        <Property Name="kind" Type="Edm.String"/>
        <Property Name="title" Type="Edm.String"/>
        <Property Name="owner" Type="Edm.String"/>
        <Property Name="releasedAt" Type="Edm.DateTimeOffset" Precision="3"/>
        <Property Name="collection" Type="ato.feed.v1.CollectionVersion"/>
        <Property Name="target" Type="ato.feed.v1.System"/>
        <Property Name="importType" Type="Edm.String"/>
        <Property Name="result" Type="Edm.String"/>
        <Property Name="returnCode" Type="Edm.Int32"/>
        <Property Name="startedAt" Type="Edm.DateTimeOffset" Precision="3"/>
        <Property Name="finishedAt" Type="Edm.DateTimeOffset" Precision="3"/>
        <Property Name="statusType" Type="Edm.String"/>
        <Property Name="old" Type="Edm.String"/>
        <Property Name="new" Type="Edm.String"/>
        <Property Name="changedBy" Type="Edm.String"/>
      </EntityType>
      <EntityType Name="LandscapeSystem">
        <Key>
          <PropertyRef Name="system"/>
        </Key>
        <Property Name="system" Type="Edm.String" Nullable="false"/>
        <Property Name="role" Type="Edm.String" Nullable="false"/>
        <Property Name="description" Type="Edm.String" Nullable="false"/>
      </EntityType>
      <EntityContainer Name="Container">
        <EntitySet Name="Events" EntityType="ato.feed.v1.Event"/>
        <EntitySet Name="Systems" EntityType="ato.feed.v1.LandscapeSystem"/>
      </EntityContainer>
      <Annotations Target="ato.feed.v1.Container/Events">
        <Annotation Term="Org.OData.Capabilities.V1.FilterRestrictions">
          <Record>
            <PropertyValue Property="FilterExpressionRestrictions">
              <Collection>
                <Record>
                  <PropertyValue Property="Property" PropertyPath="service"/>
                  <PropertyValue Property="AllowedExpressions" String="SingleValue"/>
                </Record>
              </Collection>
            </PropertyValue>
          </Record>
        </Annotation>
        <Annotation Term="Org.OData.Capabilities.V1.SortRestrictions">
          <Record>
            <PropertyValue Property="Sortable" Bool="false"/>
          </Record>
        </Annotation>
      </Annotations>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>
)";
}

}  // namespace ato::sim
