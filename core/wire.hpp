// The HTTP contracts between the bridge and ATO / Cloud ALM, as C++ values with strict readers and
// writers. Each mirrors a JSON Schema in schema/json/ (which is the contract; this is its C++ face).
// SAP publishes none of these formats except the token response and the OData error shape.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"

namespace ato {

// One page of the ATO event feed (OData v4 collection): schema/json/feed-page.schema.json.
struct FeedPage {
  std::vector<AtoEvent> events;
  std::int64_t head_sequence = 0;        // "@ato.headSequence": highest sequence assigned when served
  std::optional<std::string> next_link;  // "@odata.nextLink"
  std::optional<std::int64_t> count;     // "@odata.count", when $count=true was asked
  std::optional<std::string> context;    // "@odata.context"
};
FeedPage parse_feed_page(std::string_view json);
std::string to_json(const FeedPage& page);

// A package of events of one service pushed to Cloud ALM: schema/json/push-package.schema.json.
struct PushPackage {
  std::string package_id;  // lowercase UUID
  Service service = Service::Export;
  EpochMillis sent_at = 0;
  std::vector<AtoEvent> events;
};
PushPackage parse_push_package(std::string_view json);
std::string to_json(const PushPackage& package);

enum class EventOutcome { Accepted, Duplicate, Rejected };
inline constexpr EnumNames<EventOutcome, 3> kEventOutcomeNames{{{EventOutcome::Accepted, "accepted"},
                                                                {EventOutcome::Duplicate, "duplicate"},
                                                                {EventOutcome::Rejected, "rejected"}}};

struct EventResult {
  std::string event_id;
  EventOutcome outcome = EventOutcome::Accepted;
  std::optional<std::string> code;     // required when rejected, e.g. OUT_OF_ORDER
  std::optional<std::string> message;  // required when rejected
};

// Cloud ALM's answer to a package: one result per event: schema/json/push-response.schema.json.
struct PushResponse {
  std::string package_id;
  std::vector<EventResult> results;
  // Fields the contract does not name (schema/json/push-response.schema.json), in the answer and its
  // results: a newer Cloud ALM may add some, so they are counted and ignored. What contradicts
  // itself (a rejection without a code, an eventId that is no UUID) is still refused.
  std::int64_t unknown_fields = 0;
};
PushResponse parse_push_response(std::string_view json);
std::string to_json(const PushResponse& response);

// XSUAA client-credentials token response: schema/json/token-response.schema.json. Fields beyond
// these (XSUAA sends more) are allowed and ignored.
struct TokenResponse {
  std::string access_token;
  std::string token_type;
  std::int64_t expires_in = 0;  // seconds
  std::string scope;            // space-separated
  std::string jti;
};
TokenResponse parse_token_response(std::string_view json);
std::string to_json(const TokenResponse& token);

// XSUAA's error answer (`{"error":"invalid_client","error_description":"Bad credentials"}`).
struct TokenError {
  std::string error;
  std::optional<std::string> description;
};
TokenError parse_token_error(std::string_view json);
std::string to_json(const TokenError& error);

// OData v4 error body: schema/json/odata-error.schema.json.
struct ODataErrorDetail {
  std::string code;
  std::string message;
  std::optional<std::string> target;
};
struct ODataError {
  std::string code;
  std::string message;
  std::optional<std::string> target;
  std::vector<ODataErrorDetail> details;
};
ODataError parse_odata_error(std::string_view json);
std::string to_json(const ODataError& error);

// A transport as the (fake) Cloud ALM shows it: schema/json/transports-page.schema.json.
struct TransportStep {
  std::string source;  // the tenant that sent it, SID~client
  std::int64_t sequence = 0;
  std::string event_id;
  Service service = Service::Export;
  std::string status;
  EpochMillis occurred_at = 0;
};
struct TransportView {
  std::string id;
  std::string status;  // Released, Scheduled In X, Deployed in X, Failed in X, Repaired
  std::vector<TransportStep> history;
};
struct TransportsPage {
  std::vector<TransportView> transports;
  std::optional<std::string> next_link;
};
TransportsPage parse_transports_page(std::string_view json);
bool is_valid_alm_status(std::string_view status);

// ato-sim's counters (GET /sim/stats): schema/json/sim-stats.schema.json.
struct SimCounters {
  std::int64_t packages_received = 0, events_accepted = 0, events_duplicate = 0, events_rejected = 0,
               order_violations = 0, unknown_transports = 0, unregistered_systems = 0, auth_failures = 0,
               faults_injected = 0;
};
struct SimStats {
  SimCounters total;  // faults_injected here counts every endpoint
  std::int64_t tokens_issued = 0, token_requests_rejected = 0, transports = 0, journal_size = 0;
  std::map<Service, SimCounters> per_service;
  std::map<std::string, std::int64_t> faults_by_endpoint;
};
SimStats parse_sim_stats(std::string_view json);

// One line of an NDJSON recording: exactly one event (schema/json/recording-line.schema.json).
AtoEvent parse_recording_line(std::string_view line);

}  // namespace ato
