#include "daemon/runtime/spend_projection.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "daemon/runtime/probe_runner.hpp"
#include "daemon/runtime/probe_shapes.hpp"
#include "probes/challenge.hpp"

namespace visionwatch {
namespace {

constexpr double day_ms = 86'400'000.0;
/// What an answer of a generated challenge takes: a few words or numbers (6 to 12 tokens in the
/// replies of real routes, fixtures/real-replies.json).
constexpr long long typical_answer_tokens = 10;
/// The chat framing around one user message (role, separators), roughly.
constexpr long long message_framing_tokens = 8;

long long text_tokens(std::string_view text) {
  return static_cast<long long>((text.size() + 3) / 4) + message_framing_tokens;
}

long long ceil_div(double a, double b) { return static_cast<long long>(std::ceil(a / b)); }

/// OpenAI's tile models (gpt-4o, gpt-4.1): fit in 2048 × 2048, shortest side down to 768, then
/// 170 per 512-px tile on top of 85; detail low is the 85 alone.
long long openai_image_tokens(double w, double h, std::string_view detail) {
  if (detail == "low") {
    return 85;
  }
  const double fit = std::min(1.0, 2048.0 / std::max(w, h));
  w *= fit;
  h *= fit;
  const double shrink = std::min(1.0, 768.0 / std::min(w, h));
  return 85 + 170 * ceil_div(w * shrink, 512) * ceil_div(h * shrink, 512);
}

/// Anthropic (and Claude on Bedrock): width × height / 750 after the long edge is brought down
/// to 1568 px, about 1,600 at most.
long long anthropic_image_tokens(double w, double h) {
  const double fit = std::min(1.0, 1568.0 / std::max(w, h));
  return std::min<long long>(1600, ceil_div(w * fit * h * fit, 750));
}

/// Gemini 2.x: 258 when both sides are at most 384 px, else 258 per tile of
/// min(width, height) / 1.5.
long long gemini_image_tokens(double w, double h) {
  if (w <= 384 && h <= 384) {
    return 258;
  }
  const double crop = std::floor(std::min(w, h) / 1.5);
  return 258 * ceil_div(w, crop) * ceil_div(h, crop);
}

long long image_tokens(const challenge_config& c, api_flavour api) {
  const auto w = static_cast<double>(c.width);
  const auto h = static_cast<double>(c.height);
  switch (api) {
    case api_flavour::openai_chat:
    case api_flavour::openai_responses:
    case api_flavour::azure_openai:
      return openai_image_tokens(w, h, c.detail);
    case api_flavour::anthropic_messages:
    case api_flavour::bedrock_converse:
      return anthropic_image_tokens(w, h);
    case api_flavour::gemini:
      return gemini_image_tokens(w, h);
  }
  return openai_image_tokens(w, h, c.detail);
}

std::string prompt_of(const challenge_config& c) {
  return c.custom() ? c.prompt : question_for(c.kind, std::max(1, c.images));
}

double cost(const request_tokens& t, const price_config& price) {
  usage u;
  u.prompt_tokens = t.prompt;
  u.completion_tokens = t.completion;
  return probe_cost(u, price);
}

std::string dollars(double v) {
  std::array<char, 48> buf{};
  std::snprintf(buf.data(), buf.size(), v > 0 && v < 1 ? "$%.4f" : "$%.2f", v);
  return buf.data();
}

std::string count(double v) {
  std::array<char, 48> buf{};
  std::snprintf(buf.data(), buf.size(), "%.0f", v);
  return buf.data();
}

}  // namespace

request_tokens typical_control_tokens(const route_settings& s) {
  return {text_tokens(prompt_of(s.challenge)),
          std::min<long long>(typical_answer_tokens, s.challenge.max_tokens)};
}

request_tokens typical_probe_tokens(const route_settings& s, api_flavour api) {
  const auto& c = s.challenge;
  auto t = typical_control_tokens(s);
  t.prompt += image_tokens(c, api) * (c.custom() ? 1 : std::max(1, c.images));
  return t;
}

double worst_case_probes_per_day(const route_settings& s) {
  const auto interval = static_cast<double>(std::max<long long>(s.interval.count(), 1));
  const auto retry = static_cast<double>(std::max<long long>(s.effective_retry_interval().count(), 1));
  // The slot, then a retry every retry_interval while one still comes before the next slot.
  const double per_interval = retry < interval ? std::ceil(interval / retry) : 1;
  return day_ms / interval * per_interval;
}

std::vector<gateway_projection> project_daily_spend(const config& cfg) {
  std::vector<gateway_projection> out;
  std::unordered_map<std::string_view, std::size_t> index;
  for (const auto& g : cfg.gateways) {
    index.emplace(g.name, out.size());
    gateway_projection p;
    p.gateway = g.name;
    p.budget = g.budget.daily_usd;
    out.push_back(std::move(p));
  }
  for (const auto& r : cfg.routes) {
    const auto it = index.find(r.gateway);
    if (it == index.end()) {
      continue;
    }
    auto& p = out[it->second];
    const auto& s = r.settings;
    const auto api = cfg.gateways[it->second].api;
    const double probes = day_ms / static_cast<double>(std::max<long long>(s.interval.count(), 1));
    // One control request per request form (plain, system, tools, history) per
    // baseline_interval.
    const double control =
        day_ms / static_cast<double>(control_interval(s.baseline_interval, s.shapes).count());
    const double worst = worst_case_probes_per_day(s);
    const double per_probe = cost(typical_probe_tokens(s, api), s.price);
    const double per_control = cost(typical_control_tokens(s), s.price);
    p.probes += probes;
    p.control += control;
    p.worst_probes += worst;
    p.usd += probes * per_probe + control * per_control;
    p.worst_usd += worst * per_probe + control * per_control;
    p.priced = p.priced || s.price.input_per_million > 0 || s.price.output_per_million > 0;
  }
  return out;
}

std::string projection_line(const gateway_projection& p) {
  const auto usd = [&p](double v) { return p.priced ? ", ~" + dollars(v) : std::string(); };
  std::string line = "gateway " + p.gateway + ": " + count(p.probes) + " probes + " +
                     count(p.control) + " control requests a day" + usd(p.usd);
  if (p.worst_probes > p.probes + 0.5) {
    line += "; if every probe failed (retried at retry_interval): " + count(p.worst_probes) +
            " probes" + usd(p.worst_usd);
  }
  if (!p.priced) {
    line += "; no price set";
  }
  if (p.budget) {
    line += "; budget " + dollars(*p.budget) + " a day";
  }
  return line;
}

std::vector<std::string> projection_warnings(const config& cfg,
                                             const std::vector<gateway_projection>& projections) {
  std::vector<std::string> out;
  double total = 0;
  for (const auto& p : projections) {
    total += p.usd;
    if (p.budget && p.usd > *p.budget) {
      out.push_back("gateway " + p.gateway + ": the projected spend of " + dollars(p.usd) +
                    " a day is over its budget of " + dollars(*p.budget) +
                    "; its probes will pause before the day ends (UTC)");
    }
  }
  if (cfg.global.budget.daily_usd && total > *cfg.global.budget.daily_usd) {
    out.push_back("the projected spend of " + dollars(total) +
                  " a day is over global.budget.daily_usd " +
                  dollars(*cfg.global.budget.daily_usd) +
                  "; every gateway's probes will pause before the day ends (UTC)");
  }
  return out;
}

}  // namespace visionwatch
