#include "bridge/cli/check_report.hpp"

#include <algorithm>
#include <ostream>

#include "core/json_writer.hpp"

namespace ato::bridge {

void CheckReport::add(Status status, std::string check, std::string detail) {
  if (echo_) {
    *echo_ << (status == Status::Ok     ? "OK    "
               : status == Status::Warn ? "WARN  "
                                        : "FAIL  ")
           << check << "\n";
    if (!detail.empty()) *echo_ << "      " << detail << "\n";
  }
  results_.push_back({status, std::move(check), std::move(detail)});
}

bool CheckReport::passed() const {
  return std::none_of(results_.begin(), results_.end(),
                      [](const Result& r) { return r.status == Status::Fail; });
}

std::string CheckReport::json() const {
  std::string out;
  JsonWriter json(out);
  json.begin_object().field("ok", passed()).key("checks").begin_array();
  for (const auto& r : results_) {
    json.begin_object()
        .field("status", r.status == Status::Ok     ? "ok"
                         : r.status == Status::Warn ? "warn"
                                                    : "fail")
        .field("check", r.check);
    if (!r.detail.empty()) json.field("detail", r.detail);
    json.end_object();
  }
  json.end_array().end_object();
  return out;
}

}  // namespace ato::bridge
