// The fake ATO feed's OData service document, `$metadata` (EDMX, OData 4.0): the Events and
// Systems entity sets as the feed serves them (schema/json/ato-event.schema.json). Ours: SAP does
// not publish SAP_COM_0690's wire format.
#pragma once

#include <string_view>

namespace ato::sim {

std::string_view feed_metadata_xml();

}  // namespace ato::sim
