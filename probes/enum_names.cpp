// Spellings of the challenge kinds, image formats and probe shapes as they appear in the configuration file, logs and metric
// labels. (API flavour names live in the flavour table in adapter.cpp, with each flavour's
// functions.)
#include <array>
#include <optional>
#include <string_view>
#include <vector>

#include "probes/challenge.hpp"
#include "probes/enum_table.hpp"
#include "probes/probe_shape.hpp"

namespace visionwatch {
namespace {

constexpr std::array<std::string_view, challenge_kind_count> challenge_kind_names = {
    "digits", "color", "shape", "count"};

constexpr std::array<std::string_view, 4> image_format_names = {"png", "jpeg", "webp", "gif"};

constexpr std::array<std::string_view, probe_shape_count> shape_names = {
    "plain", "system", "tools", "history", "jpeg", "webp", "gif", "rgba", "large"};

}  // namespace

std::string_view to_string(challenge_kind k) noexcept { return enum_name(challenge_kind_names, k); }

std::optional<challenge_kind> challenge_kind_from_string(std::string_view s) noexcept {
  return enum_from_name<challenge_kind>(challenge_kind_names, s);
}

std::string_view to_string(image_format f) noexcept { return enum_name(image_format_names, f); }

std::string_view media_type_of(image_format f) noexcept {
  constexpr std::array<std::string_view, 4> types = {"image/png", "image/jpeg", "image/webp",
                                                     "image/gif"};
  return enum_name(types, f);
}

std::string_view to_string(probe_shape s) noexcept { return enum_name(shape_names, s); }

std::optional<probe_shape> probe_shape_from_string(std::string_view s) noexcept {
  return enum_from_name<probe_shape>(shape_names, s);
}

std::vector<std::string_view> probe_shape_names() {
  return {shape_names.begin(), shape_names.end()};
}

}  // namespace visionwatch
