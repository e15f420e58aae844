// `ato-bridge dead-letters list|show|requeue`: the events given up on, read (and re-queued) in the
// outbox directly, beside a running bridge or none.
#include <fmt/format.h>

#include <limits>
#include <ostream>

#include "bridge/cli/command_context.hpp"
#include "bridge/cli/command_spec.hpp"
#include "core/json_writer.hpp"
#include "core/log.hpp"
#include "core/time.hpp"

namespace ato::bridge {

namespace {

struct DeadLettersCommand {
  enum class Action { List, Show, Requeue } action = Action::List;
  std::optional<std::string> event_id;   // show, requeue one
  std::optional<std::string> service;    // list, requeue --all: filter
  std::optional<std::string> transport;  // list, requeue --all: filter
  std::optional<std::string> tenant;     // list, requeue --all: filter
  bool all = false;                      // requeue every matching dead letter
  int limit = 100;
  bool json = false;
};

void write_dead_letter(JsonWriter& json, const DeadLetter& d, bool with_payload) {
  json.begin_object()
      .field("tenant", d.tenant)
      .field("eventId", d.event_id)
      .field("service", to_string(d.service))
      .field("sequence", d.sequence)
      .field("transportId", d.transport_id)
      .field("sourceSystem", d.source_system)
      .field("attempts", d.attempts)
      .field("enqueuedAt", format_iso8601_utc(d.enqueued_at))
      .field("diedAt", format_iso8601_utc(d.died_at))
      .field("reason", d.reason)
      .key("errors")
      .raw(d.errors.empty() ? "[]" : d.errors);
  if (with_payload) json.key("event").raw(d.payload);
  json.end_object();
}

DeadLetterFilter filter_of(const DeadLettersCommand& c) {
  DeadLetterFilter filter;
  if (c.service) {
    filter.service = service_named(*c.service);
    if (!filter.service)
      throw std::runtime_error("--service: expected export, import or status_change, got '" + *c.service +
                               "'");
  }
  filter.transport_id = c.transport;
  filter.tenant = c.tenant;
  filter.limit = c.limit;
  return filter;
}

int run_dead_letters(const DeadLettersCommand& c, CommandContext& context) {
  auto& out = context.out;
  auto& err = context.err;
  const BridgeConfig& config = context.config_without_secrets();
  auto options = outbox_options(
      config, c.action == DeadLettersCommand::Action::Requeue ? OutboxAccess::Write : OutboxAccess::Read);
  options.create = false;
  Outbox outbox(options);
  switch (c.action) {
    case DeadLettersCommand::Action::List: {
      // One more than asked for tells whether the list was cut.
      auto filter = filter_of(c);
      if (filter.limit < std::numeric_limits<int>::max()) ++filter.limit;
      auto letters = outbox.dead_letters(filter);
      const bool cut = static_cast<int>(letters.size()) > c.limit;
      if (cut) letters.resize(static_cast<std::size_t>(c.limit));
      const std::string more =
          cut ? fmt::format(
                    "only the {} newest dead letters are shown; there are more: --limit N shows up to N "
                    "(at most 100000), and --service, --tenant or --transport narrow the list\n",
                    c.limit)
              : std::string();
      if (c.json) {
        std::string text;
        JsonWriter json(text);
        json.begin_array();
        for (const auto& d : letters) write_dead_letter(json, d, false);
        json.end_array();
        out << text << "\n";
        err << more;  // stdout stays one JSON document
        return kExitOk;
      }
      if (letters.empty()) out << "no dead letters\n";
      for (const auto& d : letters)
        out << fmt::format("{}  {:<10} {:<13} {:<11} seq {:<8} attempts {:<3} {}  {}\n", d.event_id, d.tenant,
                           to_string(d.service), d.transport_id, d.sequence, d.attempts,
                           format_iso8601_utc(d.died_at), d.reason);
      out << more;
      return kExitOk;
    }
    case DeadLettersCommand::Action::Show: {
      const auto d = outbox.dead_letter(*c.event_id);
      if (!d) {
        err << "ato-bridge dead-letters show: no dead letter with eventId " << *c.event_id << "\n";
        return kExitFailure;
      }
      std::string text;
      JsonWriter json(text);
      write_dead_letter(json, *d, true);
      out << pretty_json(text) << "\n";
      return kExitOk;
    }
    case DeadLettersCommand::Action::Requeue: {
      const EpochMillis now = now_epoch_millis();
      const int n =
          c.event_id ? outbox.requeue_dead(*c.event_id, now) : outbox.requeue_dead(filter_of(c), now);
      if (c.event_id && n == 0) {
        err << "ato-bridge dead-letters requeue: no dead letter with eventId " << *c.event_id << "\n";
        return kExitFailure;
      }
      out << "re-queued " << n << " dead letter(s): they go out with their service's next push\n";
      return kExitOk;
    }
  }
  return kExitFailure;
}

std::function<int(CommandContext&)> run_as(std::shared_ptr<DeadLettersCommand> a,
                                           DeadLettersCommand::Action action) {
  return [a, action](CommandContext& c) {
    a->action = action;
    if (a->all) a->limit = 1'000'000'000;
    return run_dead_letters(*a, c);
  };
}

// --service, --transport, --tenant: which dead letters list and requeue --all take.
std::vector<OptionSpec> filters(DeadLettersCommand& a) {
  return {config_option(),
          option("--service", &a.service, "Only this service: export, import, status_change"),
          option("--transport", &a.transport, "Only this transport (e.g. S4DK900123)"),
          option("--tenant", &a.tenant, "Only this tenant's (e.g. S4T~100)")};
}

}  // namespace

CommandSpec dead_letters_group() {
  return group({"dead-letters"}, "List, show and re-queue events given up on");
}

CommandSpec dead_letters_list_command() {
  auto a = std::make_shared<DeadLettersCommand>();
  auto options = filters(*a);
  options.push_back(
      option("--limit", &a->limit, "At most this many").with_default().check(ValueCheck::range(1, 100000)));
  options.push_back(option("--json", &a->json, "Print JSON"));
  return {{"dead-letters", "list"},
          "List dead letters, newest first",
          std::move(options),
          run_as(a, DeadLettersCommand::Action::List),
          {}};
}

CommandSpec dead_letters_show_command() {
  auto a = std::make_shared<DeadLettersCommand>();
  return {{"dead-letters", "show"},
          "Show one dead letter: reason, every failed attempt, the event",
          {config_option(), option("EVENT_ID", &a->event_id, "The event's eventId").needed()},
          run_as(a, DeadLettersCommand::Action::Show),
          {}};
}

CommandSpec dead_letters_requeue_command() {
  auto a = std::make_shared<DeadLettersCommand>();
  auto options = filters(*a);
  options.push_back(option("EVENT_ID", &a->event_id, "The event's eventId").excluding("--all"));
  options.push_back(option("--all", &a->all, "Every dead letter matching --service/--transport"));
  return {{"dead-letters", "requeue"},
          "Give dead letters another chance: back to pending, attempts reset, history kept",
          std::move(options),
          run_as(a, DeadLettersCommand::Action::Requeue),
          [a] { return !a->event_id && !a->all ? std::string("give an EVENT_ID or --all") : std::string(); }};
}

}  // namespace ato::bridge
