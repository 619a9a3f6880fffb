#pragma once
/// What the deploy artefacts (Prometheus rules, Grafana dashboard) may query: the metric names
/// visionwatch exports, and the names a PromQL expression uses.

#include <set>
#include <string>
#include <string_view>

namespace visionwatch::test {

/// Every family name (`# TYPE` line) and every sample name (`_bucket`, `_sum`, `_count`
/// included) in the exposition of a metrics object where every family has a series: a route
/// with probes recorded (window figures set), a control request, a skipped probe, an alert
/// series, a receiver with notifications, a scheduler lag observation and a successful reload.
std::set<std::string> exported_metric_names();
/// The subset of those names whose samples carry a `route` label.
std::set<std::string> route_metric_names();

/// The names a PromQL expression (or a Grafana query using `$variables`) reads.
struct promql_names {
  std::set<std::string> metrics;   ///< identifiers that start with `visionwatch_`
  std::set<std::string> recorded;  ///< recording-rule names (`level:metric:operations`)
};
/// Tokenises the expression: string literals and `$variables` are skipped, durations and
/// numbers are not identifiers, so a label value or a legend never counts as a metric.
promql_names names_in_promql(std::string_view expression);

}  // namespace visionwatch::test
