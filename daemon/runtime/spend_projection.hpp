#pragma once
/// What a configuration will cost a day, per gateway, before it runs: `visionwatch validate`
/// prints it so that a reviewer sees what `interval: 5s` on an expensive model costs before it
/// ships. Probes a day × the tokens a probe of that challenge typically uses × the route's
/// price, plus the control requests, and the worst case of retry_interval. Pure functions of
/// the configuration.

#include <optional>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"

namespace visionwatch {

/// The tokens one request of a route is expected to use.
struct request_tokens {
  long long prompt = 0;
  long long completion = 0;
};

/// An image probe: the prompt text (about 4 characters a token, plus the message framing), each
/// image by the flavour's published rule for the challenge's size and detail (OpenAI tiles:
/// 85 at detail low, else 85 + 170 per 512-px tile; Anthropic and Bedrock: width × height / 750;
/// Gemini: 258 per 768-px tile), and a short answer (10 tokens, at most max_tokens). A
/// user-supplied image counts as challenge width × height.
request_tokens typical_probe_tokens(const route_settings& s, api_flavour api);
/// The text-only control request: the same prompt without the image.
request_tokens typical_control_tokens(const route_settings& s);

/// Image probes of one route in a day when every probe fails (retry mode all day, answers
/// instant): each interval holds its slot and the retries that fit before the next one.
double worst_case_probes_per_day(const route_settings& s);

struct gateway_projection {
  std::string gateway;
  double probes = 0;        ///< image probes a day, every route at its interval
  double control = 0;       ///< control requests a day (one per request form per baseline_interval)
  double worst_probes = 0;  ///< image probes a day if every probe failed (retry_interval)
  double usd = 0;           ///< probes and control requests at their typical tokens
  double worst_usd = 0;     ///< the worst case's probes and the control requests
  bool priced = false;      ///< a route of the gateway has a price
  std::optional<double> budget;  ///< the gateway's budget.daily_usd
};

/// One entry per gateway, in the order of `cfg.gateways`.
std::vector<gateway_projection> project_daily_spend(const config& cfg);

/// "gateway gw: 1440 probes + 24 control requests a day, ~$0.52; if every probe failed
/// (retried at retry_interval): 2880 probes, ~$1.03; budget $2.00 a day".
std::string projection_line(const gateway_projection& p);

/// Warnings for budgets the projection exceeds (a gateway's, and the global one against the
/// sum): its probes would pause before the day ends.
std::vector<std::string> projection_warnings(const config& cfg,
                                             const std::vector<gateway_projection>& projections);

}  // namespace visionwatch
