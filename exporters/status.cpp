#include "exporters/status.hpp"
#include "probes/utc_time.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace visionwatch {
namespace {

using nlohmann::json;

template <typename T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}


std::string fixed(double v, int digits) {
  std::array<char, 48> buf{};
  std::snprintf(buf.data(), buf.size(), "%.*f", digits, v);
  return buf.data();
}

std::string seconds_text(const std::optional<double>& v) { return v ? fixed(*v, 2) + " s" : "–"; }

std::string percent_text(const std::optional<double>& v) {
  return v ? fixed(*v * 100, 1) + " %" : "–";
}

std::string ago(std::chrono::system_clock::time_point now,
                std::chrono::system_clock::time_point t) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(now - t).count();
  if (s < 0) {
    return "just now";
  }
  if (s < 120) {
    return std::to_string(s) + " s ago";
  }
  if (s < 7200) {
    return std::to_string(s / 60) + " min ago";
  }
  return std::to_string(s / 3600) + " h ago";
}

std::string usd(double v) { return "$" + fixed(v, v < 1 ? 4 : 2); }

/// The status page's budget line: spend against each budget, paused gateways marked.
std::string budget_line(const status_view& s) {
  if (s.budgets.empty()) {
    return {};
  }
  std::string h;
  if (s.global_daily_usd) {
    h += "<span>spent today " + usd(s.spent_today_usd) + " of " + usd(*s.global_daily_usd) +
         " (global budget)</span>";
  }
  const std::string resume =
      s.budget_resumes_at ? format_rfc3339(*s.budget_resumes_at) : std::string("midnight UTC");
  for (const auto& b : s.budgets) {
    if (!b.paused_by.empty()) {
      h += R"(<span class="badge fail">gateway )" + html_escape(b.gateway) + ": " +
           (b.paused_by == "global" ? std::string("global") : std::string("daily")) +
           " budget spent (" + usd(b.spent_usd) +
           (b.daily_usd ? " of " + usd(*b.daily_usd) : std::string()) +
           "), probes paused until " + resume + "</span>";
    } else if (b.daily_usd) {
      h += "<span>gateway " + html_escape(b.gateway) + ": " + usd(b.spent_usd) + " of " +
           usd(*b.daily_usd) + " today</span>";
    }
  }
  return h;
}

const char* outcome_class(outcome o) {
  if (o == outcome::ok) {
    return "ok";
  }
  return is_silent_failure(o) ? "silent" : "fail";
}

const char* outcome_class(const probe_result& r) { return outcome_class(r.result); }

/// Whether the page shows the route's shapes as rows: they are more than `[plain]`.
bool shape_rows(const route_view& r) {
  return r.shapes.size() > 1 || (r.shapes.size() == 1 && r.shapes.front().shape != "plain");
}

/// The card's colour: with shape rows, the worst of the shapes' latest outcomes (a route that
/// fails one shape of several stays marked between that shape's probes); else the last probe's.
const char* card_class(const route_view& r) {
  if (shape_rows(r)) {
    const char* worst = nullptr;
    for (const auto& sh : r.shapes) {
      if (!sh.last) {
        continue;
      }
      const char* c = outcome_class(*sh.last);
      if (worst == nullptr || std::string_view(worst) == "ok" ||
          (std::string_view(worst) == "silent" && std::string_view(c) == "fail")) {
        worst = c;
      }
    }
    if (worst != nullptr) {
      return worst;
    }
  }
  return r.recent.empty() ? "none" : outcome_class(r.recent.front());
}

/// The route's shapes, one row each: latest outcome (its reason on hover), success in the
/// window, and the route's summary line above them.
std::string shapes_html(const route_view& r) {
  std::string h;
  if (!r.shapes_summary.empty()) {
    h += "<div class=\"reason\">" + html_escape(r.shapes_summary) + "</div>";
  }
  h += "<table class=\"shapes\">";
  for (const auto& sh : r.shapes) {
    h += "<tr><td>shape " + html_escape(sh.shape) + "</td><td>";
    if (sh.last) {
      h += "<span class=\"badge ";
      h += outcome_class(*sh.last);
      h += "\"";
      if (!sh.reason.empty()) {
        h += " title=\"" + html_escape(sh.reason) + "\"";
      }
      h += ">" + html_escape(to_string(*sh.last)) + "</span>";
    } else {
      h += "<span class=\"badge muted\">no probe yet</span>";
    }
    h += "</td><td>" + html_escape(percent_text(sh.success_ratio)) + " of " +
         std::to_string(sh.window_probes) + "</td></tr>";
  }
  return h + "</table>";
}

json shape_json(const shape_view& sh) {
  return json{
      {"shape", sh.shape},
      {"outcome", sh.last ? json(std::string(to_string(*sh.last))) : json(nullptr)},
      {"reason", sh.reason.empty() ? json(nullptr) : json(sh.reason)},
      {"last_at",
       sh.last_at ? json(format_rfc3339(*sh.last_at, utc_precision::milliseconds)) : json(nullptr)},
      {"window_probes", sh.window_probes},
      {"success_ratio", opt(sh.success_ratio)},
      {"baseline_prompt_tokens", opt(sh.baseline_prompt_tokens)},
  };
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

json probe_result_json(const probe_result& r) {
  return json{
      {"route", r.route},
      {"sequence", r.sequence},
      {"seed", std::to_string(r.seed)},
      {"kind", r.control ? "control" : (r.custom ? "custom" : std::string(to_string(r.kind)))},
      {"shape", std::string(to_string(r.shape))},
      {"outcome", std::string(to_string(r.result))},
      {"silent", r.silent()},
      {"reason", r.reason},
      {"note", r.note == probe_note::none ? json(nullptr) : json(to_string(r.note))},
      {"http_status", r.http_status},
      {"latency_seconds", r.latency_seconds},
      {"phases",
       {{"dns", r.phases.dns},
        {"connect", r.phases.connect},
        {"tls", r.phases.tls},
        {"send", r.phases.send},
        {"ttfb", r.phases.ttfb},
        {"transfer", r.phases.transfer},
        {"first_token", opt(r.phases.first_token)}}},
      {"tokens",
       {{"prompt", opt(r.tokens.prompt_tokens)},
        {"completion", opt(r.tokens.completion_tokens)},
        {"image", opt(r.tokens.image_tokens)},
        {"cached", opt(r.tokens.cached_tokens)}}},
      {"usage_missing", r.usage_missing},
      {"baseline_prompt_tokens", opt(r.baseline_prompt_tokens)},
      {"cost_usd", r.cost_usd},
      {"expected", r.expected},
      {"answer", r.answer_excerpt},
      {"started_at", format_rfc3339(r.started_at, utc_precision::milliseconds)},
  };
}

json route_json(const route_view& r) {
  json alerts = json::array();
  for (const auto& a : r.alerts) {
    alerts.push_back({{"rule", a.rule},
                      {"state", a.state},
                      {"silenced", a.silenced},
                      {"since", a.since ? json(format_rfc3339(*a.since, utc_precision::milliseconds)) : json(nullptr)}});
  }
  json recent = json::array();
  for (const auto& p : r.recent) {
    recent.push_back(probe_result_json(p));
  }
  json shapes = json::array();
  for (const auto& sh : r.shapes) {
    shapes.push_back(shape_json(sh));
  }
  return json{
      {"route", r.route},
      {"model", r.model},
      {"gateway", r.gateway},
      {"api", r.api},
      {"challenge", r.challenge},
      {"interval_seconds", static_cast<double>(r.interval.count()) / 1000.0},
      {"baseline_prompt_tokens", opt(r.baseline_prompt_tokens)},
      {"baseline_at",
       r.baseline_at ? json(format_rfc3339(*r.baseline_at, utc_precision::milliseconds))
                     : json(nullptr)},
      {"window",
       {{"probes", r.window.probes},
        {"success_ratio", opt(r.window.success_ratio)},
        {"silent_failures", r.silent_failures},
        {"latency_seconds",
         {{"p50", opt(r.window.latency_p50)},
          {"p90", opt(r.window.latency_p90)},
          {"p99", opt(r.window.latency_p99)},
          {"max", opt(r.window.latency_max)}}},
        {"cost_per_success_usd", opt(r.window.cost_per_success_usd)}}},
      {"deferred_until",
       r.deferred_until ? json(format_rfc3339(*r.deferred_until, utc_precision::milliseconds))
                        : json(nullptr)},
      {"retry_mode", r.retrying},
      {"retry_interval_seconds", static_cast<double>(r.retry_interval.count()) / 1000.0},
      {"alerts", std::move(alerts)},
      {"shapes", std::move(shapes)},
      {"shapes_summary", r.shapes_summary.empty() ? json(nullptr) : json(r.shapes_summary)},
      {"results", std::move(recent)},
  };
}

json status_json(const status_view& s) {
  json routes = json::array();
  for (const auto& r : s.routes) {
    routes.push_back(route_json(r));
  }
  json warnings = json::array();
  for (const auto& w : s.gateway_warnings) {
    warnings.push_back({{"gateway", w.gateway},
                        {"max_concurrency", w.max_concurrency},
                        {"demand", w.demand},
                        {"skipped_probes", w.skipped}});
  }
  json budgets = json::array();
  for (const auto& b : s.budgets) {
    budgets.push_back({{"gateway", b.gateway},
                       {"spent_usd", b.spent_usd},
                       {"daily_usd", opt(b.daily_usd)},
                       {"exhausted", !b.paused_by.empty()},
                       {"paused_by", b.paused_by.empty() ? json(nullptr) : json(b.paused_by)}});
  }
  return json{{"version", s.version},
              {"revision", s.revision},
              {"started_at", format_rfc3339(s.started_at, utc_precision::milliseconds)},
              {"now", format_rfc3339(s.now, utc_precision::milliseconds)},
              {"config_last_reload_successful", s.last_reload_ok},
              {"shard", s.shard},
              {"shards", s.shards},
              {"gateway_warnings", std::move(warnings)},
              {"budget",
               {{"daily_usd", opt(s.global_daily_usd)},
                {"spent_usd", s.spent_today_usd},
                {"resumes_at",
                 s.budget_resumes_at ? json(format_rfc3339(*s.budget_resumes_at)) : json(nullptr)},
                {"gateways", std::move(budgets)}}},
              {"routes", std::move(routes)}};
}

std::string status_html(const status_view& s) {
  std::size_t healthy = 0;
  std::size_t silent = 0;
  for (const auto& r : s.routes) {
    const std::string_view cls = card_class(r);
    healthy += cls == "ok" ? 1U : 0U;
    silent += cls == "silent" ? 1U : 0U;
  }
  std::string h;
  h.reserve(4096 + s.routes.size() * 4096);
  h += R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>visionwatch</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:12px 20px;display:flex;gap:24px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:18px;margin:0}header span{opacity:.8}
main{padding:16px 20px;display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:16px}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:14px 16px;border-top:4px solid #999}
.card.ok{border-color:#2e9d4f}.card.silent{border-color:#d9822b}.card.fail{border-color:#c23030}
.card h2{font-size:15px;margin:0 0 2px;word-break:break-all}.sub{color:#5c6370;font-size:12px;margin-bottom:8px}
table{border-collapse:collapse;width:100%;font-size:13px}td{padding:2px 0}td:last-child{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;border-radius:4px;padding:1px 6px;font-size:12px;font-weight:600;color:#fff}
.badge.ok{background:#2e9d4f}.badge.silent{background:#d9822b}.badge.fail{background:#c23030}.badge.firing{background:#c23030}.badge.muted{background:#8a8f98}
.reason{margin:8px 0 4px;font-size:12px;color:#333;background:#fbf3e8;border-radius:4px;padding:6px;word-break:break-word}
.dots{display:flex;flex-wrap:wrap;gap:3px;margin-top:8px}.dot{width:10px;height:10px;border-radius:2px;background:#999}
.dot.ok{background:#2e9d4f}.dot.silent{background:#d9822b}.dot.fail{background:#c23030}
footer{padding:8px 20px 20px;color:#5c6370;font-size:12px}
</style></head><body>
<header><h1>visionwatch</h1>)";
  h += "<span>" + std::to_string(s.routes.size()) + " routes · " + std::to_string(healthy) +
       " healthy · " + std::to_string(silent) + " silently failing</span>";
  h += "<span>version " + html_escape(s.version) + " (" + html_escape(s.revision) + ")</span>";
  if (s.shards > 1) {
    h += "<span>shard " + std::to_string(s.shard) + " of " + std::to_string(s.shards) +
         ": the routes it owns</span>";
  }
  if (!s.last_reload_ok) {
    h += R"(<span class="badge fail">last config reload failed</span>)";
  }
  for (const auto& w : s.gateway_warnings) {
    std::array<char, 32> demand{};
    std::snprintf(demand.data(), demand.size(), "%.1f", w.demand);
    h += R"(<span class="badge fail">gateway )" + html_escape(w.gateway) + ": routes need " +
         demand.data() + " concurrent probes, max_concurrency " +
         std::to_string(w.max_concurrency) + ", " + std::to_string(w.skipped) +
         " probes skipped</span>";
  }
  h += budget_line(s);
  h += "</header>\n<main>\n";
  for (const auto& r : s.routes) {
    const probe_result* last = r.recent.empty() ? nullptr : &r.recent.front();
    h += "<section class=\"card ";
    h += card_class(r);
    h += "\"><h2>" + html_escape(r.route) + "</h2>";
    h += "<div class=\"sub\">" + html_escape(r.model) + " via " + html_escape(r.gateway) + " · " +
         html_escape(r.api) + " · " + html_escape(r.challenge) + " every " +
         fixed(static_cast<double>(r.interval.count()) / 1000.0, 0) + " s</div>";
    if (last) {
      h += "<span class=\"badge ";
      h += outcome_class(*last);
      h += "\">" + html_escape(to_string(last->result)) + "</span> <span class=\"sub\">" +
           ago(s.now, last->started_at) + ", HTTP " + std::to_string(last->http_status) +
           ", seed " + std::to_string(last->seed) + "</span>";
      if (!last->reason.empty()) {
        h += "<div class=\"reason\">" + html_escape(last->reason) + "</div>";
      }
      if (last->note == probe_note::hedged) {
        h += "<div class=\"reason\">hedged: the right answer came with a no-image phrase</div>";
      }
    } else {
      h += "<span class=\"badge muted\">no probe yet</span>";
    }
    if (r.retrying) {
      h += " <span class=\"badge fail\">retry mode: next probe " +
           fixed(static_cast<double>(r.retry_interval.count()) / 1000.0, 0) +
           " s after the failure</span>";
    }
    for (const auto& a : r.alerts) {
      if (a.state == "firing") {
        h += " <span class=\"badge " + std::string(a.silenced ? "muted" : "firing") + "\">" +
             html_escape(a.rule) + (a.silenced ? " (silenced)" : " firing") + "</span>";
      }
    }
    h += "<table>";
    auto row = [&h](std::string_view k, const std::string& v) {
      h += "<tr><td>";
      h += k;
      h += "</td><td>" + html_escape(v) + "</td></tr>";
    };
    row("success (last " + std::to_string(r.window.probes) + ")",
        percent_text(r.window.success_ratio));
    row("silent failures in window", std::to_string(r.silent_failures));
    row("latency p50 / p90",
        seconds_text(r.window.latency_p50) + " / " + seconds_text(r.window.latency_p90));
    row("latency max", seconds_text(r.window.latency_max));
    if (last && last->phases.first_token) {
      row("time to first token", seconds_text(last->phases.first_token));
    }
    if (last) {
      row("tokens prompt / completion",
          (last->tokens.prompt_tokens ? std::to_string(*last->tokens.prompt_tokens) : "–") + " / " +
              (last->tokens.completion_tokens ? std::to_string(*last->tokens.completion_tokens)
                                              : "–"));
    }
    row("text-only baseline",
        r.baseline_prompt_tokens ? std::to_string(*r.baseline_prompt_tokens) + " tokens" : "–");
    row("cost per success",
        r.window.cost_per_success_usd ? "$" + fixed(*r.window.cost_per_success_usd, 6) : "–");
    h += "</table>";
    if (shape_rows(r)) {
      h += shapes_html(r);
    }
    h += "<div class=\"dots\">";
    for (auto it = r.recent.rbegin(); it != r.recent.rend(); ++it) {
      h += "<span class=\"dot ";
      h += outcome_class(*it);
      h += "\" title=\"" + html_escape(to_string(it->result)) + " " +
           fixed(it->latency_seconds, 2) + " s";
      if (shape_rows(r)) {
        h += " (" + std::string(to_string(it->shape)) + ")";
      }
      if (!it->reason.empty()) {
        h += ": " + html_escape(it->reason);
      }
      if (it->note != probe_note::none) {
        h += " (" + std::string(to_string(it->note)) + ")";
      }
      h += "\"></span>";
    }
    h += "</div></section>\n";
  }
  h += "</main>\n<footer>Started " + format_rfc3339(s.started_at, utc_precision::milliseconds) +
       " · <a href=\"metrics\">/metrics</a> · <a href=\"api/v1/routes\">/api/v1/routes</a>"
       " · refreshes every 10 s</footer>\n</body></html>\n";
  return h;
}

}  // namespace visionwatch
