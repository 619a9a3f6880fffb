#include "tests/support/exported_metrics.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <sstream>
#include <string>

#include "exporters/metrics.hpp"

namespace visionwatch::test {

namespace {

bool ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':';
}
bool ident_char(char c) {
  return ident_start(c) || std::isdigit(static_cast<unsigned char>(c)) != 0;
}

/// A metrics object where every family has a series, rendered.
std::string full_exposition() {
  metrics m({}, "0.0.0", "test");
  const auto h = m.add_route({"r", "m", "g", "openai-chat"});
  m.set_shapes(h, {probe_shape::plain, probe_shape::tools});
  probe_result p;
  p.route = "r";
  p.result = outcome::ok;
  p.http_status = 200;
  p.latency_seconds = 1.5;
  p.phases = {0.01, 0.02, 0.03, 0.04, 1.3, 0.1, 1.5, std::nullopt};
  p.tokens.prompt_tokens = 310;
  p.tokens.completion_tokens = 4;
  p.tokens.image_tokens = 255;
  p.cost_usd = 0.0005;
  p.started_at = std::chrono::system_clock::now();
  m.record(h, p, window_figures{1.0, 1.4, 1.5, 1.5, 0.0005, 1.0, 1});
  auto control = p;
  control.control = true;
  control.tokens.prompt_tokens = 27;
  m.record(h, control, {});
  m.probe_skipped(h);
  m.add_gateway("g");  // the gateway series: skipped probes, budget
  // A streamed route: time to first token and output speed.
  route_labels streamed{"s", "m", "g", "openai-chat"};
  streamed.stream = true;
  const auto hs = m.add_route(streamed);
  auto sp = p;
  sp.route = "s";
  sp.phases.first_token = 0.6;
  m.record(hs, sp, window_figures{1.0, 1.4, 1.5, 1.5, 0.0005, 1.0, 1});
  m.set_alert_firing("r", "silent_failures", true);
  m.notification("hook", notification_result::success);
  m.set_queue_depth("hook", 1);
  m.set_in_flight(1);
  m.observe_scheduler_lag(0.001);
  m.config_reloaded(true, std::chrono::system_clock::now());
  return m.render();
}

/// One sample line parsed; nullopt for a comment, a blank or a malformed line.
std::optional<metric_sample> parse_sample(std::string_view line) {
  if (line.empty() || line.front() == '#') {
    return std::nullopt;
  }
  metric_sample s;
  const auto name_end = line.find_first_of("{ ");
  if (name_end == 0 || name_end == std::string_view::npos) {
    return std::nullopt;
  }
  s.name = std::string(line.substr(0, name_end));
  std::size_t i = name_end;
  if (line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      const auto eq = line.find("=\"", i);
      if (eq == std::string_view::npos) {
        return std::nullopt;
      }
      std::string key(line.substr(i, eq - i));
      std::string value;
      i = eq + 2;
      for (; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size()) {
          ++i;
          value += line[i] == 'n' ? '\n' : line[i];
        } else {
          value += line[i];
        }
      }
      if (i >= line.size()) {
        return std::nullopt;
      }
      ++i;  // closing quote
      if (i < line.size() && line[i] == ',') {
        ++i;
      }
      s.labels.emplace(std::move(key), std::move(value));
    }
    if (i >= line.size()) {
      return std::nullopt;
    }
    ++i;  // '}'
  }
  if (i >= line.size() || line[i] != ' ') {
    return std::nullopt;
  }
  const auto rest = line.substr(i + 1);
  try {
    s.value = std::stod(std::string(rest.substr(0, rest.find(' '))));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return s;
}

}  // namespace

std::vector<metric_sample> parse_exposition(std::string_view exposition) {
  std::vector<metric_sample> out;
  while (!exposition.empty()) {
    const auto nl = exposition.find('\n');
    if (auto s = parse_sample(exposition.substr(0, nl))) {
      out.push_back(std::move(*s));
    }
    exposition.remove_prefix(nl == std::string_view::npos ? exposition.size() : nl + 1);
  }
  return out;
}

bool has_labels(const std::map<std::string, std::string>& labels,
                const std::map<std::string, std::string>& subset) {
  return std::all_of(subset.begin(), subset.end(), [&](const auto& pair) {
    const auto it = labels.find(pair.first);
    return it != labels.end() && it->second == pair.second;
  });
}

std::optional<double> metric_value(std::string_view exposition,
                                   std::string_view name,
                                   const std::map<std::string, std::string>& labels) {
  std::optional<double> sum;
  for (const auto& s : parse_exposition(exposition)) {
    if (s.name == name && has_labels(s.labels, labels)) {
      sum = sum.value_or(0) + s.value;
    }
  }
  return sum;
}

std::set<std::string> exported_metric_names() {
  const auto text = full_exposition();
  std::set<std::string> names;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("# TYPE ")) {
      names.insert(line.substr(7, line.find(' ', 7) - 7));
    }
  }
  for (const auto& s : parse_exposition(text)) {
    names.insert(s.name);
  }
  return names;
}

std::set<std::string> route_metric_names() {
  std::set<std::string> names;
  for (const auto& s : parse_exposition(full_exposition())) {
    if (s.labels.count("route") != 0) {
      names.insert(s.name);
    }
  }
  return names;
}

promql_names names_in_promql(std::string_view e) {
  promql_names out;
  std::size_t i = 0;
  while (i < e.size()) {
    const char c = e[i];
    if (c == '"' || c == '\'' || c == '`') {  // string literal: label values, never names
      ++i;
      while (i < e.size() && e[i] != c) {
        i += (e[i] == '\\' && c != '`') ? std::size_t{2} : std::size_t{1};
      }
      ++i;
    } else if (c == '$') {  // Grafana variable: $route, ${datasource}, $__rate_interval
      ++i;
      while (i < e.size() && (ident_char(e[i]) || e[i] == '{' || e[i] == '}')) {
        ++i;
      }
    } else if (std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.') {
      while (i < e.size() && (std::isalnum(static_cast<unsigned char>(e[i])) != 0 || e[i] == '.')) {
        ++i;  // 0.9, 10m, 1e3
      }
    } else if (ident_start(c)) {
      const std::size_t start = i;
      while (i < e.size() && ident_char(e[i])) {
        ++i;
      }
      const std::string name(e.substr(start, i - start));
      if (name.find(':') != std::string::npos && name.front() != ':') {
        out.recorded.insert(name);
      } else if (name.starts_with("visionwatch_")) {
        out.metrics.insert(name);
      }
    } else {
      ++i;
    }
  }
  return out;
}

}  // namespace visionwatch::test
