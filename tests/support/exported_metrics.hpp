#pragma once
/// Reading the Prometheus text exposition visionwatch exports: its samples (a scrape of the
/// running daemon), the metric names the deploy artefacts (Prometheus rules, Grafana dashboard)
/// may query, and the names a PromQL expression uses. The tests' one exposition parser.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace visionwatch::test {

/// One sample line: `name{labels} value` (a timestamp after the value is ignored).
struct metric_sample {
  std::string name;
  std::map<std::string, std::string> labels;  ///< values unescaped (\\, \", \n)
  double value = 0;
};

/// `labels` holds every pair of `subset` (and maybe others): the sample is one of the series
/// `subset` selects.
bool has_labels(const std::map<std::string, std::string>& labels,
                const std::map<std::string, std::string>& subset);

/// Every sample of `exposition`; comment lines and lines that do not parse are skipped.
std::vector<metric_sample> parse_exposition(std::string_view exposition);

/// The sum of the samples named `name` whose labels include every `labels` pair (one series
/// when the pairs name it); nullopt when no sample matches.
std::optional<double> metric_value(std::string_view exposition,
                                   std::string_view name,
                                   const std::map<std::string, std::string>& labels = {});

/// Every family name (`# TYPE` line) and every sample name (`_bucket`, `_sum`, `_count`
/// included) in the exposition of a metrics object where every family has a series: a route
/// with probes recorded (window figures set), a control request, a skipped probe, a gateway,
/// an alert series, a receiver with notifications, a scheduler lag observation and a successful
/// reload.
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
