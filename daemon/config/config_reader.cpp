#include "daemon/config/config_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "daemon/config/config_document.hpp"
#include "daemon/config/config_yaml_scan.hpp"
#include "probes/text_util.hpp"

namespace visionwatch::config_reading {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr milliseconds max_duration{365LL * 24 * 3600 * 1000};

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

}  // namespace

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

std::optional<std::string> unknown_placeholder(std::string_view text,
                                               std::initializer_list<std::string_view> ok) {
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

// --- config_reader ----------------------------------------------------------------------------

config_reader::config_reader(std::string file, fs::path base_dir, const env_lookup& env)
    : file_(std::move(file)), base_dir_(std::move(base_dir)), env_(env) {}

std::optional<YAML::Node> config_reader::load(std::string_view text) {
  // Measured from the parser's events first: the tree itself is what a hostile size would cost.
  if (auto too_large = yaml_too_large(text, max_written_nodes, max_document_nodes)) {
    fail(0, "", *too_large);
    return std::nullopt;
  }
  try {
    return YAML::Load(std::string(text));
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
    fail(e.mark.is_null() ? 0 : e.mark.line + 1, "", "YAML syntax error: " + msg);
    return std::nullopt;
  }
}

void config_reader::fail(int line, std::string path, std::string message) {
  if (errors_.size() >= max_errors) {
    truncated_ = true;
    return;
  }
  errors_.push_back(config_error{file_, line, std::move(path), std::move(message)});
}
void config_reader::fail(const YAML::Node& at, std::string path, std::string message) {
  fail(line_of(at), std::move(path), std::move(message));
}

std::vector<config_error> config_reader::take_errors() {
  std::stable_sort(errors_.begin(),
                   errors_.end(),
                   [](const config_error& a, const config_error& b) { return a.line < b.line; });
  if (truncated_) {
    errors_.push_back(config_error{
        file_, 0, "", "too many errors; only the first " + std::to_string(max_errors) + " shown"});
  }
  return std::move(errors_);
}

/// Entries of a mapping; null counts as empty. Reports duplicate and non-scalar keys.
std::optional<std::vector<entry>> config_reader::entries(const YAML::Node& n,
                                                         const std::string& path) {
  std::vector<entry> out;
  if (n.IsNull()) {
    return out;
  }
  if (!n.IsMap()) {
    fail(n, path, "expected a mapping, got " + std::string(kind_name(n)));
    return std::nullopt;
  }
  // Key -> index in `out`: a linear search per key made a map of many keys quadratic.
  std::unordered_map<std::string, std::size_t> seen;
  for (auto it = n.begin(); it != n.end(); ++it) {
    const YAML::Node k = it->first;
    if (!k.IsScalar()) {
      fail(k, path, "keys must be plain names, got " + std::string(kind_name(k)));
      continue;
    }
    const std::string& key = k.Scalar();
    const auto [dup, added] = seen.try_emplace(key, out.size());
    if (!added) {
      fail(k,
           child(path, key),
           "duplicate key (first at line " + std::to_string(line_of(out[dup->second].key_node)) +
               ")");
      continue;
    }
    out.push_back(entry{key, k, it->second});
  }
  return out;
}

/// Items of a list; null counts as empty.
std::optional<std::vector<YAML::Node>> config_reader::items(const YAML::Node& n,
                                                            const std::string& path) {
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
std::optional<text_value> config_reader::scalar(const YAML::Node& n,
                                                const std::string& path,
                                                std::string_view expected,
                                                bool allow_null) {
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
  // The file's own text is checked as a whole (check_document); a value from the environment
  // is checked here, without echoing it (it may be a secret).
  if (sub.substituted && !is_valid_utf8(sub.value)) {
    fail(n, path, quote(raw) + ": the substituted value is not valid UTF-8 text");
    return std::nullopt;
  }
  v.value = std::move(sub.value);
  v.substituted = sub.substituted;
  v.shown = raw;
  return v;
}

std::optional<std::string> config_reader::string(const YAML::Node& n,
                                                 const std::string& path,
                                                 bool required) {
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

std::optional<std::vector<std::string>> config_reader::string_list(const YAML::Node& n,
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

std::optional<milliseconds> config_reader::duration(const YAML::Node& n, const std::string& path) {
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

std::optional<std::chrono::seconds> config_reader::whole_seconds(const YAML::Node& n,
                                                                 const std::string& path) {
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

std::optional<long long> config_reader::integer(const YAML::Node& n,
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
         quote(v->shown) + " is out of range (" + std::to_string(min) + ".." + std::to_string(max) +
             ")");
    return std::nullopt;
  }
  return out;
}

std::optional<double> config_reader::number(const YAML::Node& n,
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

std::optional<bool> config_reader::boolean(const YAML::Node& n, const std::string& path) {
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

std::optional<std::uint64_t> config_reader::size(const YAML::Node& n,
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
std::optional<std::string> config_reader::url(const YAML::Node& n,
                                              const std::string& path,
                                              const std::vector<std::string>& schemes) {
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
std::string config_reader::resolve(const std::string& p) const {
  const fs::path path(p);
  if (path.is_absolute() || base_dir_.empty()) {
    return p;
  }
  return (base_dir_ / path).string();
}

/// An existing, readable regular file (ca_file and the like); returns its resolved path.
std::optional<std::string> config_reader::readable_file(const YAML::Node& n,
                                                        const std::string& path) {
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
std::optional<std::string> config_reader::unreadable(const std::string& p) {
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

std::string config_reader::name_error(std::string_view shown, std::string_view what) {
  return quote(shown) + " is not a valid " + std::string(what) +
         " name (letters, digits and . _ : / @ -, starting with a letter or digit, at most 128)";
}

}  // namespace visionwatch::config_reading
