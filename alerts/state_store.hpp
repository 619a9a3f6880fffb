#pragma once
/// The daemon's state file (<state_dir>/state.json): named JSON sections (alert rule states,
/// silences, pending notifications, usage baselines, ...) written atomically (temp file,
/// fsync, rename, fsync of the directory), so a crash leaves the old or the new file, never a
/// torn one. A corrupt or unreadable file is moved aside as state.json.corrupt-<UTC time> and
/// loading starts clean: it is reported, never fatal. Not thread-safe: one owner.

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "alerts/notification.hpp"

namespace visionwatch {

/// A JSON value as the state file spells it: nlohmann's compact `dump()`, invalid UTF-8 replaced
/// rather than failing the whole save. Callers rendering a section as text (set_section_text)
/// write every value with it.
std::string state_json_text(const nlohmann::json& value);

class state_store {
 public:
  static constexpr int format_version = 1;
  /// Larger files are refused as corrupt: state is small, a huge file is not ours.
  static constexpr std::uintmax_t max_file_bytes = 256ull * 1024 * 1024;

  explicit state_store(std::filesystem::path directory);

  struct load_report {
    bool found = false;                             ///< a state file existed
    std::string error;                              ///< empty when it loaded (or there was none)
    std::optional<std::filesystem::path> moved_to;  ///< where a bad file was set aside
  };
  /// Reads the file into memory, replacing every section. `now` names a set-aside file.
  load_report load(wall_time now);

  /// The section as load() read it or a setter set it; null when absent. Parsed from the
  /// section's text on each call: read at start-up, never per probe.
  [[nodiscard]] nlohmann::json section(std::string_view name) const;
  /// Sets a section. The store keeps it as its JSON text, not as a tree: at 10,000 routes the
  /// tree of the baselines is about seven times its text, and the text is what save() writes.
  void set_section(std::string name, const nlohmann::json& value);
  /// Sets a section from JSON text the caller rendered: exactly one JSON value, its parts written
  /// with state_json_text (no spaces, keys in order), so the file reads the same as with
  /// set_section(). A large section is thus written without ever being a tree.
  void set_section_text(std::string name, std::string json_text);
  void remove_section(std::string_view name);
  /// Every section's name and JSON text, in name order.
  [[nodiscard]] const std::map<std::string, std::string, std::less<>>& sections() const noexcept {
    return sections_;
  }

  /// Writes every section atomically, each straight from its text (no copy of the whole file
  /// in memory). Empty on success, otherwise the error (with errno text).
  [[nodiscard]] std::string save(wall_time now) const;

  [[nodiscard]] const std::filesystem::path& file() const noexcept { return file_; }
  [[nodiscard]] const std::filesystem::path& directory() const noexcept { return directory_; }

 private:
  std::filesystem::path directory_;
  std::filesystem::path file_;
  std::map<std::string, std::string, std::less<>> sections_;  ///< name -> JSON text
};

}  // namespace visionwatch
