#pragma once
// How a generated landscape's transports turn out, as shares of those that could (ato-sim serve's
// --import-failure-rate, --import-warning-rate, --approval-rate, --rejection-rate, --forecast-rate).

namespace ato::sim {

struct LandscapeShares {
  double import_failure = 0.1;  // test imports that fail (and are re-imported)
  double import_warning = 0.2;
  double approval = 0.7;   // transports that go through quality approval
  double rejection = 0.1;  // of those, rejected (never forwarded)
  double forecast = 0.3;   // manual test imports preceded by a forecast (a check, nothing imported)
};

}  // namespace ato::sim
