#pragma once
/// Reading one mapping of the configuration against its field table (config_fields.hpp): the
/// section parsers (config_global, config_gateways, config_routes, ...) open each mapping with a
/// map_reader and read its keys through it; the values go through config_reader.

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config/config_fields.hpp"
#include "daemon/config/config_reader.hpp"

namespace visionwatch::config_reading {

/// A mapping whose keys are checked against its field table (config_fields.hpp) when it is
/// opened: unknown keys, duplicate keys and non-scalar keys are reported once, here, with their
/// own line. The read_* members read an optional key into a field, leaving the field as it was
/// when the key is absent or its value is bad (the error is recorded); integer, number and size
/// bounds come from the table. Reading a present key as a type other than its table's is a bug:
/// std::logic_error (parse_config reports it as an error).
class map_reader {
 public:
  map_reader(config_reader& reader,
             const YAML::Node& node,
             std::string path,
             const config_fields::table& fields);
  ~map_reader();
  map_reader(map_reader&&) noexcept = default;
  map_reader(const map_reader&) = delete;
  map_reader& operator=(const map_reader&) = delete;
  map_reader& operator=(map_reader&&) = delete;

  [[nodiscard]] bool ok() const noexcept { return ok_; }
  [[nodiscard]] const YAML::Node* get(std::string_view key) const noexcept;
  [[nodiscard]] bool has(std::string_view key) const noexcept { return get(key) != nullptr; }
  [[nodiscard]] std::string at(std::string_view key) const { return child(path_, key); }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] int line() const noexcept { return line_; }

  /// The value of a key the mapping must have; nullptr when absent (recorded as "missing
  /// required key").
  [[nodiscard]] const YAML::Node* required(std::string_view key) const;

  /// The present key `key` as a mapping read against `fields` (a section's nested mapping:
  /// `budget`, `expect`, ...); nullopt when absent or not a mapping (recorded). Its unread keys
  /// are noted when the returned reader is destroyed.
  [[nodiscard]] std::optional<map_reader> nested(std::string_view key,
                                                 const config_fields::table& fields) const;

  /// The "name" key, required, checked against the name syntax; `what` is "route", "gateway"...
  [[nodiscard]] std::optional<std::string> name(std::string_view what) const;

  /// The value of a present integer, number or size key within its table bounds; nullopt when
  /// absent or bad (recorded).
  [[nodiscard]] std::optional<long long> integer(std::string_view key) const;
  [[nodiscard]] std::optional<double> number(std::string_view key) const;
  [[nodiscard]] std::optional<std::uint64_t> size(std::string_view key) const;
  /// The value of a present choice key: one of its table's values, or nullopt (recorded as
  /// "\"x\" is not <what> (use a, b)"); `what` is "a media mode", "a severity"...
  [[nodiscard]] std::optional<std::string_view> choice(std::string_view key,
                                                       std::string_view what) const;

  void read_duration(std::string_view key, std::chrono::milliseconds& out) const;
  void read_whole_seconds(std::string_view key, std::chrono::seconds& out) const;
  void read_boolean(std::string_view key, bool& out) const;
  void read_string(std::string_view key, std::string& out, bool required) const;
  void read_url(std::string_view key, std::string& out) const;
  void read_number(std::string_view key, double& out) const;
  template <class Int>
  void read_integer(std::string_view key, Int& out) const {
    if (auto i = integer(key)) {
      out = static_cast<Int>(*i);
    }
  }

 private:
  /// The table's field `key`, which the caller reads as `type`; throws std::logic_error when
  /// the table has no such key or gives it another type.
  const config_fields::field& spec(std::string_view key, config_fields::value_type type) const;
  /// A present key of `type`, read by `read(node, path)` into `out` when its value is good.
  template <class Read, class Out>
  void read_into(std::string_view key, config_fields::value_type type, Out& out, Read read) const;

  config_reader& reader_;
  const config_fields::table* fields_;
  std::vector<entry> entries_;
  mutable std::vector<bool> looked_up_;  ///< per entry: get() found it (collect_unread)
  std::string path_;
  int line_ = 0;
  bool ok_ = false;
};

}  // namespace visionwatch::config_reading
