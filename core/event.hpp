// The ATO transport event: the envelope every event carries and the payload of each service.
// The wire format is ours (SAP does not publish SAP_COM_0690's); schema/json/ato-event.schema.json
// is its contract, and parse_event accepts exactly what that schema accepts.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/enum_names.hpp"
#include "core/json_writer.hpp"
#include "core/time.hpp"

namespace ato {

class JsonObjectReader;  // core/json_reader.hpp: kept out of here, it brings simdjson to every includer

enum class Service { Export, Import, StatusChange };
inline constexpr EnumNames<Service, 3> kServiceNames{
    {{Service::Export, "EXPORT"}, {Service::Import, "IMPORT"}, {Service::StatusChange, "STATUS_CHANGE"}}};
inline std::string_view to_string(Service s) {
  return name_of(kServiceNames, s);
}

enum class RequestKind { Workbench, Customizing, SoftwareCollection };
inline constexpr EnumNames<RequestKind, 3> kRequestKindNames{
    {{RequestKind::Workbench, "WORKBENCH"},
     {RequestKind::Customizing, "CUSTOMIZING"},
     {RequestKind::SoftwareCollection, "SOFTWARE_COLLECTION"}}};

enum class ExportType { Standard, Hotfix };
inline constexpr EnumNames<ExportType, 2> kExportTypeNames{
    {{ExportType::Standard, "STANDARD"}, {ExportType::Hotfix, "HOTFIX"}}};

// SAP's import types: manual, automatic (collections on the landscape's schedule), and forecast (a
// check of what an import would do: it imports nothing).
enum class ImportType { Manual, Automatic, Forecast };
inline constexpr EnumNames<ImportType, 3> kImportTypeNames{{{ImportType::Manual, "MANUAL"},
                                                            {ImportType::Automatic, "AUTOMATIC"},
                                                            {ImportType::Forecast, "FORECAST"}}};

enum class ImportResult { Success, Warning, Error };
inline constexpr EnumNames<ImportResult, 3> kImportResultNames{
    {{ImportResult::Success, "SUCCESS"}, {ImportResult::Warning, "WARNING"}, {ImportResult::Error, "ERROR"}}};

enum class StatusType { Quality, Forward, ImportQueue };
inline constexpr EnumNames<StatusType, 3> kStatusTypeNames{{{StatusType::Quality, "QUALITY"},
                                                            {StatusType::Forward, "FORWARD"},
                                                            {StatusType::ImportQueue, "IMPORT_QUEUE"}}};

// Largest integer every JSON consumer reads exactly (2^53 - 1); our sequences stay below it.
inline constexpr std::int64_t kMaxSequence = 9007199254740991;

// A system of the landscape, written `SID~client` (e.g. `S4H~100`).
struct SystemRef {
  std::string sid;     // three characters: a letter, then letters or digits
  std::string client;  // three digits
  std::string key() const { return sid + "~" + client; }
  friend bool operator==(const SystemRef&, const SystemRef&) = default;
};

struct CollectionVersion {
  std::string name;
  std::int64_t version = 1;
  ExportType export_type = ExportType::Standard;
  friend bool operator==(const CollectionVersion&, const CollectionVersion&) = default;
};

struct ExportDetails {
  RequestKind kind = RequestKind::Workbench;
  std::string title;
  std::string owner;
  EpochMillis released_at = 0;
  std::optional<CollectionVersion> collection;  // required for SOFTWARE_COLLECTION
  friend bool operator==(const ExportDetails&, const ExportDetails&) = default;
};

struct ImportDetails {
  SystemRef target;
  ImportType import_type = ImportType::Manual;
  ImportResult result = ImportResult::Success;
  int return_code = 0;  // ABAP transport return codes: 0, 4, 8, 12
  EpochMillis started_at = 0;
  EpochMillis finished_at = 0;
  friend bool operator==(const ImportDetails&, const ImportDetails&) = default;
};

struct StatusChangeDetails {
  StatusType status_type = StatusType::Quality;
  std::optional<std::string> old_status;  // absent for a first status
  std::string new_status;
  std::string changed_by;
  std::optional<SystemRef> target;  // required for IMPORT_QUEUE: whose queue
  friend bool operator==(const StatusChangeDetails&, const StatusChangeDetails&) = default;
};

struct AtoEvent {
  std::string event_id;  // lowercase canonical UUID, stable across re-sends (the idempotency key)
  Service service = Service::Export;
  std::int64_t sequence = 1;  // per ATO tenant, monotonic: the poll cursor
  EpochMillis occurred_at = 0;
  SystemRef source;
  std::string transport_id;  // `<SID>K9NNNNN`
  std::variant<ExportDetails, ImportDetails, StatusChangeDetails> details;
  friend bool operator==(const AtoEvent&, const AtoEvent&) = default;
};

// Reads an event from a JSON object, strictly: unknown fields, wrong types, bad formats and a
// payload that does not match `service` are errors naming the field's path.
AtoEvent parse_event(const JsonObjectReader& object);
// Convenience: parses a whole JSON text holding one event.
AtoEvent parse_event_json(std::string_view json);

void write_event(JsonWriter& json, const AtoEvent& event);
std::string to_json(const AtoEvent& event);

// Format checks shared by the parser, configuration and the simulator.
bool is_valid_sid(std::string_view sid);
bool is_valid_client(std::string_view client);
bool is_valid_transport_id(std::string_view id);
bool is_valid_event_id(std::string_view id);  // lowercase 8-4-4-4-12 hex
// The 16 bytes a valid eventId spells, in order (the caller checked it with is_valid_event_id).
std::array<std::uint8_t, 16> event_id_bytes(std::string_view valid_event_id);
bool is_valid_status_value(std::string_view value);  // UPPER_SNAKE_CASE, e.g. READY_FOR_IMPORT
// Parses `SID~client`.
std::optional<SystemRef> parse_system_ref(std::string_view text);

}  // namespace ato
