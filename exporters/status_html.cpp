/// The status page (GET /) and its error page: self-contained HTML, every string escaped.

#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "exporters/status.hpp"
#include "exporters/status_views.hpp"
#include "probes/markup_escape.hpp"
#include "probes/utc_time.hpp"

namespace visionwatch {
namespace {

using status_views::health_of;
using status_views::listing_of;
using status_views::shape_rows;

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
           (b.daily_usd ? " of " + usd(*b.daily_usd) : std::string()) + "), probes paused until " +
           resume + "</span>";
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

/// The row's colour (the CSS classes of the badges and dots).
const char* health_class(route_health h) {
  // Indexed by route_health: error, silent, unprobed, ok.
  static constexpr std::array<const char*, 4> classes = {"fail", "silent", "none", "ok"};
  static_assert(static_cast<std::size_t>(route_health::ok) + 1 == classes.size());
  const auto i = static_cast<std::size_t>(h);
  return i < classes.size() ? classes[i] : "none";
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

constexpr std::string_view page_start = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8">)";
constexpr std::string_view page_refresh = R"(<meta http-equiv="refresh" content="10">)";
constexpr std::string_view page_head = R"(
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>visionwatch</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:12px 20px;display:flex;gap:24px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:18px;margin:0}header span{opacity:.8}
main{padding:12px 20px}
form.filters{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:end;margin-bottom:10px;font-size:12px;color:#5c6370}
form.filters label{display:flex;flex-direction:column;gap:2px}form.filters input,form.filters select{font:inherit;font-size:13px}
.pager{margin:8px 0;color:#5c6370;font-size:13px}.pager a{margin-left:10px}
table.routes{background:#fff;box-shadow:0 1px 3px rgba(0,0,0,.12);border-radius:6px}
table.routes th{text-align:left;font-size:12px;color:#5c6370;padding:6px 8px;border-bottom:1px solid #dde0e5;white-space:nowrap}
table.routes th.sorted a{color:#1d2330;font-weight:700}
tr.route>td{padding:8px;vertical-align:top;border-bottom:1px solid #eceef1;text-align:left}
tr.route>td:first-child{border-left:4px solid #999}
tr.route.ok>td:first-child{border-left-color:#2e9d4f}tr.route.silent>td:first-child{border-left-color:#d9822b}tr.route.fail>td:first-child{border-left-color:#c23030}
.name{font-weight:600;word-break:break-all}.sub{color:#5c6370;font-size:12px}
table{border-collapse:collapse;width:100%;font-size:13px}td{padding:2px 0}
table.figures td:last-child,table.shapes td:last-child{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;border-radius:4px;padding:1px 6px;margin:1px 0;font-size:12px;font-weight:600;color:#fff}
.badge.ok{background:#2e9d4f}.badge.silent{background:#d9822b}.badge.fail{background:#c23030}.badge.firing{background:#c23030}.badge.muted{background:#8a8f98}
.reason{margin:6px 0 2px;font-size:12px;color:#333;background:#fbf3e8;border-radius:4px;padding:6px;word-break:break-word}
.dots{display:flex;flex-wrap:wrap;gap:3px;margin-top:6px;max-width:300px}.dot{width:10px;height:10px;border-radius:2px;background:#999}
.dot.ok{background:#2e9d4f}.dot.silent{background:#d9822b}.dot.fail{background:#c23030}
footer{padding:8px 20px 20px;color:#5c6370;font-size:12px}
</style></head><body>
<header><h1>visionwatch</h1>)";

/// A link to the page with `q` (and `cursor`), for an href attribute.
std::string href(const route_query& q, const std::optional<std::string>& cursor = {}) {
  return html_escape("?" + to_query_string(q, cursor));
}

/// A labelled <select> of (value, text) options; "" is the first, "any" option's value.
void select_field(std::string& h,
                  std::string_view name,
                  std::string_view label,
                  std::string_view current,
                  const std::vector<std::pair<std::string, std::string>>& options) {
  h += "<label>";
  h += label;
  h += " <select name=\"";
  h += name;
  h += "\">";
  for (const auto& [value, text] : options) {
    h += "<option value=\"" + html_escape(value) + "\"" + (value == current ? " selected" : "") +
         ">" + html_escape(text) + "</option>";
  }
  h += "</select></label>";
}

void text_field(std::string& h,
                std::string_view name,
                std::string_view label,
                std::string_view value,
                std::string_view extra = {}) {
  h += "<label>";
  h += label;
  h += " <input name=\"";
  h += name;
  h += "\" value=\"" + html_escape(value) + "\"";
  h += extra;
  h += "></label>";
}

using option_list = std::vector<std::pair<std::string, std::string>>;

/// One option per value, named and valued by `name(v)`; first an "any" option unless `any` is
/// false.
template <typename Values, typename Name>
option_list options_of(const Values& values, Name name, bool any = true) {
  option_list out;
  out.reserve(std::size(values) + 1);
  if (any) {
    out.emplace_back("", "any");
  }
  for (const auto& v : values) {
    const std::string n(name(v));
    out.emplace_back(n, n);
  }
  return out;
}

/// The filter form: plain GET, so it works without scripts; a new filter starts at page one.
void filter_form(std::string& h, const route_listing& l) {
  const auto& q = l.query;
  const auto name = [](auto v) { return to_string(v); };
  h += R"(<form class="filters" method="get">)";
  option_list states;
  states.reserve(all_state_filters.size());
  for (const auto st : all_state_filters) {
    states.emplace_back(
        st == state_filter::all ? "" : std::string(to_string(st)),
        std::string(to_string(st)) + " (" + std::to_string(l.page.counts.of(st)) + ")");
  }
  select_field(h, "state", "state", q.state == state_filter::all ? "" : to_string(q.state), states);
  auto gateways = options_of(l.gateways, [](const std::string& g) { return g; });
  if (!q.gateway.empty() &&
      std::find(l.gateways.begin(), l.gateways.end(), q.gateway) == l.gateways.end()) {
    gateways.emplace_back(q.gateway, q.gateway);  // keep the asked-for value in the form
  }
  select_field(h, "gateway", "gateway", q.gateway, gateways);
  text_field(h, "model", "model", q.model);
  select_field(h,
               "outcome",
               "last outcome",
               q.last_outcome ? to_string(*q.last_outcome) : "",
               options_of(all_outcomes, name));
  constexpr std::array alerts = {
      alert_level::firing, alert_level::pending, alert_level::silenced, alert_level::inactive};
  select_field(h, "alert", "alerts", q.alert ? to_string(*q.alert) : "", options_of(alerts, name));
  text_field(h, "q", "route name contains", q.text);
  constexpr std::array sorts = {
      route_sort::status, route_sort::name, route_sort::last_probe, route_sort::latency};
  select_field(h, "sort", "sort", to_string(q.sort), options_of(sorts, name, false));
  text_field(h,
             "limit",
             "per page",
             std::to_string(q.limit),
             R"( type="number" min="1" max=")" + std::to_string(route_query::max_limit) + "\"");
  h += "<button type=\"submit\">apply</button> <a href=\"?\">reset</a></form>\n";
}

/// Where this page sits among the matching routes, and the links to the others.
std::string pager(const route_listing& l, std::size_t shown) {
  const auto& p = l.page;
  std::string h = "<nav class=\"pager\">";
  if (shown == 0) {
    h += p.matching == 0 ? "no route matches" : "no route on this page";
  } else {
    h += "routes " + std::to_string(p.offset + 1) + "–" + std::to_string(p.offset + shown) +
         " of " + std::to_string(p.matching) + " matching";
  }
  if (p.prev_cursor || (shown == 0 && p.matching > 0)) {
    h += "<a href=\"" + href(l.query) + "\">« first</a>";
  }
  if (p.prev_cursor) {
    h += "<a href=\"" + href(l.query, p.prev_cursor) + "\">‹ previous</a>";
  }
  if (p.next_cursor) {
    h += "<a href=\"" + href(l.query, p.next_cursor) + "\">next ›</a>";
  }
  return h + "</nav>\n";
}

/// A column head; the sortable ones link to their sort (page one), the current one marked.
void column_head(std::string& h,
                 const route_query& q,
                 std::string_view label,
                 std::optional<route_sort> sort = {}) {
  if (!sort) {
    h += "<th>";
    h += label;
    h += "</th>";
    return;
  }
  auto by = q;
  by.sort = *sort;
  by.cursor.reset();
  h += q.sort == *sort ? "<th class=\"sorted\">" : "<th>";
  h += "<a href=\"" + href(by) + "\">";
  h += label;
  h += q.sort == *sort ? " ▾" : "";
  h += "</a></th>";
}

/// The first cell: the latest outcome, retry mode, deferral and alerts.
void state_cell(std::string& h, const route_view& r, const probe_result* last) {
  h += "<td>";
  if (last) {
    h += "<span class=\"badge ";
    h += outcome_class(*last);
    h += "\">" + html_escape(to_string(last->result)) + "</span>";
  } else {
    h += "<span class=\"badge muted\">no probe yet</span>";
  }
  if (r.retrying) {
    h += " <span class=\"badge fail\">retry mode: next probe " +
         fixed(static_cast<double>(r.retry_interval.count()) / 1000.0, 0) +
         " s after the failure</span>";
  }
  if (r.deferred_until) {
    h += " <span class=\"badge muted\">deferred until " + format_rfc3339(*r.deferred_until) +
         " (Retry-After)</span>";
  }
  for (const auto& a : r.alerts) {
    if (a.state == "firing") {
      h += " <span class=\"badge " + std::string(a.silenced ? "muted" : "firing") + "\">" +
           html_escape(a.rule) + (a.silenced ? " (silenced)" : " firing") + "</span>";
    } else if (a.pending) {
      h += " <span class=\"badge muted\">" + html_escape(a.rule) + " pending</span>";
    }
  }
  h += "</td>";
}

/// The recent probes as dots, oldest first, each with its outcome and reason on hover.
void dots(std::string& h, const route_view& r) {
  h += "<div class=\"dots\">";
  for (auto it = r.recent.rbegin(); it != r.recent.rend(); ++it) {
    h += "<span class=\"dot ";
    h += outcome_class(*it);
    h += "\" title=\"" + html_escape(to_string(it->result)) + " " + fixed(it->latency_seconds, 2) +
         " s";
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
  h += "</div>";
}

/// The window's figures, folded away in the last cell.
void figures_cell(std::string& h, const route_view& r, const probe_result* last) {
  h += "<td><details><summary>figures</summary><table class=\"figures\">";
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
  h += "</table></details></td>";
}

void route_row(std::string& h, const route_view& r, std::chrono::system_clock::time_point now) {
  const probe_result* last = r.recent.empty() ? nullptr : &r.recent.front();
  h += "<tr class=\"route ";
  h += health_class(health_of(r));
  h += "\">";
  state_cell(h, r, last);
  h += "<td><div class=\"name\">" + html_escape(r.route) + "</div><div class=\"sub\">" +
       html_escape(r.api) + " · " + html_escape(r.challenge) + " every " +
       fixed(static_cast<double>(r.interval.count()) / 1000.0, 0) + " s</div>";
  if (last && !last->reason.empty()) {
    h += "<div class=\"reason\">" + html_escape(last->reason) + "</div>";
  }
  if (last && last->note == probe_note::hedged) {
    h += "<div class=\"reason\">hedged: the right answer came with a no-image phrase</div>";
  }
  if (shape_rows(r)) {
    h += shapes_html(r);
  }
  h += "</td><td>" + html_escape(r.model) + "<div class=\"sub\">via " + html_escape(r.gateway) +
       "</div></td><td>";
  if (last) {
    h += ago(now, last->started_at) + "<div class=\"sub\">HTTP " +
         std::to_string(last->http_status) + ", seed " + std::to_string(last->seed) + "</div>";
  } else {
    h += "–";
  }
  h += "</td><td>" + html_escape(percent_text(r.window.success_ratio)) + " of " +
       std::to_string(r.window.probes);
  if (r.silent_failures > 0) {
    h += "<div class=\"sub\">" + std::to_string(r.silent_failures) + " silent</div>";
  }
  dots(h, r);
  h += "</td><td>" + html_escape(seconds_text(r.window.latency_p50)) + " / " +
       html_escape(seconds_text(r.window.latency_p90));
  if (last) {
    h += "<div class=\"sub\">last " + fixed(last->latency_seconds, 2) + " s</div>";
  }
  h += "</td>";
  figures_cell(h, r, last);
  h += "</tr>\n";
}

}  // namespace

std::string html_escape(std::string_view s) { return escape_markup(s, "&<>\"'"); }

std::string status_html(const status_view& s) {
  std::optional<route_listing> whole;
  const auto& l = listing_of(s, whole);
  const auto& c = l.page.counts;
  std::string h;
  h.reserve(8192 + s.routes.size() * 4096);
  h += page_start;
  h += page_refresh;
  h += page_head;
  h += "<span>" + std::to_string(c.of(state_filter::all)) + " routes · " +
       std::to_string(c.of(state_filter::ok)) + " healthy · " +
       std::to_string(c.of(state_filter::silent)) + " silently failing · " +
       std::to_string(c.of(state_filter::error)) + " failing with errors · " +
       std::to_string(c.of(state_filter::unprobed)) + " not probed yet</span>";
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
  filter_form(h, l);
  const std::string nav = pager(l, s.routes.size());
  h += nav;
  h += "<table class=\"routes\"><thead><tr>";
  column_head(h, l.query, "state", route_sort::status);
  column_head(h, l.query, "route", route_sort::name);
  column_head(h, l.query, "model");
  column_head(h, l.query, "last probe", route_sort::last_probe);
  column_head(h, l.query, "success");
  column_head(h, l.query, "latency p50 / p90", route_sort::latency);
  column_head(h, l.query, "details");
  h += "</tr></thead>\n<tbody>\n";
  for (const auto& r : s.routes) {
    route_row(h, r, s.now);
  }
  h += "</tbody></table>\n" + nav;
  h += "</main>\n<footer>Started " + format_rfc3339(s.started_at, utc_precision::milliseconds) +
       " · <a href=\"metrics\">/metrics</a> · <a href=\"api/v1/routes\">/api/v1/routes</a>"
       " · refreshes every 10 s</footer>\n</body></html>\n";
  return h;
}

std::string status_error_html(std::string_view reason) {
  std::string h(page_start);
  h += page_head;
  h += "</header>\n<main><p class=\"reason\">" + html_escape(reason) +
       "</p><p><a href=\"?\">the status page without filters</a></p></main>\n</body></html>\n";
  return h;
}

}  // namespace visionwatch
