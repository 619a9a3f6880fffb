#include "daemon/check/scorecard.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <numeric>

namespace visionwatch {
namespace {

std::string fmt(const char* format, double v) {
  std::array<char, 64> buf{};
  std::snprintf(buf.data(), buf.size(), format, v);
  return buf.data();
}

std::string seconds(const std::optional<double>& v) { return v ? fmt("%.2fs", *v) : "-"; }

std::string fraction(int num, int den) { return std::to_string(num) + "/" + std::to_string(den); }

std::string outcome_label(const probe_result& p) { return std::string(to_string(p.result)); }

/// Whether a set of probes passes, its most frequent failure ("3/3 no_image_claim") and its
/// distinct failure reasons, most frequent first (at most 3).
struct set_verdict {
  int passed = 0;
  bool pass = false;
  std::string worst;
  std::vector<std::string> reasons;
};

set_verdict judge_set(const std::vector<const probe_result*>& probes, double min_success) {
  set_verdict v;
  std::map<std::string, int> failures;  // outcome → count
  std::map<std::string, int> reasons;
  for (const auto* p : probes) {
    v.passed += p->success() ? 1 : 0;
    if (!p->success()) {
      ++failures[outcome_label(*p)];
      ++reasons[p->reason];
    }
  }
  const auto n = static_cast<int>(probes.size());
  v.pass = n > 0 && static_cast<double>(v.passed) >= min_success * n - 1e-9;
  if (n == 0) {
    v.worst = "no probes ran";
  } else if (!failures.empty()) {
    const auto worst =
        std::max_element(failures.begin(), failures.end(), [](const auto& a, const auto& b) {
          return a.second < b.second;
        });
    v.worst = fraction(worst->second, n) + " " + worst->first;
  }
  std::vector<std::pair<std::string, int>> by_count(reasons.begin(), reasons.end());
  std::stable_sort(by_count.begin(), by_count.end(), [](const auto& a, const auto& b) {
    return a.second > b.second;
  });
  for (std::size_t i = 0; i < by_count.size() && i < 3; ++i) {
    v.reasons.push_back(by_count[i].first);
  }
  return v;
}

/// The route's shapes: the configured ones, else those its probes carry.
std::vector<probe_shape> shapes_of(const route_run& run) {
  if (!run.shapes.empty()) {
    return run.shapes;
  }
  std::vector<probe_shape> out;
  for (const auto& p : run.probes) {
    if (std::find(out.begin(), out.end(), p.shape) == out.end()) {
      out.push_back(p.shape);
    }
  }
  return out.empty() ? std::vector<probe_shape>{probe_shape::plain} : out;
}

/// The route's verdict from its shapes' (several shapes of which some pass: the failing ones
/// are named) or, for one shape or none passing, from all its probes.
std::string route_verdict(const route_summary& s, const set_verdict& all) {
  if (s.pass) {
    return "PASS";
  }
  const bool some_pass = std::any_of(
      s.shapes.begin(), s.shapes.end(), [](const shape_summary& sh) { return sh.pass; });
  if (s.shapes.size() < 2 || !some_pass) {
    return "FAIL: " + all.worst;
  }
  std::vector<const shape_summary*> failing;
  for (const auto& sh : s.shapes) {
    if (!sh.pass) {
      failing.push_back(&sh);
    }
  }
  std::string out = "FAIL: fails only with ";
  for (std::size_t i = 0; i < failing.size(); ++i) {
    const auto name = to_string(failing[i]->shape);
    const auto worst =
        std::string_view(failing[i]->verdict).substr(std::string_view("FAIL: ").size());
    if (failing.size() == 1) {
      out.append(name).append(": ").append(worst);
    } else {
      out.append(i == 0 ? "" : ", ").append(name).append(" (").append(worst).append(")");
    }
  }
  return out;
}

}  // namespace

route_summary summarize(const route_run& run, double min_success) {
  route_summary s;
  s.route = run.route;
  s.model = run.model;
  s.gateway = run.gateway;
  s.probes = static_cast<int>(run.probes.size());
  std::vector<double> latencies;
  std::vector<double> first_tokens;
  double prompt_sum = 0;
  double completion_sum = 0;
  double cost_sum = 0;
  int prompt_n = 0;
  int completion_n = 0;
  for (const auto& p : run.probes) {
    const bool http_ok =
        !is_transport_error(p.result) && p.http_status >= 200 && p.http_status < 300;
    s.http_ok += http_ok ? 1 : 0;
    s.passed += p.success() ? 1 : 0;
    s.correct += (p.success() || p.result == outcome::image_tokens_missing) ? 1 : 0;
    s.no_image_claims += p.result == outcome::no_image_claim ? 1 : 0;
    s.other_silent += (p.silent() && p.result != outcome::no_image_claim) ? 1 : 0;
    s.transport_errors += is_transport_error(p.result) ? 1 : 0;
    s.http_errors += (p.result == outcome::http_4xx || p.result == outcome::http_5xx ||
                      p.result == outcome::rate_limited)
                         ? 1
                         : 0;
    s.bad_responses += p.result == outcome::bad_response ? 1 : 0;
    if (!is_transport_error(p.result)) {
      latencies.push_back(p.latency_seconds);
    }
    if (p.phases.first_token) {
      first_tokens.push_back(*p.phases.first_token);
    }
    if (p.tokens.prompt_tokens) {
      prompt_sum += static_cast<double>(*p.tokens.prompt_tokens);
      ++prompt_n;
    }
    if (p.tokens.completion_tokens) {
      completion_sum += static_cast<double>(*p.tokens.completion_tokens);
      ++completion_n;
    }
    cost_sum += p.cost_usd;
  }
  if (!latencies.empty()) {
    std::sort(latencies.begin(), latencies.end());
    const auto n = latencies.size();
    s.latency_min = latencies.front();
    s.latency_max = latencies.back();
    s.latency_avg =
        std::accumulate(latencies.begin(), latencies.end(), 0.0) / static_cast<double>(n);
    s.latency_median =
        n % 2 == 1 ? latencies[n / 2] : (latencies[n / 2 - 1] + latencies[n / 2]) / 2;
  }
  if (!first_tokens.empty()) {
    std::sort(first_tokens.begin(), first_tokens.end());
    const auto n = first_tokens.size();
    s.first_token_median = n % 2 == 1 ? first_tokens[n / 2]
                                      : (first_tokens[n / 2 - 1] + first_tokens[n / 2]) / 2;
  }
  if (prompt_n > 0) {
    s.prompt_tokens_avg = prompt_sum / prompt_n;
  }
  if (completion_n > 0) {
    s.completion_tokens_avg = completion_sum / completion_n;
  }
  if (run.control && run.control->success() && run.control->tokens.prompt_tokens) {
    s.baseline_prompt_tokens = run.control->tokens.prompt_tokens;
  }
  if (s.probes > 0 && (prompt_n > 0 || cost_sum > 0)) {
    s.cost_per_10k = cost_sum / s.probes * 10'000;
  }
  std::vector<const probe_result*> all;
  all.reserve(run.probes.size());
  for (const auto& p : run.probes) {
    all.push_back(&p);
  }
  const auto whole = judge_set(all, min_success);
  for (const auto shape : shapes_of(run)) {
    std::vector<const probe_result*> mine;
    for (const auto* p : all) {
      if (p->shape == shape) {
        mine.push_back(p);
      }
    }
    auto v = judge_set(mine, min_success);
    s.shapes.push_back({shape,
                        static_cast<int>(mine.size()),
                        v.passed,
                        v.pass,
                        v.pass ? "PASS" : "FAIL: " + v.worst,
                        std::move(v.reasons)});
  }
  // Every shape must pass: a route that loses the image only with tools fails.
  s.pass = s.probes > 0 &&
           std::all_of(s.shapes.begin(), s.shapes.end(), [](const auto& sh) { return sh.pass; });
  s.verdict = route_verdict(s, whole);
  s.reasons = whole.reasons;
  return s;
}

std::string render_table(const std::vector<route_summary>& routes) {
  struct row {
    std::string label;
    std::vector<std::string> cells;
  };
  std::vector<row> rows;
  auto add = [&](std::string label, auto cell_of) {
    row r{std::move(label), {}};
    for (const auto& s : routes) {
      r.cells.push_back(cell_of(s));
    }
    rows.push_back(std::move(r));
  };
  add("route", [](const route_summary& s) { return s.route; });
  add("model", [](const route_summary& s) { return s.model; });
  add("HTTP success", [](const route_summary& s) { return fraction(s.http_ok, s.probes); });
  add("correct recognition", [](const route_summary& s) { return fraction(s.correct, s.probes); });
  add("no-image claims", [](const route_summary& s) { return std::to_string(s.no_image_claims); });
  add("other silent failures",
      [](const route_summary& s) { return std::to_string(s.other_silent); });
  add("transport / HTTP errors", [](const route_summary& s) {
    return std::to_string(s.transport_errors) + " / " + std::to_string(s.http_errors);
  });
  add("latency avg", [](const route_summary& s) { return seconds(s.latency_avg); });
  add("latency median", [](const route_summary& s) { return seconds(s.latency_median); });
  add("latency fastest", [](const route_summary& s) { return seconds(s.latency_min); });
  add("latency slowest", [](const route_summary& s) { return seconds(s.latency_max); });
  if (std::any_of(routes.begin(), routes.end(), [](const auto& s) {
        return s.first_token_median.has_value();
      })) {
    add("time to first token median",
        [](const route_summary& s) { return seconds(s.first_token_median); });
  }
  add("prompt tokens avg", [](const route_summary& s) {
    return s.prompt_tokens_avg ? fmt("%.1f", *s.prompt_tokens_avg) : std::string("-");
  });
  add("completion tokens avg", [](const route_summary& s) {
    return s.completion_tokens_avg ? fmt("%.1f", *s.completion_tokens_avg) : std::string("-");
  });
  add("text-only baseline", [](const route_summary& s) {
    return s.baseline_prompt_tokens ? std::to_string(*s.baseline_prompt_tokens) : std::string("-");
  });
  add("cost per 10k probes", [](const route_summary& s) {
    return s.cost_per_10k ? fmt("$%.2f", *s.cost_per_10k) : std::string("-");
  });
  // A row per shape, only when some route has more than `[plain]` (the default table is as
  // it was).
  std::vector<probe_shape> shapes;
  for (const auto& s : routes) {
    for (const auto& sh : s.shapes) {
      if (std::find(shapes.begin(), shapes.end(), sh.shape) == shapes.end()) {
        shapes.push_back(sh.shape);
      }
    }
  }
  if (shapes.size() > 1 || (shapes.size() == 1 && shapes.front() != probe_shape::plain)) {
    for (const auto shape : shapes) {
      add("shape " + std::string(to_string(shape)), [shape](const route_summary& s) {
        for (const auto& sh : s.shapes) {
          if (sh.shape == shape) {
            return sh.verdict + " (" + fraction(sh.passed, sh.probes) + " ok)";
          }
        }
        return std::string("-");
      });
    }
  }
  add("verdict", [](const route_summary& s) { return s.verdict; });

  std::size_t label_w = 0;
  for (const auto& r : rows) {
    label_w = std::max(label_w, r.label.size());
  }
  std::vector<std::size_t> col_w(routes.size(), 0);
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.cells.size(); ++i) {
      col_w[i] = std::max(col_w[i], r.cells[i].size());
    }
  }
  std::string out;
  for (std::size_t ri = 0; ri < rows.size(); ++ri) {
    const auto& r = rows[ri];
    out += r.label;
    out.append(label_w - r.label.size(), ' ');
    for (std::size_t i = 0; i < r.cells.size(); ++i) {
      out += "  ";
      out += r.cells[i];
      if (i + 1 < r.cells.size()) {
        out.append(col_w[i] - r.cells[i].size(), ' ');
      }
    }
    out += '\n';
    if (ri == 1) {  // under the header rows
      out.append(label_w, '-');
      for (auto w : col_w) {
        out += "  ";
        out.append(w, '-');
      }
      out += '\n';
    }
  }
  bool any_reason = false;
  for (const auto& s : routes) {
    for (const auto& reason : s.reasons) {
      if (!any_reason) {
        out += "\nfailure reasons:\n";
        any_reason = true;
      }
      out += "  " + s.route + ": " + reason + "\n";
    }
  }
  return out;
}

nlohmann::json render_json(const std::vector<route_summary>& routes,
                           const std::vector<route_run>& runs) {
  auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json out = nlohmann::json::object();
  out["passed"] = std::all_of(routes.begin(), routes.end(), [](const auto& s) { return s.pass; });
  out["routes"] = nlohmann::json::array();
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const auto& s = routes[i];
    nlohmann::json r = {
        {"route", s.route},
        {"model", s.model},
        {"gateway", s.gateway},
        {"pass", s.pass},
        {"verdict", s.verdict},
        {"probes", s.probes},
        {"http_success", s.http_ok},
        {"correct", s.correct},
        {"ok", s.passed},
        {"no_image_claims", s.no_image_claims},
        {"other_silent_failures", s.other_silent},
        {"transport_errors", s.transport_errors},
        {"http_errors", s.http_errors},
        {"bad_responses", s.bad_responses},
        {"latency_seconds",
         {{"avg", opt(s.latency_avg)},
          {"median", opt(s.latency_median)},
          {"min", opt(s.latency_min)},
          {"max", opt(s.latency_max)}}},
        {"first_token_seconds_median", opt(s.first_token_median)},
        {"prompt_tokens_avg", opt(s.prompt_tokens_avg)},
        {"completion_tokens_avg", opt(s.completion_tokens_avg)},
        {"baseline_prompt_tokens", opt(s.baseline_prompt_tokens)},
        {"cost_per_10k_usd", opt(s.cost_per_10k)},
        {"reasons", s.reasons},
    };
    nlohmann::json shapes = nlohmann::json::array();
    for (const auto& sh : s.shapes) {
      shapes.push_back({{"shape", std::string(to_string(sh.shape))},
                        {"probes", sh.probes},
                        {"ok", sh.passed},
                        {"pass", sh.pass},
                        {"verdict", sh.verdict},
                        {"reasons", sh.reasons}});
    }
    r["shapes"] = std::move(shapes);
    nlohmann::json list = nlohmann::json::array();
    if (i < runs.size()) {
      for (const auto& p : runs[i].probes) {
        list.push_back({{"sequence", p.sequence},
                        {"seed", std::to_string(p.seed)},
                        {"shape", std::string(to_string(p.shape))},
                        {"outcome", std::string(to_string(p.result))},
                        {"reason", p.reason},
                        {"note",
                         p.note == probe_note::none ? nlohmann::json(nullptr)
                                                    : nlohmann::json(to_string(p.note))},
                        {"http_status", p.http_status},
                        {"latency_seconds", p.latency_seconds},
                        {"phases",
                         {{"dns", p.phases.dns},
                          {"connect", p.phases.connect},
                          {"tls", p.phases.tls},
                          {"send", p.phases.send},
                          {"ttfb", p.phases.ttfb},
                          {"transfer", p.phases.transfer},
                          {"first_token", opt(p.phases.first_token)}}},
                        {"prompt_tokens", opt(p.tokens.prompt_tokens)},
                        {"completion_tokens", opt(p.tokens.completion_tokens)},
                        {"expected", p.expected},
                        {"answer", p.answer_excerpt},
                        {"cost_usd", p.cost_usd}});
      }
    }
    r["results"] = std::move(list);
    out["routes"].push_back(std::move(r));
  }
  return out;
}

}  // namespace visionwatch
