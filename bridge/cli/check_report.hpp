// What `ato-bridge check` found: one result per check (OK, WARN or FAIL, what was checked, a
// detail), printed as text lines as they come, or as one JSON document at the end (`check --json`).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace ato::bridge {

class CheckReport {
 public:
  enum class Status { Ok, Warn, Fail };
  struct Result {
    Status status;
    std::string check;   // what was checked and what was seen
    std::string detail;  // advice under it (text: an indented line), or empty
  };

  // With `echo`, each result is written there as text when it is added (a slow feed does not hold
  // back what is known already).
  explicit CheckReport(std::ostream* echo = nullptr) : echo_(echo) {}

  void add(Status status, std::string check, std::string detail = {});
  void ok(std::string check) { add(Status::Ok, std::move(check)); }
  void warn(std::string check) { add(Status::Warn, std::move(check)); }
  void fail(std::string check, std::string detail = {}) {
    add(Status::Fail, std::move(check), std::move(detail));
  }

  bool passed() const;  // no FAIL
  const std::vector<Result>& results() const { return results_; }
  // {"ok": bool, "checks": [{"status": "ok"|"warn"|"fail", "check": "...", "detail"?: "..."}]}
  std::string json() const;

 private:
  std::ostream* echo_;
  std::vector<Result> results_;
};

}  // namespace ato::bridge
