#pragma once
/// Reading the configuration document: YAML (JSON is YAML) nodes to typed values, with ${VAR}
/// expansion and errors that name the file, line and path. The section parsers (config_global,
/// config_gateways, config_routes, ...) read through it; nothing outside daemon/config sees it.

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/config/config_values.hpp"

namespace visionwatch::config_reading {

inline constexpr std::size_t max_config_bytes = std::size_t{4} * 1024 * 1024;
inline constexpr std::size_t max_errors = 500;

/// A scalar after ${VAR} substitution. `shown` is what messages may echo: the text as written in
/// the file, so a value that came from the environment (possibly a secret) is never printed.
struct text_value {
  std::string value;
  std::string shown;
  bool substituted = false;
};

/// `s` in double quotes for a message: escaped, control bytes blanked, cut at 80 characters.
std::string quote(std::string_view s);
std::string join(const std::vector<std::string>& items, std::string_view sep);
/// Paths in messages: child("routes[2]", "interval") is "routes[2].interval".
std::string child(std::string_view path, std::string_view key);
std::string index(std::string_view path, std::size_t i);
/// 1-based line of a node; 0 when unknown.
int line_of(const YAML::Node& n);
/// The first `{name}` in `text` that is not one of `ok`, or nullopt.
std::optional<std::string> unknown_placeholder(std::string_view text,
                                               std::initializer_list<std::string_view> ok);

struct entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

/// One document's reading: the file name and directory (for relative paths), the environment, and
/// the errors found so far (capped at max_errors, sorted by line when taken). Every helper records
/// its own error and returns nullopt for a bad value; none throws for bad input.
class config_reader {
 public:
  config_reader(std::string file, std::filesystem::path base_dir, const env_lookup& env);

  /// Parses YAML (or JSON) text into its root node; a syntax error is recorded with its line and
  /// gives nullopt.
  std::optional<YAML::Node> load(std::string_view text);

  void fail(int line, std::string path, std::string message);
  void fail(const YAML::Node& at, std::string path, std::string message);
  [[nodiscard]] std::size_t error_count() const noexcept { return errors_.size(); }
  std::vector<config_error> take_errors();

  /// Entries of a mapping; null counts as empty. Reports duplicate and non-scalar keys.
  std::optional<std::vector<entry>> entries(const YAML::Node& n, const std::string& path);
  /// Items of a list; null counts as empty.
  std::optional<std::vector<YAML::Node>> items(const YAML::Node& n, const std::string& path);
  /// Calls `read(item, "path[i]")` for each item of the list `n` (null counts as empty).
  template <class Read>
  void for_each_item(const YAML::Node& n, const std::string& path, Read read) {
    auto list = items(n, path);
    if (!list) {
      return;
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      read((*list)[i], index(path, i));
    }
  }
  /// A scalar with ${VAR} substituted. Null gives an empty value when `allow_null`.
  std::optional<text_value> scalar(const YAML::Node& n,
                                   const std::string& path,
                                   std::string_view expected,
                                   bool allow_null = false);
  std::optional<std::string> string(const YAML::Node& n, const std::string& path, bool required);
  std::optional<std::vector<std::string>> string_list(const YAML::Node& n, const std::string& path);
  std::optional<std::chrono::milliseconds> duration(const YAML::Node& n, const std::string& path);
  std::optional<std::chrono::seconds> whole_seconds(const YAML::Node& n, const std::string& path);
  std::optional<long long> integer(const YAML::Node& n,
                                   const std::string& path,
                                   long long min,
                                   long long max);
  std::optional<double> number(const YAML::Node& n,
                               const std::string& path,
                               double min,
                               double max,
                               std::string_view range_text);
  std::optional<bool> boolean(const YAML::Node& n, const std::string& path);
  std::optional<std::uint64_t> size(const YAML::Node& n,
                                    const std::string& path,
                                    std::uint64_t min,
                                    std::uint64_t max,
                                    std::string_view range_text);
  /// An http(s) URL; the URL itself is never echoed (it may hold credentials or be a secret).
  std::optional<std::string> url(const YAML::Node& n,
                                 const std::string& path,
                                 const std::vector<std::string>& schemes = {"http", "https"});

  /// Resolves a path written in the file against the file's directory.
  [[nodiscard]] std::string resolve(const std::string& p) const;
  /// An existing, readable regular file (ca_file and the like); returns its resolved path.
  std::optional<std::string> readable_file(const YAML::Node& n, const std::string& path);
  /// Why `p` cannot be read as a regular file, or nullopt. Checked before opening: opening a
  /// FIFO or a terminal would block start-up.
  static std::optional<std::string> unreadable(const std::string& p);

  static std::string name_error(std::string_view shown, std::string_view what);

  [[nodiscard]] const env_lookup& env() const noexcept { return env_; }

  /// For the field-table drift test: from now on, the path of every key a map_reader accepted
  /// but the parser never looked up is added to `sink` when that map_reader ends (a key in the
  /// table that no code reads). Null turns it off.
  void collect_unread(std::vector<std::string>* sink) noexcept { unread_ = sink; }
  void note_unread(std::string path) const {
    if (unread_ != nullptr) {
      unread_->push_back(std::move(path));
    }
  }

 private:
  std::string file_;
  std::filesystem::path base_dir_;
  const env_lookup& env_;
  std::vector<config_error> errors_;
  bool truncated_ = false;
  std::vector<std::string>* unread_ = nullptr;
};

}  // namespace visionwatch::config_reading
