// The Features API's entity model (SAP's eight entity sets, their properties and navigation, the
// deploy action) and how the fake Cloud ALM's records become its entities. The order of each set's
// properties here is the order of the values in its rows.
#pragma once

#include <string>

#include "simulator/alm/features.hpp"
#include "simulator/odata/model.hpp"

namespace ato::sim {

struct TransportRecord;

const ODataModel& features_model();

ODataEntity feature_entity(const Feature& f, const std::string& shown_status);
ODataEntity transport_entity(const std::string& request, const TransportRecord& t,
                             const FeatureStore& features);
ODataEntity transport_reference_entity(const TransportReference& r);
ODataEntity url_reference_entity(const UrlReference& r);
ODataEntity external_reference_entity(const ExternalReference& r);
ODataEntity task_assignment_entity(const TaskAssignment& t);

}  // namespace ato::sim
