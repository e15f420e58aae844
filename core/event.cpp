#include "core/event.hpp"

#include <algorithm>

#include "core/json_reader.hpp"

namespace ato {
namespace {

bool is_upper_or_digit(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

SystemRef read_system(const JsonObjectReader& parent, std::string_view key) {
  const auto object = parent.object(key);
  object.only_keys({"sid", "client"});
  SystemRef system{std::string(object.string("sid")), std::string(object.string("client"))};
  if (!is_valid_sid(system.sid))
    throw JsonError(object.path_of("sid"), "expected a system ID of three characters, like S4H");
  if (!is_valid_client(system.client))
    throw JsonError(object.path_of("client"), "expected a client of three digits, like 100");
  return system;
}

std::string read_status_value(const JsonObjectReader& object, std::string_view key) {
  auto value = object.string(key);
  if (!is_valid_status_value(value))
    throw JsonError(object.path_of(key), "expected an UPPER_SNAKE_CASE status, like READY_FOR_IMPORT");
  return std::string(value);
}

ExportDetails read_export(const JsonObjectReader& o) {
  ExportDetails d;
  d.kind = read_enum(o, "kind", kRequestKindNames);
  d.title = o.string("title");
  d.owner = o.string("owner");
  d.released_at = o.timestamp("releasedAt");
  if (auto c = o.optional_object("collection")) {
    c->only_keys({"name", "version", "exportType"});
    d.collection = CollectionVersion{std::string(c->string("name")), c->integer("version", 1, 999'999),
                                     read_enum(*c, "exportType", kExportTypeNames)};
  } else if (d.kind == RequestKind::SoftwareCollection) {
    throw JsonError(o.path_of("collection"), "missing (required when kind is SOFTWARE_COLLECTION)");
  }
  return d;
}

ImportDetails read_import(const JsonObjectReader& o) {
  ImportDetails d;
  d.target = read_system(o, "target");
  d.import_type = read_enum(o, "importType", kImportTypeNames);
  d.result = read_enum(o, "result", kImportResultNames);
  d.return_code = static_cast<int>(o.integer("returnCode", 0, 12));
  if (d.return_code % 4 != 0) throw JsonError(o.path_of("returnCode"), "expected one of 0, 4, 8, 12");
  d.started_at = o.timestamp("startedAt");
  d.finished_at = o.timestamp("finishedAt");
  return d;
}

StatusChangeDetails read_status_change(const JsonObjectReader& o) {
  StatusChangeDetails d;
  d.status_type = read_enum(o, "statusType", kStatusTypeNames);
  if (o.has("old")) d.old_status = read_status_value(o, "old");
  d.new_status = read_status_value(o, "new");
  d.changed_by = o.string("changedBy");
  if (o.has("target")) {
    d.target = read_system(o, "target");
  } else if (d.status_type == StatusType::ImportQueue) {
    throw JsonError(o.path_of("target"), "missing (required when statusType is IMPORT_QUEUE)");
  }
  return d;
}

void write_system(JsonWriter& json, std::string_view key, const SystemRef& system) {
  json.key(key).begin_object().field("sid", system.sid).field("client", system.client).end_object();
}

}  // namespace

bool is_valid_sid(std::string_view sid) {
  return sid.size() == 3 && sid[0] >= 'A' && sid[0] <= 'Z' && is_upper_or_digit(sid[1]) &&
         is_upper_or_digit(sid[2]);
}

bool is_valid_client(std::string_view client) {
  return client.size() == 3 && std::all_of(client.begin(), client.end(), is_digit);
}

bool is_valid_transport_id(std::string_view id) {
  return id.size() == 10 && is_valid_sid(id.substr(0, 3)) && id.substr(3, 2) == "K9" &&
         std::all_of(id.begin() + 5, id.end(), is_digit);
}

bool is_valid_event_id(std::string_view id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!is_digit(c) && !(c >= 'a' && c <= 'f')) {
      return false;
    }
  }
  return true;
}

std::array<std::uint8_t, 16> event_id_bytes(std::string_view valid_event_id) {
  // Straight off the checked text: a general UUID parser (braces, upper case, no dashes) cost the
  // simulator 3.6% of its instructions per push request, where it keys every eventId it accepts.
  const auto nibble = [](char c) { return static_cast<std::uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10); };
  std::array<std::uint8_t, 16> bytes{};
  std::size_t at = 0;
  for (auto& byte : bytes) {
    if (valid_event_id[at] == '-') ++at;
    byte = static_cast<std::uint8_t>(nibble(valid_event_id[at]) << 4 | nibble(valid_event_id[at + 1]));
    at += 2;
  }
  return bytes;
}

bool is_valid_status_value(std::string_view value) {
  if (value.empty() || value.size() > 64 || value.front() < 'A' || value.front() > 'Z') return false;
  return std::all_of(value.begin(), value.end(), [](char c) { return (c >= 'A' && c <= 'Z') || c == '_'; });
}

std::optional<SystemRef> parse_system_ref(std::string_view text) {
  const auto tilde = text.find('~');
  if (tilde == std::string_view::npos) return std::nullopt;
  SystemRef system{std::string(text.substr(0, tilde)), std::string(text.substr(tilde + 1))};
  if (!is_valid_sid(system.sid) || !is_valid_client(system.client)) return std::nullopt;
  return system;
}

AtoEvent parse_event(const JsonObjectReader& o) {
  AtoEvent event;
  event.service = read_enum(o, "service", kServiceNames);
  switch (event.service) {
    case Service::Export:
      o.only_keys({"eventId", "service", "sequence", "occurredAt", "source", "transportId", "kind", "title",
                   "owner", "releasedAt", "collection"});
      break;
    case Service::Import:
      o.only_keys({"eventId", "service", "sequence", "occurredAt", "source", "transportId", "target",
                   "importType", "result", "returnCode", "startedAt", "finishedAt"});
      break;
    case Service::StatusChange:
      o.only_keys({"eventId", "service", "sequence", "occurredAt", "source", "transportId", "statusType",
                   "old", "new", "changedBy", "target"});
      break;
  }
  event.event_id = o.string("eventId");
  if (!is_valid_event_id(event.event_id))
    throw JsonError(o.path_of("eventId"),
                    "expected a lowercase UUID like 0b7e7d2c-3c1e-4f55-9f1a-5d2b8c6e4a10");
  event.sequence = o.integer("sequence", 1, kMaxSequence);
  event.occurred_at = o.timestamp("occurredAt");
  event.source = read_system(o, "source");
  event.transport_id = o.string("transportId");
  if (!is_valid_transport_id(event.transport_id))
    throw JsonError(o.path_of("transportId"), "expected a transport ID like S4HK901598");
  switch (event.service) {
    case Service::Export:
      event.details = read_export(o);
      break;
    case Service::Import:
      event.details = read_import(o);
      break;
    case Service::StatusChange:
      event.details = read_status_change(o);
      break;
  }
  return event;
}

AtoEvent parse_event_json(std::string_view json) {
  thread_local simdjson::dom::parser parser;  // reused: see core/wire.cpp's Document
  return parse_event(JsonObjectReader(parse_json(parser, json), ""));
}

void write_event(JsonWriter& json, const AtoEvent& event) {
  json.begin_object()
      .field("eventId", event.event_id)
      .field("service", to_string(event.service))
      .field("sequence", event.sequence)
      .field("occurredAt", format_iso8601_utc(event.occurred_at));
  write_system(json, "source", event.source);
  json.field("transportId", event.transport_id);
  if (const auto* e = std::get_if<ExportDetails>(&event.details)) {
    json.field("kind", name_of(kRequestKindNames, e->kind))
        .field("title", e->title)
        .field("owner", e->owner)
        .field("releasedAt", format_iso8601_utc(e->released_at));
    if (e->collection) {
      json.key("collection")
          .begin_object()
          .field("name", e->collection->name)
          .field("version", e->collection->version)
          .field("exportType", name_of(kExportTypeNames, e->collection->export_type))
          .end_object();
    }
  } else if (const auto* i = std::get_if<ImportDetails>(&event.details)) {
    write_system(json, "target", i->target);
    json.field("importType", name_of(kImportTypeNames, i->import_type))
        .field("result", name_of(kImportResultNames, i->result))
        .field("returnCode", i->return_code)
        .field("startedAt", format_iso8601_utc(i->started_at))
        .field("finishedAt", format_iso8601_utc(i->finished_at));
  } else if (const auto* s = std::get_if<StatusChangeDetails>(&event.details)) {
    json.field("statusType", name_of(kStatusTypeNames, s->status_type));
    if (s->old_status) json.field("old", *s->old_status);
    json.field("new", s->new_status).field("changedBy", s->changed_by);
    if (s->target) write_system(json, "target", *s->target);
  }
  json.end_object();
}

std::string to_json(const AtoEvent& event) {
  std::string out;
  out.reserve(512);
  JsonWriter json(out);
  write_event(json, event);
  return out;
}

}  // namespace ato
