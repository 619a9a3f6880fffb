#include "daemon/config/config_route_settings.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "daemon/config/config_alerts.hpp"

namespace visionwatch::config_reading {
namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t max_image_bytes = std::uintmax_t{20} * 1024 * 1024;

/// A user-supplied probe image: readable, at most 20 MiB, PNG or JPEG by its magic bytes.
std::optional<std::string> image_file(config_reader& reader,
                                      const YAML::Node& n,
                                      const std::string& path) {
  auto f = reader.readable_file(n, path);
  if (!f) {
    return std::nullopt;
  }
  std::error_code ec;
  const auto bytes = fs::file_size(*f, ec);
  if (ec) {
    reader.fail(n, path, "cannot read " + *f + ": " + ec.message());
    return std::nullopt;
  }
  if (bytes > max_image_bytes) {
    reader.fail(n, path, *f + " is larger than 20 MiB");
    return std::nullopt;
  }
  std::ifstream in(*f, std::ios::binary);
  std::string head(8, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  const bool png = head == std::string_view("\x89PNG\r\n\x1a\n", 8);
  const bool jpeg = head.size() >= 3 && head.compare(0, 3, "\xff\xd8\xff") == 0;
  if (!png && !jpeg) {
    reader.fail(n, path, *f + " is not a PNG or JPEG image");
    return std::nullopt;
  }
  return f;
}

void parse_expect(config_reader& reader, const map_reader& m, challenge_config& c) {
  if (!m.has("pattern") && !m.has("words")) {
    reader.fail(m.line(), m.path(), "set pattern or words");
    return;
  }
  // expect is one definition of a right answer: it replaces an inherited one as a whole.
  c.expect_pattern.clear();
  c.expect_regex.reset();
  c.expect_words.clear();
  if (const auto* v = m.get("pattern")) {
    if (auto s = reader.string(*v, m.at("pattern"), true)) {
      std::string pattern = *s;
      // Matching is always case-insensitive; accept the Perl/RE2 spelling people paste.
      if (pattern.rfind("(?i)", 0) == 0) {
        pattern.erase(0, 4);
      }
      if (pattern.size() > 1024) {
        reader.fail(*v, m.at("pattern"), "the pattern is longer than 1024 characters");
      } else {
        // Compiled here, once, exactly as the verdict matches it.
        std::string error;
        if (auto re = answer_pattern::compile(pattern, error)) {
          c.expect_pattern = pattern;
          c.expect_regex = std::move(re);
        } else {
          reader.fail(
              *v,
              m.at("pattern"),
              quote(v->Scalar()) + " is not a valid regular expression (ECMAScript): " + error);
        }
      }
    }
  }
  if (const auto* v = m.get("words")) {
    if (auto w = reader.string_list(*v, m.at("words"))) {
      if (w->empty()) {
        reader.fail(*v, m.at("words"), "must list at least one word");
      }
      c.expect_words = std::move(*w);
    }
  }
}

void parse_challenge(config_reader& reader, const map_reader& m, challenge_config& c) {
  if (m.has("image_file") && m.has("image_url")) {
    reader.fail(*m.get("image_url"), m.at("image_url"), "set either image_file or image_url");
  }
  if (m.has("kind") && (m.has("image_file") || m.has("image_url"))) {
    reader.fail(*m.get("kind"),
                m.at("kind"),
                "kind is for generated challenges; a user-supplied probe (image_file or image_url) "
                "has none");
  }
  if (const auto* v = m.get("kind")) {
    if (auto s = reader.scalar(*v, m.at("kind"), "a challenge kind")) {
      if (auto k = challenge_kind_from_string(s->value)) {
        c.kind = *k;
        // Choosing a generated kind replaces an inherited user-supplied probe.
        c.image_file.clear();
        c.image_url.clear();
        c.prompt.clear();
        c.expect_pattern.clear();
        c.expect_regex.reset();
        c.expect_words.clear();
      } else {
        reader.fail(*v,
                    m.at("kind"),
                    quote(s->shown) + " is not a challenge kind (use digits, color, shape, count)");
      }
    }
  }
  m.read_integer("width", c.width);
  m.read_integer("height", c.height);
  m.read_integer("images", c.images);
  if (const auto s = m.choice("media", "a media mode")) {
    c.media = *s == "remote_url" ? media_mode::remote_url : media_mode::data_url;
  }
  if (const auto s = m.choice("detail", "a detail level")) {
    c.detail = *s;
  }
  m.read_integer("max_tokens", c.max_tokens);
  m.read_number("temperature", c.temperature);
  if (const auto* v = m.get("image_file")) {
    if (auto f = image_file(reader, *v, m.at("image_file"))) {
      c.image_file = *f;
      c.image_url.clear();
    }
  }
  if (const auto* v = m.get("image_url")) {
    if (auto u = reader.url(*v, m.at("image_url"))) {
      c.image_url = *u;
      c.image_file.clear();
    }
  }
  m.read_string("prompt", c.prompt, true);
  if (const auto e = m.nested("expect", config_fields::expect())) {
    parse_expect(reader, *e, c);
  }
}

void parse_checks(config_reader& reader, const map_reader& m, verdict_checks& c) {
  m.read_integer("min_image_tokens", c.min_image_tokens);
  m.read_boolean("require_usage", c.require_usage);
  if (const auto* v = m.get("expect_model")) {
    // `off` and `false` (YAML's spelling of off) disable the check.
    if (auto s =
            reader.scalar(*v, m.at("expect_model"), "a model name prefix, re:<regex> or off")) {
      std::string error;
      const std::string spec = s->value == "false" ? std::string("off") : s->value;
      if (auto e = model_expectation::parse(spec, error)) {
        c.expect_model = std::move(*e);
      } else {
        reader.fail(*v, m.at("expect_model"), quote(s->shown) + ": " + error);
      }
    }
  }
  // A route that changes neither list keeps sharing the inherited one.
  auto phrases = [&](const char* replace_key, const char* extra_key, phrase_list& out) {
    std::optional<std::vector<std::string>> changed;
    if (const auto* v = m.get(replace_key)) {
      if (auto list = reader.string_list(*v, m.at(replace_key))) {
        changed = std::move(*list);
      }
    }
    if (const auto* v = m.get(extra_key)) {
      if (auto list = reader.string_list(*v, m.at(extra_key))) {
        if (!changed) {
          changed = out.items();
        }
        changed->insert(changed->end(), list->begin(), list->end());
      }
    }
    if (changed) {
      out = phrase_list(std::move(*changed));
    }
  };
  phrases("no_image_phrases", "extra_no_image_phrases", c.no_image_phrases);
  phrases("refusal_phrases", "extra_refusal_phrases", c.refusal_phrases);
}

/// `shapes: [plain, tools, ...]`: known names, each once, at least one.
void parse_shapes(config_reader& reader,
                  const YAML::Node& n,
                  const std::string& path,
                  std::vector<probe_shape>& out) {
  auto list = reader.items(n, path);
  if (!list) {
    return;
  }
  if (list->empty()) {
    reader.fail(n, path, "must list at least one shape (plain is today's request)");
    return;
  }
  std::vector<probe_shape> shapes;
  bool ok = true;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& item = (*list)[i];
    const auto s = reader.scalar(item, index(path, i), "a shape name");
    if (!s) {
      ok = false;
      continue;
    }
    const auto shape = probe_shape_from_string(s->value);
    if (!shape) {
      std::string names;
      for (const auto name : probe_shape_names()) {
        names += (names.empty() ? "" : ", ") + std::string(name);
      }
      reader.fail(item, index(path, i), quote(s->shown) + " is not a shape (use " + names + ")");
      ok = false;
    } else if (std::find(shapes.begin(), shapes.end(), *shape) != shapes.end()) {
      reader.fail(item, index(path, i), quote(s->shown) + " is listed twice");
      ok = false;
    } else {
      shapes.push_back(*shape);
    }
  }
  if (ok) {
    out = std::move(shapes);
  }
}

/// Shapes that change the image, which a user-supplied probe sends as it is.
bool changes_image(probe_shape s) noexcept {
  challenge_options o;
  apply_shape(s, o);
  return o.format != image_format::png || o.transparent || o.large;
}

void parse_price(const map_reader& m, price_config& p) {
  m.read_number("input_per_million", p.input_per_million);
  m.read_number("output_per_million", p.output_per_million);
}

}  // namespace

route_settings builtin_settings() {
  route_settings s;
  s.checks.no_image_phrases = default_no_image_phrase_list();
  s.checks.refusal_phrases = default_refusal_phrase_list();
  auto rule =
      [](alert_rule_kind k, bool enabled, int failures, double threshold, const char* severity) {
        alert_rule_config r;
        r.kind = k;
        r.enabled = enabled;
        r.failure_threshold = failures;
        r.success_threshold = 2;
        r.threshold = threshold;
        r.severity = severity;
        return r;
      };
  s.alerts.rules = {
      rule(alert_rule_kind::silent_failure, true, 2, 0, "critical"),
      rule(alert_rule_kind::route_down, true, 3, 0, "critical"),
      rule(alert_rule_kind::success_ratio, true, 1, 0.8, "warning"),
      rule(alert_rule_kind::latency, false, 1, 0, "warning"),
      rule(alert_rule_kind::cost, false, 1, 0, "warning"),
  };
  return s;
}

void parse_defaults(config_document& doc, const YAML::Node& n) {
  map_reader m(doc.reader, n, "defaults", config_fields::defaults());
  if (m.ok()) {
    const auto seen = parse_settings(doc, m, doc.defaults);
    check_timeout(doc.reader, m, doc.defaults, seen);
    doc.defaults_shapes_line = seen.shapes_line;
  }
}

settings_seen parse_settings(config_document& doc, const map_reader& m, route_settings& s) {
  auto& reader = doc.reader;
  settings_seen seen;
  seen.interval = m.has("interval");
  m.read_duration("interval", s.interval);
  seen.timeout = m.has("timeout");
  m.read_duration("timeout", s.timeout);
  m.read_duration("baseline_interval", s.baseline_interval);
  seen.retry_interval = m.has("retry_interval");
  if (seen.retry_interval) {
    std::chrono::milliseconds retry{0};
    m.read_duration("retry_interval", retry);
    if (retry.count() > 0) {
      s.retry_interval = retry;
    }
  }
  m.read_integer("window", s.window);
  m.read_boolean("stream", s.stream);
  if (const auto* v = m.get("shapes")) {
    seen.shapes_line = line_of(*v);
    parse_shapes(reader, *v, m.at("shapes"), s.shapes);
  }
  if (const auto e = m.nested("challenge", config_fields::challenge())) {
    parse_challenge(reader, *e, s.challenge);
  }
  if (const auto e = m.nested("checks", config_fields::checks())) {
    parse_checks(reader, *e, s.checks);
  }
  if (const auto e = m.nested("price", config_fields::price())) {
    parse_price(*e, s.price);
  }
  if (const auto* v = m.get("alerts")) {
    parse_alerts(doc, *v, m.at("alerts"), s.alerts);
  }
  return seen;
}

void check_stream_routes(config_document& doc) {
  std::vector<std::string_view> streaming;
  for (const auto name : api_flavour_names()) {
    if (can_stream(*api_flavour_from_string(name))) {
      streaming.push_back(name);
    }
  }
  // Looked up only for streaming routes, through a map: validation stays linear in routes and
  // gateways.
  std::unordered_map<std::string_view, const gateway_config*> gateways;
  for (const auto& r : doc.cfg.routes) {
    if (!r.settings.stream) {
      continue;
    }
    if (gateways.empty()) {
      for (const auto& gw : doc.cfg.gateways) {
        gateways.emplace(gw.name, &gw);
      }
    }
    const auto it = gateways.find(r.gateway);
    const gateway_config* g = it == gateways.end() ? nullptr : it->second;
    if (g == nullptr || can_stream(g->api)) {
      continue;
    }
    std::string names;
    for (const auto s : streaming) {
      names += (names.empty() ? "" : ", ") + std::string(s);
    }
    doc.reader.fail(r.line,
                    "routes." + r.name + ".stream",
                    "stream: true, but api " + quote(std::string(to_string(g->api))) +
                        " of gateway " + quote(g->name) + " has no stream parser (streaming: " +
                        names + ")");
  }
}

void check_route_shapes(config_document& doc,
                        const route_settings& s,
                        const std::string& gateway,
                        int line,
                        const std::string& path) {
  if (s.shapes.size() == 1 && s.shapes.front() == probe_shape::plain) {
    return;  // every route can send today's request
  }
  if (doc.gateway_apis.empty()) {
    for (const auto& g : doc.cfg.gateways) {
      doc.gateway_apis.emplace(g.name, g.api);
    }
  }
  const auto g = doc.gateway_apis.find(gateway);
  for (const auto shape : s.shapes) {
    const std::string name(to_string(shape));
    if (s.challenge.custom() && changes_image(shape)) {
      doc.reader.fail(line,
                      path,
                      "shape " + name +
                          " changes the generated image; a user-supplied probe (image_file or "
                          "image_url) is sent as it is (its shapes: plain, system, tools, "
                          "history)");
    }
    if (g == doc.gateway_apis.end()) {
      continue;  // an unknown gateway is reported once, by the reference check
    }
    if (const auto why = shape_unsupported(g->second, shape)) {
      doc.reader.fail(
          line,
          path,
          "shape " + name + " cannot go through gateway " + quote(gateway) + ": " + *why);
    }
  }
}

void check_timeout(config_reader& reader,
                   const map_reader& m,
                   const route_settings& s,
                   settings_seen seen) {
  if ((seen.interval || seen.timeout) && s.timeout > s.interval) {
    const std::string key = seen.timeout ? "timeout" : "interval";
    reader.fail(*m.get(key),
                m.at("timeout"),
                "timeout " + format_duration(s.timeout) + " is longer than interval " +
                    format_duration(s.interval));
  }
  if ((seen.interval || seen.retry_interval) && s.retry_interval &&
      *s.retry_interval > s.interval) {
    const std::string key = seen.retry_interval ? "retry_interval" : "interval";
    reader.fail(*m.get(key),
                m.at("retry_interval"),
                "retry_interval " + format_duration(*s.retry_interval) +
                    " is longer than interval " + format_duration(s.interval));
  }
}

}  // namespace visionwatch::config_reading
