#include "daemon/config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <regex>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "alerts/receivers.hpp"

namespace visionwatch {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr std::size_t max_config_bytes = 4 * 1024 * 1024;
constexpr std::size_t max_secret_bytes = 64 * 1024;
constexpr std::uintmax_t max_image_bytes = 20 * 1024 * 1024;
constexpr std::size_t max_errors = 500;
constexpr std::size_t max_routes = 100'000;
constexpr milliseconds max_duration{365LL * 24 * 3600 * 1000};

/// A scalar after ${VAR} substitution. `shown` is what messages may echo: the text as written in
/// the file, so a value that came from the environment (possibly a secret) is never printed.
struct text_value {
  std::string value;
  std::string shown;
  bool substituted = false;
};

std::string quote(std::string_view s) {
  constexpr std::size_t max_shown = 80;
  std::string out = "\"";
  for (const char c : s.substr(0, max_shown)) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  if (s.size() > max_shown) {
    out += "...";
  }
  return out + "\"";
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& s : items) {
    out += out.empty() ? "" : std::string(sep);
    out += s;
  }
  return out;
}

std::string child(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

std::string index(std::string_view path, std::size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

int line_of(const YAML::Node& n) {
  const auto m = n.Mark();
  return m.is_null() ? 0 : m.line + 1;
}

std::string_view kind_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a single value";
    default:
      return "nothing";
  }
}

struct entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

/// Which rule may carry `threshold`, and in which unit.
bool rule_has_threshold(alert_rule_kind k) {
  return k == alert_rule_kind::success_ratio || k == alert_rule_kind::latency ||
         k == alert_rule_kind::cost;
}

/// A reference to a named thing that is resolved after the whole file is read.
struct reference {
  std::string name;
  std::string shown;  ///< as written in the file (never a substituted value)
  std::string path;
  int line = 0;
};

/// What parse_settings saw at one level (defaults or one route).
struct settings_seen {
  bool interval = false;
  bool timeout = false;
};

class loader;

/// A mapping whose keys are checked against an allow-list when it is opened: unknown keys,
/// duplicate keys and non-scalar keys are reported once, here, with their own line.
class map_reader {
 public:
  map_reader(loader& l,
             const YAML::Node& node,
             std::string path,
             std::initializer_list<std::string_view> allowed,
             bool allow_extensions = false);

  bool ok() const noexcept { return ok_; }
  const YAML::Node* get(std::string_view key) const noexcept {
    for (const auto& e : entries_) {
      if (e.key == key) {
        return &e.value;
      }
    }
    return nullptr;
  }
  bool has(std::string_view key) const noexcept { return get(key) != nullptr; }
  std::string at(std::string_view key) const { return child(path_, key); }
  const std::string& path() const noexcept { return path_; }
  int line() const noexcept { return line_; }

 private:
  std::vector<entry> entries_;
  std::string path_;
  int line_ = 0;
  bool ok_ = false;
};

class loader {
 public:
  loader(std::string file, fs::path base_dir, const env_lookup& env)
      : file_(std::move(file)), base_dir_(std::move(base_dir)), env_(env) {}

  void fail(int line, std::string path, std::string message) {
    if (errors_.size() >= max_errors) {
      truncated_ = true;
      return;
    }
    errors_.push_back(config_error{file_, line, std::move(path), std::move(message)});
  }
  void fail(const YAML::Node& at, std::string path, std::string message) {
    fail(line_of(at), std::move(path), std::move(message));
  }
  std::size_t error_count() const noexcept { return errors_.size(); }

  std::vector<config_error> take_errors() {
    std::stable_sort(errors_.begin(),
                     errors_.end(),
                     [](const config_error& a, const config_error& b) { return a.line < b.line; });
    if (truncated_) {
      errors_.push_back(
          config_error{file_,
                       0,
                       "",
                       "too many errors; only the first " + std::to_string(max_errors) + " shown"});
    }
    return std::move(errors_);
  }

  /// Entries of a mapping; null counts as empty. Reports duplicate and non-scalar keys.
  std::optional<std::vector<entry>> entries(const YAML::Node& n, const std::string& path) {
    std::vector<entry> out;
    if (n.IsNull()) {
      return out;
    }
    if (!n.IsMap()) {
      fail(n, path, "expected a mapping, got " + std::string(kind_name(n)));
      return std::nullopt;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      const YAML::Node k = it->first;
      if (!k.IsScalar()) {
        fail(k, path, "keys must be plain names, got " + std::string(kind_name(k)));
        continue;
      }
      const std::string key = k.Scalar();
      const auto dup =
          std::find_if(out.begin(), out.end(), [&](const entry& e) { return e.key == key; });
      if (dup != out.end()) {
        fail(k,
             child(path, key),
             "duplicate key (first at line " + std::to_string(line_of(dup->key_node)) + ")");
        continue;
      }
      out.push_back(entry{key, k, it->second});
    }
    return out;
  }

  /// Items of a list; null counts as empty.
  std::optional<std::vector<YAML::Node>> items(const YAML::Node& n, const std::string& path) {
    std::vector<YAML::Node> out;
    if (n.IsNull()) {
      return out;
    }
    if (!n.IsSequence()) {
      fail(n, path, "expected a list, got " + std::string(kind_name(n)));
      return std::nullopt;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      out.push_back(*it);
    }
    return out;
  }

  /// A scalar with ${VAR} substituted. Null gives an empty value when `allow_null`.
  std::optional<text_value> scalar(const YAML::Node& n,
                                   const std::string& path,
                                   std::string_view expected,
                                   bool allow_null = false) {
    if (n.IsNull() && allow_null) {
      return text_value{};
    }
    if (!n.IsScalar()) {
      fail(n, path, "expected " + std::string(expected) + ", got " + std::string(kind_name(n)));
      return std::nullopt;
    }
    const std::string& raw = n.Scalar();
    auto sub = substitute_env(raw, env_);
    if (sub.error) {
      fail(n, path, *sub.error);
      return std::nullopt;
    }
    text_value v;
    v.value = std::move(sub.value);
    v.substituted = sub.substituted;
    v.shown = raw;
    return v;
  }

  std::optional<std::string> string(const YAML::Node& n, const std::string& path, bool required) {
    auto v = scalar(n, path, "a string", !required);
    if (!v) {
      return std::nullopt;
    }
    if (required && v->value.empty()) {
      fail(n, path, "must not be empty");
      return std::nullopt;
    }
    return std::move(v->value);
  }

  std::optional<std::vector<std::string>> string_list(const YAML::Node& n,
                                                      const std::string& path) {
    auto list = items(n, path);
    if (!list) {
      return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (std::size_t i = 0; i < list->size(); ++i) {
      auto s = string((*list)[i], index(path, i), true);
      if (s) {
        out.push_back(std::move(*s));
      } else {
        ok = false;
      }
    }
    if (!ok) {
      return std::nullopt;
    }
    return out;
  }

  std::optional<milliseconds> duration(const YAML::Node& n, const std::string& path) {
    auto v = scalar(n, path, "a duration");
    if (!v) {
      return std::nullopt;
    }
    const auto d = parse_duration(v->value);
    if (!d) {
      fail(n, path, quote(v->shown) + " is not a duration (use 30s, 5m, 1h)");
      return std::nullopt;
    }
    if (d->count() <= 0) {
      fail(n, path, quote(v->shown) + " must be positive");
      return std::nullopt;
    }
    if (*d > max_duration) {
      fail(n, path, quote(v->shown) + " is longer than 365d");
      return std::nullopt;
    }
    return d;
  }

  std::optional<std::chrono::seconds> whole_seconds(const YAML::Node& n, const std::string& path) {
    const auto d = duration(n, path);
    if (!d) {
      return std::nullopt;
    }
    if (d->count() % 1000 != 0) {
      fail(n, path, quote(n.Scalar()) + " must be a whole number of seconds");
      return std::nullopt;
    }
    return std::chrono::duration_cast<std::chrono::seconds>(*d);
  }

  std::optional<long long> integer(const YAML::Node& n,
                                   const std::string& path,
                                   long long min,
                                   long long max) {
    auto v = scalar(n, path, "an integer");
    if (!v) {
      return std::nullopt;
    }
    long long out = 0;
    const char* end = v->value.data() + v->value.size();
    const auto [p, ec] = std::from_chars(v->value.data(), end, out);
    if (v->value.empty() || ec == std::errc::invalid_argument || p != end) {
      fail(n, path, quote(v->shown) + " is not an integer");
      return std::nullopt;
    }
    if (ec == std::errc::result_out_of_range || out < min || out > max) {
      fail(n,
           path,
           quote(v->shown) + " is out of range (" + std::to_string(min) + ".." +
               std::to_string(max) + ")");
      return std::nullopt;
    }
    return out;
  }

  std::optional<double> number(const YAML::Node& n,
                               const std::string& path,
                               double min,
                               double max,
                               std::string_view range_text) {
    auto v = scalar(n, path, "a number");
    if (!v) {
      return std::nullopt;
    }
    double out = 0;
    const char* end = v->value.data() + v->value.size();
    const auto [p, ec] = std::from_chars(v->value.data(), end, out);
    if (v->value.empty() || ec != std::errc{} || p != end || out != out) {
      fail(n, path, quote(v->shown) + " is not a number");
      return std::nullopt;
    }
    if (out < min || out > max) {
      fail(n, path, quote(v->shown) + " is out of range (" + std::string(range_text) + ")");
      return std::nullopt;
    }
    return out;
  }

  std::optional<bool> boolean(const YAML::Node& n, const std::string& path) {
    auto v = scalar(n, path, "true or false");
    if (!v) {
      return std::nullopt;
    }
    if (v->value == "true") {
      return true;
    }
    if (v->value == "false") {
      return false;
    }
    fail(n, path, quote(v->shown) + " is not a boolean (use true or false)");
    return std::nullopt;
  }

  std::optional<std::uint64_t> size(const YAML::Node& n,
                                    const std::string& path,
                                    std::uint64_t min,
                                    std::uint64_t max,
                                    std::string_view range_text) {
    auto v = scalar(n, path, "a size");
    if (!v) {
      return std::nullopt;
    }
    const auto s = parse_size(v->value);
    if (!s) {
      fail(n, path, quote(v->shown) + " is not a size (use 512KiB, 4MiB, 1GiB or bytes)");
      return std::nullopt;
    }
    if (*s < min || *s > max) {
      fail(n, path, quote(v->shown) + " is out of range (" + std::string(range_text) + ")");
      return std::nullopt;
    }
    return s;
  }

  /// An http(s) URL; the URL itself is never echoed (it may hold credentials or be a secret).
  std::optional<std::string> url(const YAML::Node& n,
                                 const std::string& path,
                                 const std::vector<std::string>& schemes = {"http", "https"}) {
    auto v = string(n, path, true);
    if (!v) {
      return std::nullopt;
    }
    if (auto problem = check_url(*v, schemes)) {
      fail(n, path, *problem);
      return std::nullopt;
    }
    return v;
  }

  /// Resolves a path written in the file against the file's directory.
  std::string resolve(const std::string& p) const {
    const fs::path path(p);
    if (path.is_absolute() || base_dir_.empty()) {
      return p;
    }
    return (base_dir_ / path).string();
  }

  /// An existing, readable regular file (ca_file and the like); returns its resolved path.
  std::optional<std::string> readable_file(const YAML::Node& n, const std::string& path) {
    auto v = string(n, path, true);
    if (!v) {
      return std::nullopt;
    }
    const std::string p = resolve(*v);
    if (auto problem = unreadable(p)) {
      fail(n, path, "cannot read " + p + ": " + *problem);
      return std::nullopt;
    }
    return p;
  }

  /// Why `p` cannot be read as a regular file, or nullopt. Checked before opening: opening a
  /// FIFO or a terminal would block start-up.
  static std::optional<std::string> unreadable(const std::string& p) {
    std::error_code ec;
    const auto st = fs::status(p, ec);
    if (ec) {
      return ec.message();
    }
    if (fs::is_directory(st)) {
      return std::string("is a directory");
    }
    if (!fs::is_regular_file(st)) {
      return std::string("not a regular file");
    }
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      return std::string(std::strerror(errno));
    }
    return std::nullopt;
  }

  /// A secret given as `<base>_env`, `<base>_file` or `<base>_credential` in `m`. Returns
  /// nullopt when none is given (`given` false) or when it cannot be read (an error is recorded,
  /// `given` true). The value is never put into a message.
  std::optional<std::string> secret(const map_reader& m,
                                    std::string_view base,
                                    bool single_line,
                                    bool& given) {
    const std::string env_key = std::string(base) + "_env";
    const std::string file_key = std::string(base) + "_file";
    const std::string cred_key = std::string(base) + "_credential";
    std::vector<std::string> present;
    for (const auto& k : {env_key, file_key, cred_key}) {
      if (m.has(k)) {
        present.push_back(k);
      }
    }
    given = !present.empty();
    if (present.empty()) {
      return std::nullopt;
    }
    if (present.size() > 1) {
      fail(*m.get(present[1]), m.at(present[1]), "set only one of " + join(present, ", "));
      return std::nullopt;
    }
    const std::string& key = present.front();
    const YAML::Node& n = *m.get(key);
    const std::string path = m.at(key);
    std::optional<std::string> value;
    if (key == env_key) {
      auto name = string(n, path, true);
      if (!name) {
        return std::nullopt;
      }
      if (!valid_env_name(*name)) {
        fail(n, path, quote(n.Scalar()) + " is not a valid environment variable name");
        return std::nullopt;
      }
      value = env_(*name);
      if (!value) {
        fail(n, path, "environment variable " + *name + " is not set");
        return std::nullopt;
      }
      if (value->empty()) {
        fail(n, path, "environment variable " + *name + " is empty");
        return std::nullopt;
      }
    } else {
      auto name = string(n, path, true);
      if (!name) {
        return std::nullopt;
      }
      std::string file;
      if (key == cred_key) {
        if (name->find('/') != std::string::npos || *name == "." || *name == "..") {
          fail(n, path, quote(n.Scalar()) + " is not a credential name (a plain file name)");
          return std::nullopt;
        }
        const auto dir = env_("CREDENTIALS_DIRECTORY");
        if (!dir || dir->empty()) {
          fail(n,
               path,
               "CREDENTIALS_DIRECTORY is not set (" + key +
                   " needs systemd LoadCredential= or SetCredential=)");
          return std::nullopt;
        }
        file = (fs::path(*dir) / *name).string();
      } else {
        file = resolve(*name);
      }
      value = read_secret_file(n, path, file);
      if (!value) {
        return std::nullopt;
      }
      if (value->empty()) {
        fail(n, path, file + " is empty");
        return std::nullopt;
      }
    }
    if (single_line && value->find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      fail(n, path, "the secret contains a line break or NUL byte");
      return std::nullopt;
    }
    return value;
  }

  /// Reads the route/gateway/receiver name at `m`'s "name" key, checked against the label syntax.
  std::optional<std::string> name(const map_reader& m, std::string_view what) {
    const YAML::Node* n = m.get("name");
    if (n == nullptr) {
      fail(m.line(), m.path(), "missing required key \"name\"");
      return std::nullopt;
    }
    auto v = scalar(*n, m.at("name"), "a name");
    if (!v) {
      return std::nullopt;
    }
    if (!valid_route_name(v->value)) {
      fail(*n, m.at("name"), name_error(v->shown, what));
      return std::nullopt;
    }
    return v->value;
  }

  static std::string name_error(std::string_view shown, std::string_view what) {
    return quote(shown) + " is not a valid " + std::string(what) +
           " name (letters, digits and . _ : / @ -, starting with a letter or digit, at most 128)";
  }

  const env_lookup& env() const noexcept { return env_; }

 private:
  std::optional<std::string> read_secret_file(const YAML::Node& n,
                                              const std::string& path,
                                              const std::string& file) {
    if (auto problem = unreadable(file)) {
      fail(n, path, "cannot read " + file + ": " + *problem);
      return std::nullopt;
    }
    std::ifstream in(file, std::ios::binary);
    std::string value(max_secret_bytes + 1, '\0');
    in.read(value.data(), static_cast<std::streamsize>(value.size()));
    value.resize(static_cast<std::size_t>(in.gcount()));
    if (value.size() > max_secret_bytes) {
      fail(n, path, file + " is larger than 64 KiB");
      return std::nullopt;
    }
    // Editors and `echo` add one trailing newline; it is not part of the secret.
    if (!value.empty() && value.back() == '\n') {
      value.pop_back();
      if (!value.empty() && value.back() == '\r') {
        value.pop_back();
      }
    }
    return value;
  }

  std::string file_;
  fs::path base_dir_;
  const env_lookup& env_;
  std::vector<config_error> errors_;
  bool truncated_ = false;
};

map_reader::map_reader(loader& l,
                       const YAML::Node& node,
                       std::string path,
                       std::initializer_list<std::string_view> allowed,
                       bool allow_extensions)
    : path_(std::move(path)), line_(line_of(node)) {
  auto all = l.entries(node, path_);
  if (!all) {
    return;
  }
  ok_ = true;
  for (auto& e : *all) {
    const bool known = std::find(allowed.begin(), allowed.end(), e.key) != allowed.end();
    if (known) {
      entries_.push_back(std::move(e));
      continue;
    }
    if (allow_extensions && e.key.rfind("x-", 0) == 0) {
      continue;  // free-form extension keys hold YAML anchors for reuse
    }
    std::string message = "unknown key";
    std::string_view best;
    std::size_t best_distance = 3;
    for (const auto candidate : allowed) {
      const auto d = edit_distance(e.key, candidate);
      if (d < best_distance && d < e.key.size()) {
        best = candidate;
        best_distance = d;
      }
    }
    const bool secret_base =
        std::find(allowed.begin(), allowed.end(), e.key + "_env") != allowed.end();
    if (secret_base) {
      // Inline secrets would end up in config backups and diffs; point at the three forms.
      message += " (secrets are read from " + e.key + "_env, " + e.key + "_file or " + e.key +
                 "_credential)";
    } else if (!best.empty()) {
      message += " (did you mean " + std::string(best) + "?)";
    }
    l.fail(e.key_node, child(path_, e.key), std::move(message));
  }
}

// --- the settings every route inherits -----------------------------------------------------

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

class config_parser {
 public:
  config_parser(loader& l, config& cfg) : l_(l), cfg_(cfg) {}

  void parse(const YAML::Node& root) {
    if (root.IsNull() || !root.IsDefined()) {
      l_.fail(0, "", "the file is empty (expected global, gateways, routes, ...)");
      return;
    }
    map_reader top(
        l_, root, "", {"global", "defaults", "gateways", "routes", "receivers", "silences"}, true);
    if (!top.ok()) {
      return;
    }
    if (const auto* n = top.get("global")) {
      parse_global(*n);
    }
    defaults_ = builtin_settings();
    if (const auto* n = top.get("defaults")) {
      map_reader m(l_,
                   *n,
                   "defaults",
                   {"interval",
                    "timeout",
                    "baseline_interval",
                    "window",
                    "challenge",
                    "checks",
                    "price",
                    "alerts"});
      if (m.ok()) {
        const auto seen = parse_settings(m, defaults_);
        check_timeout(m, defaults_, seen);
      }
    }
    if (const auto* n = top.get("gateways")) {
      parse_gateways(*n);
    }
    if (const auto* n = top.get("receivers")) {
      parse_receivers(*n);
    }
    if (const auto* n = top.get("routes")) {
      parse_routes(*n);
    } else {
      l_.fail(top.line(), "routes", "at least one route is required");
    }
    if (const auto* n = top.get("silences")) {
      parse_silences(*n);
    }
    resolve_references();
    check_admin_token();
  }

 private:
  // --- global ---------------------------------------------------------------------------------

  void parse_global(const YAML::Node& n) {
    map_reader m(l_,
                 n,
                 "global",
                 {"listen",
                  "state_dir",
                  "external_labels",
                  "admin_token_env",
                  "admin_token_file",
                  "admin_token_credential",
                  "public_url",
                  "media_base_url",
                  "max_in_flight",
                  "shutdown_grace"});
    if (!m.ok()) {
      return;
    }
    auto& g = cfg_.global;
    if (const auto* v = m.get("listen")) {
      if (auto s = l_.scalar(*v, m.at("listen"), "an address")) {
        if (auto a = parse_listen_address(s->value)) {
          g.listen = s->value;
          listen_shown_ = s->shown;
          listen_loopback_ = a->loopback;
          listen_line_ = line_of(*v);
        } else {
          l_.fail(*v,
                  m.at("listen"),
                  quote(s->shown) + " is not a listen address (use 127.0.0.1:9464 or [::1]:9464)");
        }
      }
    }
    if (const auto* v = m.get("state_dir")) {
      if (auto s = l_.string(*v, m.at("state_dir"), true)) {
        g.state_dir = *s;
      }
    }
    if (const auto* v = m.get("external_labels")) {
      parse_external_labels(*v, m.at("external_labels"));
    }
    bool given = false;
    if (auto token = l_.secret(m, "admin_token", true, given)) {
      g.admin_token = std::move(*token);
    }
    admin_token_given_ = given;
    if (const auto* v = m.get("public_url")) {
      if (auto u = l_.url(*v, m.at("public_url"))) {
        g.public_url = *u;
      }
    }
    if (const auto* v = m.get("media_base_url")) {
      if (auto u = l_.url(*v, m.at("media_base_url"))) {
        g.media_base_url = *u;
      }
    }
    if (const auto* v = m.get("max_in_flight")) {
      if (auto i = l_.integer(*v, m.at("max_in_flight"), 1, 100'000)) {
        g.max_in_flight = static_cast<std::size_t>(*i);
      }
    }
    if (const auto* v = m.get("shutdown_grace")) {
      if (auto d = l_.duration(*v, m.at("shutdown_grace"))) {
        g.shutdown_grace = *d;
      }
    }
  }

  void parse_external_labels(const YAML::Node& n, const std::string& path) {
    // Labels visionwatch itself puts on its series; an external label must not shadow them.
    static const std::set<std::string, std::less<>> reserved = {"route",
                                                                "model",
                                                                "gateway",
                                                                "outcome",
                                                                "reason",
                                                                "phase",
                                                                "quantile",
                                                                "receiver",
                                                                "result",
                                                                "rule",
                                                                "le",
                                                                "job",
                                                                "instance"};
    auto entries = l_.entries(n, path);
    if (!entries) {
      return;
    }
    for (const auto& e : *entries) {
      const std::string p = child(path, e.key);
      if (!valid_label_name(e.key) || e.key.rfind("__", 0) == 0) {
        l_.fail(e.key_node,
                p,
                quote(e.key) + " is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, no __ prefix)");
        continue;
      }
      if (reserved.count(e.key) != 0) {
        l_.fail(e.key_node, p, quote(e.key) + " is a label visionwatch sets itself");
        continue;
      }
      if (auto v = l_.string(e.value, p, true)) {
        cfg_.global.external_labels[e.key] = *v;
      }
    }
  }

  // --- gateways -------------------------------------------------------------------------------

  void parse_gateways(const YAML::Node& n) {
    auto list = l_.items(n, "gateways");
    if (!list) {
      return;
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      parse_gateway((*list)[i], index("gateways", i));
    }
  }

  void parse_gateway(const YAML::Node& n, const std::string& path) {
    map_reader m(l_,
                 n,
                 path,
                 {"name",
                  "base_url",
                  "api",
                  "api_key_env",
                  "api_key_file",
                  "api_key_credential",
                  "headers",
                  "tls",
                  "proxy_url",
                  "max_concurrency",
                  "keep_alive",
                  "connect_timeout",
                  "max_body"});
    if (!m.ok()) {
      return;
    }
    gateway_config g;
    const auto name = l_.name(m, "gateway");
    if (name) {
      g.name = *name;
      if (const auto prev = gateway_lines_.find(*name); prev != gateway_lines_.end()) {
        l_.fail(*m.get("name"),
                m.at("name"),
                "gateway " + quote(m.get("name")->Scalar()) + " is already defined at line " +
                    std::to_string(prev->second));
      } else {
        gateway_lines_[*name] = line_of(*m.get("name"));
      }
    }
    if (const auto* v = m.get("base_url")) {
      if (auto u = l_.url(*v, m.at("base_url"))) {
        g.base_url = *u;
      }
    } else {
      l_.fail(m.line(), path, "missing required key \"base_url\"");
    }
    if (const auto* v = m.get("api")) {
      if (auto s = l_.scalar(*v, m.at("api"), "an API flavour")) {
        if (auto f = api_flavour_from_string(s->value)) {
          g.api = *f;
        } else {
          l_.fail(*v, m.at("api"), quote(s->shown) + " is not an API flavour (use openai-chat)");
        }
      }
    }
    bool key_given = false;
    if (auto key = l_.secret(m, "api_key", true, key_given)) {
      g.api_key = std::move(*key);
    }
    if (const auto* v = m.get("headers")) {
      parse_headers(*v, m.at("headers"), key_given, g.headers);
    }
    if (const auto* v = m.get("tls")) {
      map_reader t(l_, *v, m.at("tls"), {"ca_file", "server_name", "insecure_skip_verify"});
      if (t.ok()) {
        parse_tls(t, g.client.tls.ca_file, g.client.tls.insecure_skip_verify);
        if (const auto* s = t.get("server_name")) {
          if (auto name_value = l_.string(*s, t.at("server_name"), true)) {
            g.client.tls.server_name = *name_value;
          }
        }
      }
    }
    if (const auto* v = m.get("proxy_url")) {
      auto s = l_.scalar(*v, m.at("proxy_url"), "a URL");
      if (s && s->value == "none") {
        g.client.proxy_url.clear();
        g.client.use_env_proxy = false;
      } else if (s) {
        if (auto u = l_.url(*v, m.at("proxy_url"), {"http"})) {
          g.client.proxy_url = *u;
          g.client.use_env_proxy = false;
        }
      }
    }
    if (const auto* v = m.get("max_concurrency")) {
      if (auto i = l_.integer(*v, m.at("max_concurrency"), 1, 10'000)) {
        g.max_concurrency = static_cast<std::size_t>(*i);
      }
    }
    if (const auto* v = m.get("keep_alive")) {
      if (auto b = l_.boolean(*v, m.at("keep_alive"))) {
        g.client.keep_alive = *b;
      }
    }
    if (const auto* v = m.get("connect_timeout")) {
      if (auto d = l_.duration(*v, m.at("connect_timeout"))) {
        g.client.connect_timeout = *d;
      }
    }
    if (const auto* v = m.get("max_body")) {
      if (auto s = l_.size(*v, m.at("max_body"), 1024, 1ULL << 30, "1KiB..1GiB")) {
        g.client.body_limit = static_cast<std::size_t>(*s);
      }
    }
    cfg_.gateways.push_back(std::move(g));
  }

  void parse_headers(const YAML::Node& n,
                     const std::string& path,
                     bool api_key_given,
                     header_list& out) {
    // Framing headers belong to the HTTP client; overriding them would corrupt requests.
    static const std::set<std::string, std::less<>> owned = {
        "host", "content-length", "transfer-encoding", "connection", "content-type"};
    auto entries = l_.entries(n, path);
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
        l_.fail(e.key_node, p, quote(e.key) + " is not a valid header name");
        continue;
      }
      if (owned.count(lower) != 0) {
        l_.fail(e.key_node, p, "the " + e.key + " header is set by visionwatch");
        continue;
      }
      if (lower == "authorization" && api_key_given) {
        l_.fail(e.key_node, p, "set either api_key_* or an Authorization header, not both");
        continue;
      }
      // Header values may carry secrets (${VAR}); they are never echoed.
      auto v = l_.string(e.value, p, false);
      if (!v) {
        continue;
      }
      if (v->find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
        l_.fail(e.value, p, "the value contains a line break or NUL byte");
        continue;
      }
      out.emplace_back(e.key, std::move(*v));
    }
  }

  void parse_tls(const map_reader& t, std::string& ca_file, bool& insecure) {
    if (const auto* v = t.get("ca_file")) {
      if (auto f = l_.readable_file(*v, t.at("ca_file"))) {
        ca_file = *f;
      }
    }
    if (const auto* v = t.get("insecure_skip_verify")) {
      if (auto b = l_.boolean(*v, t.at("insecure_skip_verify"))) {
        insecure = *b;
      }
    }
  }

  // --- receivers ------------------------------------------------------------------------------

  void parse_receivers(const YAML::Node& n) {
    auto list = l_.items(n, "receivers");
    if (!list) {
      return;
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      parse_receiver((*list)[i], index("receivers", i));
    }
  }

  void parse_receiver(const YAML::Node& n, const std::string& path) {
    map_reader m(l_,
                 n,
                 path,
                 {"name",
                  "type",
                  "url",
                  "url_env",
                  "url_file",
                  "url_credential",
                  "secret_env",
                  "secret_file",
                  "secret_credential",
                  "timeout",
                  "max_attempts",
                  "max_age",
                  "min_backoff",
                  "max_backoff",
                  "queue_size",
                  "resend_interval",
                  "tls"});
    if (!m.ok()) {
      return;
    }
    const std::size_t errors_before = l_.error_count();
    receiver_config r;
    const auto name = l_.name(m, "receiver");
    if (name) {
      r.name = *name;
      if (const auto prev = receiver_lines_.find(*name); prev != receiver_lines_.end()) {
        l_.fail(*m.get("name"),
                m.at("name"),
                "receiver " + quote(m.get("name")->Scalar()) + " is already defined at line " +
                    std::to_string(prev->second));
      } else {
        receiver_lines_[*name] = line_of(*m.get("name"));
      }
    }
    bool kind_ok = false;
    if (const auto* v = m.get("type")) {
      if (auto s = l_.scalar(*v, m.at("type"), "a receiver type")) {
        if (auto k = receiver_kind_from_string(s->value)) {
          r.kind = *k;
          kind_ok = true;
        } else {
          l_.fail(*v,
                  m.at("type"),
                  quote(s->shown) +
                      " is not a receiver type (use webhook, slack, pagerduty, alertmanager)");
        }
      }
    } else {
      l_.fail(m.line(), path, "missing required key \"type\"");
    }
    // The URL: plain, or as a secret (Slack webhook URLs are credentials).
    bool url_secret_given = false;
    const auto url_secret = l_.secret(m, "url", true, url_secret_given);
    bool url_given = url_secret_given;
    if (const auto* v = m.get("url")) {
      url_given = true;
      if (url_secret_given) {
        l_.fail(*v, m.at("url"), "set either url or url_env/url_file/url_credential, not both");
      } else if (auto u = l_.url(*v, m.at("url"))) {
        r.url = *u;
      }
    } else if (url_secret) {
      const std::string key = m.has("url_env")    ? "url_env"
                              : m.has("url_file") ? "url_file"
                                                  : "url_credential";
      if (auto problem = check_url(*url_secret, {"http", "https"})) {
        l_.fail(*m.get(key), m.at(key), "the URL it holds " + *problem);
      } else {
        r.url = *url_secret;
      }
    }
    bool secret_given = false;
    if (auto s = l_.secret(m, "secret", true, secret_given)) {
      r.secret = std::move(*s);
    }
    if (kind_ok) {
      const bool needs_url = r.kind != receiver_kind::pagerduty;
      if (needs_url && !url_given) {
        l_.fail(m.line(),
                path,
                std::string(to_string(r.kind)) +
                    " receivers need url (or url_env, url_file, "
                    "url_credential)");
      }
      if (r.kind == receiver_kind::pagerduty && !url_given) {
        r.url = "https://events.pagerduty.com/v2/enqueue";
      }
      if (r.kind == receiver_kind::pagerduty && !secret_given) {
        l_.fail(m.line(),
                path,
                "pagerduty receivers need the routing key as secret_env, secret_file or "
                "secret_credential");
      }
      if (secret_given &&
          (r.kind == receiver_kind::slack || r.kind == receiver_kind::alertmanager)) {
        const std::string key = m.has("secret_env")    ? "secret_env"
                                : m.has("secret_file") ? "secret_file"
                                                       : "secret_credential";
        l_.fail(
            *m.get(key), m.at(key), std::string(to_string(r.kind)) + " receivers take no secret");
      }
      if (m.has("resend_interval") && r.kind != receiver_kind::alertmanager) {
        l_.fail(*m.get("resend_interval"),
                m.at("resend_interval"),
                "only alertmanager receivers re-send");
      }
    }
    if (const auto* v = m.get("timeout")) {
      if (auto d = l_.duration(*v, m.at("timeout"))) {
        r.timeout = *d;
      }
    }
    if (const auto* v = m.get("max_attempts")) {
      if (auto i = l_.integer(*v, m.at("max_attempts"), 1, 1000)) {
        r.max_attempts = static_cast<int>(*i);
      }
    }
    if (const auto* v = m.get("max_age")) {
      if (auto d = l_.whole_seconds(*v, m.at("max_age"))) {
        r.max_age = *d;
      }
    }
    if (const auto* v = m.get("min_backoff")) {
      if (auto d = l_.duration(*v, m.at("min_backoff"))) {
        r.min_backoff = *d;
      }
    }
    if (const auto* v = m.get("max_backoff")) {
      if (auto d = l_.duration(*v, m.at("max_backoff"))) {
        r.max_backoff = *d;
      }
    }
    if (r.max_backoff < r.min_backoff) {
      const char* key = m.get("max_backoff") != nullptr ? "max_backoff" : "min_backoff";
      l_.fail(*m.get(key),
              m.at(key),
              "max_backoff (" + std::to_string(r.max_backoff.count()) +
                  " ms) is shorter than min_backoff (" + std::to_string(r.min_backoff.count()) +
                  " ms)");
    }
    if (const auto* v = m.get("queue_size")) {
      if (auto i = l_.integer(*v, m.at("queue_size"), 1, 1'000'000)) {
        r.queue_size = static_cast<std::size_t>(*i);
      }
    }
    if (const auto* v = m.get("resend_interval")) {
      if (auto d = l_.whole_seconds(*v, m.at("resend_interval"))) {
        r.resend_interval = *d;
      }
    }
    if (const auto* v = m.get("tls")) {
      map_reader t(l_, *v, m.at("tls"), {"ca_file", "insecure_skip_verify"});
      if (t.ok()) {
        parse_tls(t, r.ca_file, r.insecure_skip_verify);
      }
    }
    // The notifier's own checks (a webhook secret in the Standard Webhooks format, ...): what
    // they refuse must fail here, not when a reload has already swapped the configuration in.
    if (l_.error_count() == errors_before) {
      if (const auto problem = check_receiver(r); !problem.empty()) {
        l_.fail(m.line(), path, problem);
      }
    }
    cfg_.receivers.push_back(std::move(r));
  }

  // --- route settings (defaults and per route) ------------------------------------------------

  settings_seen parse_settings(const map_reader& m, route_settings& s) {
    settings_seen seen;
    if (const auto* v = m.get("interval")) {
      seen.interval = true;
      if (auto d = l_.duration(*v, m.at("interval"))) {
        s.interval = *d;
      }
    }
    if (const auto* v = m.get("timeout")) {
      seen.timeout = true;
      if (auto d = l_.duration(*v, m.at("timeout"))) {
        s.timeout = *d;
      }
    }
    if (const auto* v = m.get("baseline_interval")) {
      if (auto d = l_.duration(*v, m.at("baseline_interval"))) {
        s.baseline_interval = *d;
      }
    }
    if (const auto* v = m.get("window")) {
      if (auto i = l_.integer(*v, m.at("window"), 1, 100'000)) {
        s.window = static_cast<std::size_t>(*i);
      }
    }
    if (const auto* v = m.get("challenge")) {
      parse_challenge(*v, m.at("challenge"), s.challenge);
    }
    if (const auto* v = m.get("checks")) {
      parse_checks(*v, m.at("checks"), s.checks);
    }
    if (const auto* v = m.get("price")) {
      map_reader p(l_, *v, m.at("price"), {"input_per_million", "output_per_million"});
      if (p.ok()) {
        for (const char* key : {"input_per_million", "output_per_million"}) {
          if (const auto* x = p.get(key)) {
            if (auto d = l_.number(*x, p.at(key), 0, 1e6, "0..1000000 USD")) {
              (std::string_view(key) == "input_per_million" ? s.price.input_per_million
                                                            : s.price.output_per_million) = *d;
            }
          }
        }
      }
    }
    if (const auto* v = m.get("alerts")) {
      parse_alerts(*v, m.at("alerts"), s.alerts);
    }
    return seen;
  }

  void check_timeout(const map_reader& m, const route_settings& s, settings_seen seen) {
    if ((seen.interval || seen.timeout) && s.timeout > s.interval) {
      const std::string key = seen.timeout ? "timeout" : "interval";
      l_.fail(*m.get(key),
              m.at("timeout"),
              "timeout " + format_duration(s.timeout) + " is longer than interval " +
                  format_duration(s.interval));
    }
  }

  void parse_challenge(const YAML::Node& n, const std::string& path, challenge_config& c) {
    map_reader m(l_,
                 n,
                 path,
                 {"kind",
                  "width",
                  "height",
                  "media",
                  "detail",
                  "max_tokens",
                  "temperature",
                  "image_file",
                  "image_url",
                  "prompt",
                  "expect"});
    if (!m.ok()) {
      return;
    }
    if (m.has("image_file") && m.has("image_url")) {
      l_.fail(*m.get("image_url"), m.at("image_url"), "set either image_file or image_url");
    }
    if (m.has("kind") && (m.has("image_file") || m.has("image_url"))) {
      l_.fail(*m.get("kind"),
              m.at("kind"),
              "kind is for generated challenges; a user-supplied probe (image_file or image_url) "
              "has none");
    }
    if (const auto* v = m.get("kind")) {
      if (auto s = l_.scalar(*v, m.at("kind"), "a challenge kind")) {
        if (auto k = challenge_kind_from_string(s->value)) {
          c.kind = *k;
          // Choosing a generated kind replaces an inherited user-supplied probe.
          c.image_file.clear();
          c.image_url.clear();
          c.prompt.clear();
          c.expect_pattern.clear();
          c.expect_words.clear();
        } else {
          l_.fail(*v,
                  m.at("kind"),
                  quote(s->shown) + " is not a challenge kind (use digits, color, shape, count)");
        }
      }
    }
    for (const char* key : {"width", "height"}) {
      if (const auto* v = m.get(key)) {
        if (auto i = l_.integer(*v, m.at(key), 64, 4096)) {
          (std::string_view(key) == "width" ? c.width : c.height) = static_cast<int>(*i);
        }
      }
    }
    if (const auto* v = m.get("media")) {
      if (auto s = l_.scalar(*v, m.at("media"), "a media mode")) {
        if (s->value == "data_url") {
          c.media = media_mode::data_url;
        } else if (s->value == "remote_url") {
          c.media = media_mode::remote_url;
        } else {
          l_.fail(*v,
                  m.at("media"),
                  quote(s->shown) + " is not a media mode (use data_url, remote_url)");
        }
      }
    }
    if (const auto* v = m.get("detail")) {
      if (auto s = l_.scalar(*v, m.at("detail"), "a detail level")) {
        if (s->value == "low" || s->value == "high" || s->value == "auto") {
          c.detail = s->value;
        } else {
          l_.fail(
              *v, m.at("detail"), quote(s->shown) + " is not a detail level (use low, high, auto)");
        }
      }
    }
    if (const auto* v = m.get("max_tokens")) {
      if (auto i = l_.integer(*v, m.at("max_tokens"), 1, 100'000)) {
        c.max_tokens = static_cast<int>(*i);
      }
    }
    if (const auto* v = m.get("temperature")) {
      if (auto d = l_.number(*v, m.at("temperature"), 0, 2, "0..2")) {
        c.temperature = *d;
      }
    }
    if (const auto* v = m.get("image_file")) {
      if (auto f = image_file(*v, m.at("image_file"))) {
        c.image_file = *f;
        c.image_url.clear();
      }
    }
    if (const auto* v = m.get("image_url")) {
      if (auto u = l_.url(*v, m.at("image_url"))) {
        c.image_url = *u;
        c.image_file.clear();
      }
    }
    if (const auto* v = m.get("prompt")) {
      if (auto s = l_.string(*v, m.at("prompt"), true)) {
        c.prompt = *s;
      }
    }
    if (const auto* v = m.get("expect")) {
      parse_expect(*v, m.at("expect"), c);
    }
  }

  /// A user-supplied probe image: readable, at most 20 MiB, PNG or JPEG by its magic bytes.
  std::optional<std::string> image_file(const YAML::Node& n, const std::string& path) {
    auto f = l_.readable_file(n, path);
    if (!f) {
      return std::nullopt;
    }
    std::error_code ec;
    const auto bytes = fs::file_size(*f, ec);
    if (ec) {
      l_.fail(n, path, "cannot read " + *f + ": " + ec.message());
      return std::nullopt;
    }
    if (bytes > max_image_bytes) {
      l_.fail(n, path, *f + " is larger than 20 MiB");
      return std::nullopt;
    }
    std::ifstream in(*f, std::ios::binary);
    std::string head(8, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(in.gcount()));
    const bool png = head == std::string_view("\x89PNG\r\n\x1a\n", 8);
    const bool jpeg = head.size() >= 3 && head.compare(0, 3, "\xff\xd8\xff") == 0;
    if (!png && !jpeg) {
      l_.fail(n, path, *f + " is not a PNG or JPEG image");
      return std::nullopt;
    }
    return f;
  }

  void parse_expect(const YAML::Node& n, const std::string& path, challenge_config& c) {
    map_reader m(l_, n, path, {"pattern", "words"});
    if (!m.ok()) {
      return;
    }
    if (!m.has("pattern") && !m.has("words")) {
      l_.fail(m.line(), path, "set pattern or words");
      return;
    }
    // expect is one definition of a right answer: it replaces an inherited one as a whole.
    c.expect_pattern.clear();
    c.expect_words.clear();
    if (const auto* v = m.get("pattern")) {
      if (auto s = l_.string(*v, m.at("pattern"), true)) {
        std::string pattern = *s;
        // Matching is always case-insensitive; accept the Perl/RE2 spelling people paste.
        if (pattern.rfind("(?i)", 0) == 0) {
          pattern.erase(0, 4);
        }
        if (pattern.size() > 1024) {
          l_.fail(*v, m.at("pattern"), "the pattern is longer than 1024 characters");
        } else {
          try {
            const std::regex re(pattern, std::regex::ECMAScript | std::regex::icase);
            c.expect_pattern = pattern;
          } catch (const std::regex_error& e) {
            l_.fail(*v,
                    m.at("pattern"),
                    quote(v->Scalar()) +
                        " is not a valid regular expression (ECMAScript): " + e.what());
          }
        }
      }
    }
    if (const auto* v = m.get("words")) {
      if (auto w = l_.string_list(*v, m.at("words"))) {
        if (w->empty()) {
          l_.fail(*v, m.at("words"), "must list at least one word");
        }
        c.expect_words = std::move(*w);
      }
    }
  }

  void parse_checks(const YAML::Node& n, const std::string& path, verdict_checks& c) {
    map_reader m(l_,
                 n,
                 path,
                 {"min_image_tokens",
                  "require_usage",
                  "no_image_phrases",
                  "refusal_phrases",
                  "extra_no_image_phrases",
                  "extra_refusal_phrases"});
    if (!m.ok()) {
      return;
    }
    if (const auto* v = m.get("min_image_tokens")) {
      if (auto i = l_.integer(*v, m.at("min_image_tokens"), 0, 1'000'000)) {
        c.min_image_tokens = *i;
      }
    }
    if (const auto* v = m.get("require_usage")) {
      if (auto b = l_.boolean(*v, m.at("require_usage"))) {
        c.require_usage = *b;
      }
    }
    // A route that changes neither list keeps sharing the inherited one.
    auto phrases = [&](const char* replace_key, const char* extra_key, phrase_list& out) {
      std::optional<std::vector<std::string>> changed;
      if (const auto* v = m.get(replace_key)) {
        if (auto list = l_.string_list(*v, m.at(replace_key))) {
          changed = std::move(*list);
        }
      }
      if (const auto* v = m.get(extra_key)) {
        if (auto list = l_.string_list(*v, m.at(extra_key))) {
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

  void parse_alerts(const YAML::Node& n, const std::string& path, alert_rules_config& a) {
    map_reader m(l_, n, path, {"repeat_interval", "rules"});
    if (!m.ok()) {
      return;
    }
    if (const auto* v = m.get("repeat_interval")) {
      if (auto d = l_.whole_seconds(*v, m.at("repeat_interval"))) {
        a.repeat_interval = *d;
      }
    }
    const auto* rules = m.get("rules");
    if (rules == nullptr) {
      return;
    }
    const std::string rules_path = m.at("rules");
    auto entries = l_.entries(*rules, rules_path);
    if (!entries) {
      return;
    }
    for (const auto& e : *entries) {
      const auto kind = alert_rule_kind_from_string(e.key);
      if (!kind) {
        l_.fail(e.key_node,
                child(rules_path, e.key),
                "unknown alert rule (use silent_failure, route_down, success_ratio, latency, "
                "cost)");
        continue;
      }
      auto it = std::find_if(a.rules.begin(), a.rules.end(), [&](const alert_rule_config& r) {
        return r.kind == *kind;
      });
      if (it == a.rules.end()) {
        alert_rule_config r;
        r.kind = *kind;
        a.rules.push_back(r);
        it = std::prev(a.rules.end());
      }
      parse_rule(e.value, child(rules_path, e.key), *it);
    }
  }

  void parse_rule(const YAML::Node& n, const std::string& path, alert_rule_config& r) {
    const bool thresholded = rule_has_threshold(r.kind);
    map_reader m = thresholded ? map_reader(l_,
                                            n,
                                            path,
                                            {"enabled",
                                             "failure_threshold",
                                             "success_threshold",
                                             "threshold",
                                             "severity",
                                             "description",
                                             "receivers"})
                               : map_reader(l_,
                                            n,
                                            path,
                                            {"enabled",
                                             "failure_threshold",
                                             "success_threshold",
                                             "severity",
                                             "description",
                                             "receivers"});
    if (!m.ok()) {
      return;
    }
    for (const char* key : {"failure_threshold", "success_threshold"}) {
      if (const auto* v = m.get(key)) {
        if (auto i = l_.integer(*v, m.at(key), 1, 1000)) {
          (std::string_view(key) == "failure_threshold" ? r.failure_threshold
                                                        : r.success_threshold) =
              static_cast<int>(*i);
        }
      }
    }
    if (const auto* v = m.get("threshold")) {
      std::optional<double> t;
      if (r.kind == alert_rule_kind::success_ratio) {
        t = l_.number(*v, m.at("threshold"), 0, 1, "0..1");
      } else if (r.kind == alert_rule_kind::latency) {
        if (auto d = l_.duration(*v, m.at("threshold"))) {
          t = static_cast<double>(d->count()) / 1000.0;
        }
      } else {
        t = l_.number(*v, m.at("threshold"), 0, 1e6, "0..1000000 USD");
      }
      if (t) {
        r.threshold = *t;
        // latency and cost are off until given a threshold; giving one turns them on.
        if (!m.has("enabled")) {
          r.enabled = true;
        }
      }
    }
    if (const auto* v = m.get("enabled")) {
      if (auto b = l_.boolean(*v, m.at("enabled"))) {
        r.enabled = *b;
      }
    }
    if (r.enabled && (r.kind == alert_rule_kind::latency || r.kind == alert_rule_kind::cost) &&
        r.threshold <= 0 && !m.has("threshold")) {
      l_.fail(m.line(), path, std::string(to_string(r.kind)) + " needs a threshold");
    }
    if (const auto* v = m.get("severity")) {
      if (auto s = l_.scalar(*v, m.at("severity"), "a severity")) {
        if (s->value == "critical" || s->value == "error" || s->value == "warning" ||
            s->value == "info") {
          r.severity = s->value;
        } else {
          l_.fail(*v,
                  m.at("severity"),
                  quote(s->shown) + " is not a severity (use critical, error, warning, info)");
        }
      }
    }
    if (const auto* v = m.get("description")) {
      if (auto s = l_.string(*v, m.at("description"), false)) {
        if (auto bad =
                unknown_placeholder(*s, {"route", "model", "gateway", "rule", "reason", "value"})) {
          l_.fail(*v,
                  m.at("description"),
                  "unknown placeholder {" + *bad +
                      "} (use {route}, {model}, {gateway}, {rule}, {reason}, {value})");
        } else {
          r.description = *s;
        }
      }
    }
    if (const auto* v = m.get("receivers")) {
      auto list = l_.items(*v, m.at("receivers"));
      if (list) {
        r.receivers.clear();
        for (std::size_t i = 0; i < list->size(); ++i) {
          const std::string p = index(m.at("receivers"), i);
          if (auto s = l_.string((*list)[i], p, true)) {
            r.receivers.push_back(*s);
            receiver_refs_.push_back(reference{*s, (*list)[i].Scalar(), p, line_of((*list)[i])});
          }
        }
      }
    }
  }

  static std::optional<std::string> unknown_placeholder(
      std::string_view text, std::initializer_list<std::string_view> ok) {
    std::size_t pos = 0;
    while ((pos = text.find('{', pos)) != std::string_view::npos) {
      const auto close = text.find('}', pos);
      if (close == std::string_view::npos) {
        return std::nullopt;
      }
      const auto name = text.substr(pos + 1, close - pos - 1);
      if (std::find(ok.begin(), ok.end(), name) == ok.end()) {
        return std::string(name);
      }
      pos = close + 1;
    }
    return std::nullopt;
  }

  // --- routes ---------------------------------------------------------------------------------

  void parse_routes(const YAML::Node& n) {
    auto list = l_.items(n, "routes");
    if (!list) {
      return;
    }
    if (list->empty()) {
      l_.fail(n, "routes", "at least one route is required");
    }
    for (std::size_t i = 0; i < list->size() && !too_many_routes_; ++i) {
      parse_route((*list)[i], index("routes", i));
    }
  }

  void parse_route(const YAML::Node& n, const std::string& path) {
    map_reader m(l_,
                 n,
                 path,
                 {"name",
                  "gateway",
                  "model",
                  "matrix",
                  "interval",
                  "timeout",
                  "baseline_interval",
                  "window",
                  "challenge",
                  "checks",
                  "price",
                  "alerts"});
    if (!m.ok()) {
      return;
    }
    route_settings s = defaults_;
    const auto seen = parse_settings(m, s);
    check_timeout(m, s, seen);
    check_route_challenge(
        s.challenge, m.has("challenge") ? line_of(*m.get("challenge")) : m.line(), path);
    if (const auto* mx = m.get("matrix")) {
      for (const char* key : {"gateway", "model"}) {
        if (const auto* v = m.get(key)) {
          l_.fail(*v,
                  m.at(key),
                  std::string("not allowed beside matrix (list ") + key + "s under matrix)");
        }
      }
      parse_matrix(*mx, m, s);
      return;
    }
    route_config r;
    r.line = m.line();
    r.settings = std::move(s);
    bool ok = true;
    if (auto name = l_.name(m, "route")) {
      r.name = *name;
    } else {
      ok = false;
    }
    if (const auto* v = m.get("gateway")) {
      if (auto g = l_.string(*v, m.at("gateway"), true)) {
        r.gateway = *g;
        gateway_refs_.push_back(reference{*g, v->Scalar(), m.at("gateway"), line_of(*v)});
      }
    } else {
      l_.fail(m.line(), path, "missing required key \"gateway\"");
    }
    if (const auto* v = m.get("model")) {
      if (auto model = l_.string(*v, m.at("model"), true)) {
        r.model = *model;
      }
    } else {
      l_.fail(m.line(), path, "missing required key \"model\"");
    }
    if (ok) {
      add_route(std::move(r), m.get("name")->Scalar(), path, line_of(*m.get("name")));
    }
  }

  void parse_matrix(const YAML::Node& n, const map_reader& route, const route_settings& s) {
    const std::string path = route.at("matrix");
    map_reader m(l_, n, path, {"gateway", "gateways", "models"});
    if (!m.ok()) {
      return;
    }
    std::vector<std::pair<std::string, std::string>> gateways;  // value, as written
    if (m.has("gateway") && m.has("gateways")) {
      l_.fail(*m.get("gateways"), m.at("gateways"), "set either gateway or gateways");
      return;
    }
    if (const auto* v = m.get("gateway")) {
      if (auto g = l_.string(*v, m.at("gateway"), true)) {
        gateways.emplace_back(*g, v->Scalar());
        gateway_refs_.push_back(reference{*g, v->Scalar(), m.at("gateway"), line_of(*v)});
      }
    } else if (const auto* gv = m.get("gateways")) {
      auto list = l_.items(*gv, m.at("gateways"));
      if (list) {
        for (std::size_t i = 0; i < list->size(); ++i) {
          const std::string p = index(m.at("gateways"), i);
          if (auto g = l_.string((*list)[i], p, true)) {
            gateways.emplace_back(*g, (*list)[i].Scalar());
            gateway_refs_.push_back(reference{*g, (*list)[i].Scalar(), p, line_of((*list)[i])});
          }
        }
        if (list->empty()) {
          l_.fail(*gv, m.at("gateways"), "must list at least one gateway");
        }
      }
    } else {
      l_.fail(m.line(), path, "missing required key \"gateway\" (or \"gateways\")");
    }
    std::vector<std::pair<std::string, std::string>> models;  // value, as written
    if (const auto* v = m.get("models")) {
      if (auto list = l_.items(*v, m.at("models"))) {
        for (std::size_t i = 0; i < list->size(); ++i) {
          if (auto model = l_.string((*list)[i], index(m.at("models"), i), true)) {
            models.emplace_back(*model, (*list)[i].Scalar());
          }
        }
        if (list->empty()) {
          l_.fail(*v, m.at("models"), "must list at least one model");
        }
      }
    } else {
      l_.fail(m.line(), path, "missing required key \"models\"");
    }
    std::string name_template = "{gateway}/{model}";
    std::string name_template_shown = name_template;
    int name_line = m.line();
    if (const auto* v = route.get("name")) {
      name_line = line_of(*v);
      auto t = l_.string(*v, route.at("name"), true);
      if (!t) {
        return;
      }
      if (auto bad = unknown_placeholder(*t, {"gateway", "model"})) {
        l_.fail(
            *v, route.at("name"), "unknown placeholder {" + *bad + "} (use {gateway} and {model})");
        return;
      }
      name_template = *t;
      name_template_shown = v->Scalar();
    }
    if (gateways.size() * models.size() + cfg_.routes.size() > max_routes) {
      l_.fail(m.line(), path, "expands to more than " + std::to_string(max_routes) + " routes");
      too_many_routes_ = true;
      return;
    }
    for (const auto& [gateway, gateway_shown] : gateways) {
      for (const auto& [model, model_shown] : models) {
        route_config r;
        r.name = expand(name_template, gateway, model);
        r.gateway = gateway;
        r.model = model;
        r.settings = s;
        r.line = route.line();
        const std::string shown = expand(name_template_shown, gateway_shown, model_shown);
        if (!valid_route_name(r.name)) {
          l_.fail(name_line,
                  route.at("name"),
                  loader::name_error(shown, "route") + "; from gateway " + quote(gateway_shown) +
                      " and model " + quote(model_shown));
          continue;
        }
        add_route(std::move(r), shown, route.path(), name_line);
      }
    }
  }

  static std::string expand(std::string_view t, std::string_view gateway, std::string_view model) {
    std::string out;
    std::size_t pos = 0;
    while (pos < t.size()) {
      if (t.substr(pos, 9) == "{gateway}") {
        out += gateway;
        pos += 9;
      } else if (t.substr(pos, 7) == "{model}") {
        out += model;
        pos += 7;
      } else {
        out += t[pos++];
      }
    }
    return out;
  }

  /// `shown` is the name as written (or expanded from what is written), for messages.
  void add_route(route_config r, const std::string& shown, const std::string& path, int name_line) {
    if (const auto prev = route_names_.find(r.name); prev != route_names_.end()) {
      l_.fail(name_line,
              path + ".name",
              "route name " + quote(shown) + " is also used by " + prev->second.first + " (line " +
                  std::to_string(prev->second.second) + ")");
      return;
    }
    route_names_.emplace(r.name, std::make_pair(path, name_line));
    cfg_.routes.push_back(std::move(r));
  }

  /// Checks that need the merged challenge (defaults + route).
  void check_route_challenge(const challenge_config& c, int line, const std::string& path) {
    const std::string p = path + ".challenge";
    if (c.custom()) {
      if (c.prompt.empty()) {
        l_.fail(line, p, "a user-supplied probe (image_file or image_url) needs a prompt");
      }
      if (c.expect_pattern.empty() && c.expect_words.empty()) {
        l_.fail(line,
                p,
                "a user-supplied probe (image_file or image_url) needs expect.pattern or "
                "expect.words");
      }
      if (!c.image_url.empty() && c.media != media_mode::remote_url) {
        l_.fail(line, p, "image_url needs media: remote_url (the gateway fetches the image)");
      }
    } else if (!c.prompt.empty() || !c.expect_pattern.empty() || !c.expect_words.empty()) {
      l_.fail(line,
              p,
              "prompt and expect apply only to user-supplied probes (image_file or image_url)");
    }
    if (c.media == media_mode::remote_url && c.image_url.empty() &&
        cfg_.global.media_base_url.empty()) {
      l_.fail(line,
              p + ".media",
              "remote_url needs global.media_base_url (the public URL gateways fetch images "
              "from)");
    }
  }

  // --- silences and cross references ----------------------------------------------------------

  void parse_silences(const YAML::Node& n) {
    auto list = l_.items(n, "silences");
    if (!list) {
      return;
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::string path = index("silences", i);
      map_reader m(l_, (*list)[i], path, {"route", "until", "comment"});
      if (!m.ok()) {
        continue;
      }
      silence_config s;
      bool ok = true;
      if (const auto* v = m.get("route")) {
        if (auto r = l_.string(*v, m.at("route"), true)) {
          s.route = *r;
          if (route_names_.count(*r) == 0) {
            l_.fail(*v, m.at("route"), "unknown route " + quote(v->Scalar()));
          }
        } else {
          ok = false;
        }
      } else {
        l_.fail(m.line(), path, "missing required key \"route\"");
        ok = false;
      }
      if (const auto* v = m.get("until")) {
        if (auto t = l_.scalar(*v, m.at("until"), "a time")) {
          if (auto tp = parse_rfc3339(t->value)) {
            s.until = *tp;
          } else {
            l_.fail(*v,
                    m.at("until"),
                    quote(t->shown) + " is not an RFC 3339 time (e.g. 2026-12-01T00:00:00Z)");
            ok = false;
          }
        } else {
          ok = false;
        }
      } else {
        l_.fail(m.line(), path, "missing required key \"until\"");
        ok = false;
      }
      if (const auto* v = m.get("comment")) {
        if (auto c = l_.string(*v, m.at("comment"), false)) {
          s.comment = *c;
        }
      }
      if (ok) {
        cfg_.silences.push_back(std::move(s));
      }
    }
  }

  void resolve_references() {
    for (const auto& ref : gateway_refs_) {
      if (gateway_lines_.count(ref.name) == 0) {
        std::vector<std::string> known;
        for (const auto& [name, line] : gateway_lines_) {
          known.push_back(name);
        }
        l_.fail(ref.line,
                ref.path,
                "unknown gateway " + quote(ref.shown) +
                    (known.empty() ? std::string(" (no gateways are defined)")
                                   : " (defined: " + join(known, ", ") + ")"));
      }
    }
    for (const auto& ref : receiver_refs_) {
      if (receiver_lines_.count(ref.name) == 0) {
        l_.fail(ref.line, ref.path, "unknown receiver " + quote(ref.shown));
      }
    }
  }

  void check_admin_token() {
    if (!listen_loopback_ && !admin_token_given_) {
      l_.fail(listen_line_,
              "global.listen",
              quote(listen_shown_) +
                  " is not a loopback address, so global.admin_token_env, admin_token_file or "
                  "admin_token_credential is required");
    }
  }

  loader& l_;
  config& cfg_;
  route_settings defaults_;
  bool listen_loopback_ = true;
  int listen_line_ = 0;
  std::string listen_shown_;
  bool admin_token_given_ = false;
  bool too_many_routes_ = false;
  std::map<std::string, int, std::less<>> gateway_lines_;
  std::map<std::string, int, std::less<>> receiver_lines_;
  std::map<std::string, std::pair<std::string, int>, std::less<>> route_names_;
  std::vector<reference> gateway_refs_;
  std::vector<reference> receiver_refs_;
};

config_result parse_with(std::string_view text,
                         const std::string& file_name,
                         const env_lookup& env) {
  config_result out;
  loader l(file_name, fs::path(file_name).parent_path(), env);
  config cfg;
  cfg.path = file_name;
  try {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      // yaml-cpp quotes the offending character; keep terminals safe from raw bytes.
      std::string msg = e.msg;
      std::replace_if(
          msg.begin(),
          msg.end(),
          [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f;
          },
          '?');
      l.fail(e.mark.is_null() ? 0 : e.mark.line + 1, "", "YAML syntax error: " + msg);
      out.errors = l.take_errors();
      return out;
    }
    config_parser(l, cfg).parse(root);
  } catch (const std::exception& e) {
    // yaml-cpp may throw on inputs its parser accepted but its node API rejects; a config error
    // is the right answer for those too, never a crash.
    l.fail(0, "", std::string("cannot read the configuration: ") + e.what());
  }
  out.errors = l.take_errors();
  if (out.errors.empty()) {
    out.value = std::move(cfg);
  }
  return out;
}

}  // namespace

const gateway_config* config::find_gateway(std::string_view name) const noexcept {
  for (const auto& g : gateways) {
    if (g.name == name) {
      return &g;
    }
  }
  return nullptr;
}

std::string config_error::to_string() const {
  std::string out = file;
  if (line > 0) {
    out += ':';
    out += std::to_string(line);
  }
  out += ": ";
  if (!path.empty()) {
    out += path;
    out += ": ";
  }
  out += message;
  return out;
}

config_result parse_config(std::string_view text,
                           const std::string& file_name,
                           const env_lookup& env) {
  return parse_with(text, file_name, env);
}

config_result parse_config(std::string_view text, const std::string& file_name) {
  return parse_with(text, file_name, process_env);
}

config_result load_config(const std::string& path, const env_lookup& env) {
  auto fail = [&](std::string message) {
    config_result r;
    r.errors.push_back(config_error{path, 0, "", std::move(message)});
    return r;
  };
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    return fail("cannot read: is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(std::string("cannot read: ") + std::strerror(errno));
  }
  std::string text(max_config_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    return fail(std::string("cannot read: ") + std::strerror(errno));
  }
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > max_config_bytes) {
    return fail("the file is larger than 4 MiB");
  }
  return parse_with(text, path, env);
}

config_result load_config(const std::string& path) { return load_config(path, process_env); }

}  // namespace visionwatch
