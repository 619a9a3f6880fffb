#include "daemon/config/config_gateways.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <string>
#include <utility>

#include "daemon/config/config_aws.hpp"
#include "daemon/config/config_secrets.hpp"
#include "daemon/config/config_tls.hpp"

namespace visionwatch::config_reading {
namespace {

void parse_headers(config_reader& reader,
                   const YAML::Node& n,
                   const std::string& path,
                   bool api_key_given,
                   header_list& out) {
  // Framing headers belong to the HTTP client; overriding them would corrupt requests.
  static const std::set<std::string, std::less<>> owned = {
      "host", "content-length", "transfer-encoding", "connection", "content-type"};
  auto entries = reader.entries(n, path);
  if (!entries) {
    return;
  }
  for (const auto& e : *entries) {
    const std::string p = child(path, e.key);
    std::string lower = e.key;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
      return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    if (!valid_header_name(e.key)) {
      reader.fail(e.key_node, p, quote(e.key) + " is not a valid header name");
      continue;
    }
    if (owned.count(lower) != 0) {
      reader.fail(e.key_node, p, "the " + e.key + " header is set by visionwatch");
      continue;
    }
    if (lower == "authorization" && api_key_given) {
      reader.fail(e.key_node,
                  p,
                  "set either api_key_* (or bearer_token_file) or an Authorization header, not "
                  "both");
      continue;
    }
    // Header values may carry secrets (${VAR}); they are never echoed.
    auto v = reader.string(e.value, p, false);
    if (!v) {
      continue;
    }
    if (v->find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      reader.fail(e.value, p, "the value contains a line break or NUL byte");
      continue;
    }
    out.emplace_back(e.key, std::move(*v));
  }
}

/// A gateway option that only one flavour reads. Another flavour's options add rows here.
struct flavour_option {
  std::string_view key;
  api_flavour flavour;
  std::string gateway_config::*field;
};
constexpr std::array flavour_options = {
    flavour_option{
        "anthropic_version", api_flavour::anthropic_messages, &gateway_config::anthropic_version},
    flavour_option{"api_version", api_flavour::azure_openai, &gateway_config::api_version},
};

/// A version string as the APIs spell them ("2023-06-01", "2025-01-01-preview"): it goes into a
/// header or a query string, so only letters, digits, '-', '_' and '.'.
bool valid_version(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
  });
}

/// anthropic_version, api_version: each read only for its flavour; given for another flavour, it
/// is an error naming the key and the gateway's flavour (it would be silently ignored).
void parse_flavour_options(config_reader& reader, const map_reader& m, gateway_config& g) {
  for (const auto& o : flavour_options) {
    const auto* v = m.get(o.key);
    if (v == nullptr) {
      continue;
    }
    if (g.api != o.flavour) {
      reader.fail(*v,
                  m.at(o.key),
                  std::string(o.key) +
                      " applies only to api: " + std::string(to_string(o.flavour)) +
                      ", not to api: " + std::string(to_string(g.api)));
      continue;
    }
    if (auto s = reader.scalar(*v, m.at(o.key), "a version")) {
      if (valid_version(s->value)) {
        g.*o.field = s->value;
      } else {
        reader.fail(*v,
                    m.at(o.key),
                    quote(s->shown) + " is not a version (letters, digits, '-', '_', '.')");
      }
    }
  }
}

/// bearer_token_file: read once now (a missing or unusable file is an error, never the token),
/// then re-read by the probes when it changes. True when the key is given.
bool parse_bearer_token_file(config_reader& reader,
                             const map_reader& m,
                             bool api_key_given,
                             gateway_config& g) {
  const auto* v = m.get("bearer_token_file");
  if (v == nullptr) {
    return false;
  }
  if (api_key_given) {
    reader.fail(
        *v, m.at("bearer_token_file"), "set either api_key_* or bearer_token_file, not both");
    return true;
  }
  if (auto file = reader.readable_file(*v, m.at("bearer_token_file"))) {
    auto source = std::make_shared<bearer_token_file>(*file);
    if (auto error = source->load()) {
      reader.fail(*v, m.at("bearer_token_file"), *error);
    } else {
      g.bearer_token = std::move(source);
    }
  }
  return true;
}

void parse_proxy(config_reader& reader, const map_reader& m, client_options& client) {
  const auto* v = m.get("proxy_url");
  if (v == nullptr) {
    return;
  }
  auto s = reader.scalar(*v, m.at("proxy_url"), "a URL");
  if (s && s->value == "none") {
    client.proxy_url.clear();
    client.use_env_proxy = false;
  } else if (s) {
    if (auto u = reader.url(*v, m.at("proxy_url"), {"http"})) {
      client.proxy_url = *u;
      client.use_env_proxy = false;
    }
  }
}

void parse_gateway(config_document& doc, const YAML::Node& n, const std::string& path) {
  auto& reader = doc.reader;
  map_reader m(reader, n, path, config_fields::gateway());
  if (!m.ok()) {
    return;
  }
  gateway_config g;
  if (const auto name = m.name("gateway")) {
    g.name = *name;
    doc.declare(doc.gateway_lines, m, "gateway", *name);
  }
  if (m.required("base_url") != nullptr) {
    m.read_url("base_url", g.base_url);
  }
  bool api_known = true;
  if (m.has("api")) {
    const auto api = m.choice("api", "an API flavour");
    api_known = api.has_value();
    if (api) {
      g.api = *api_flavour_from_string(*api);
    }
  }
  if (api_known) {
    // With a misspelt api: the options cannot be checked against it (one error, not two).
    parse_flavour_options(reader, m, g);
  }
  auto key = read_secret(reader, m, "api_key", true);
  if (key.value) {
    g.api_key = std::move(*key.value);
  }
  const bool bearer = parse_bearer_token_file(reader, m, key.given, g);
  parse_aws(reader, m, key.given || bearer, g);
  if (const auto* v = m.get("headers")) {
    parse_headers(reader, *v, m.at("headers"), key.given || bearer, g.headers);
  }
  parse_tls(reader,
            m,
            {g.client.tls.ca_file, g.client.tls.insecure_skip_verify, &g.client.tls.server_name});
  parse_proxy(reader, m, g.client);
  m.read_integer("max_concurrency", g.max_concurrency);
  m.read_boolean("keep_alive", g.client.keep_alive);
  m.read_duration("connect_timeout", g.client.connect_timeout);
  if (auto s = m.size("max_body")) {
    g.client.body_limit = static_cast<std::size_t>(*s);
  }
  if (const auto b = m.nested("budget", config_fields::budget())) {
    parse_budget(reader, *b, g.budget);
  }
  doc.cfg.gateways.push_back(std::move(g));
}

}  // namespace

void parse_budget(config_reader& reader, const map_reader& m, budget_config& out) {
  const auto* v = m.required("daily_usd");
  if (v == nullptr) {
    return;
  }
  if (const auto usd = m.number("daily_usd")) {
    if (*usd <= 0) {
      reader.fail(*v, m.at("daily_usd"), "must be more than 0 (leave budget out for no limit)");
    } else {
      out.daily_usd = *usd;
    }
  }
}

void parse_gateways(config_document& doc, const YAML::Node& n) {
  doc.reader.for_each_item(n, "gateways", [&](const YAML::Node& item, const std::string& path) {
    parse_gateway(doc, item, path);
  });
}

}  // namespace visionwatch::config_reading
