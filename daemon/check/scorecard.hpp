#pragma once
/// The `visionwatch check` scorecard: per route figures over N probes, rendered as a table (one
/// column per route, like a published vision-API benchmark) or as JSON. Pure.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "probes/probe_result.hpp"

namespace visionwatch {

struct route_run {
  std::string route;
  std::string model;
  std::string gateway;
  std::optional<probe_result> control;  ///< the text-only baseline request (first request form)
  std::vector<probe_result> probes;     ///< every shape's, each carrying its shape
  /// The configured shapes, in order; empty: those the probes carry, in order of appearance.
  std::vector<probe_shape> shapes{};
};

/// One shape of a route over its N probes (a route passes only when every shape passes).
struct shape_summary {
  probe_shape shape = probe_shape::plain;
  int probes = 0;
  int passed = 0;  ///< outcome ok
  bool pass = false;
  std::string verdict;  ///< "PASS" or "FAIL: 3/3 no_image_claim"
  std::vector<std::string> reasons;
};

struct route_summary {
  std::string route;
  std::string model;
  std::string gateway;
  int probes = 0;
  int http_ok = 0;  ///< HTTP 2xx responses
  int correct = 0;  ///< right answers (ok, or right answer but image tokens missing)
  int passed = 0;   ///< outcome ok
  int no_image_claims = 0;
  int other_silent = 0;  ///< silent failures other than no_image_claim
  int transport_errors = 0;
  int http_errors = 0;  ///< 4xx, 5xx, 429
  int bad_responses = 0;
  std::optional<double> latency_avg, latency_median, latency_min, latency_max;  ///< seconds
  std::optional<double> first_token_median;  ///< seconds; streamed probes that got text
  std::optional<double> prompt_tokens_avg, completion_tokens_avg;
  std::optional<long long> baseline_prompt_tokens;
  std::optional<double> cost_per_10k;  ///< USD, from the average probe cost
  bool pass = false;
  /// "PASS", "FAIL: 3/3 no_image_claim", or with shapes of which some pass, "FAIL: fails only
  /// with tools: 3/3 no_image_claim".
  std::string verdict;
  std::vector<std::string> reasons;  ///< distinct failure reasons, most frequent first (≤ 3)
  std::vector<shape_summary> shapes{};  ///< one per shape, in configuration order
};

/// A route passes when, for each of its shapes, at least `min_success` of the shape's probes
/// (0..1) are ok.
route_summary summarize(const route_run& run, double min_success);

std::string render_table(const std::vector<route_summary>& routes);
nlohmann::json render_json(const std::vector<route_summary>& routes,
                           const std::vector<route_run>& runs);

}  // namespace visionwatch
