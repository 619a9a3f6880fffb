// Spellings of the challenge kinds as they appear in the configuration file, logs and metric
// labels. (API flavour names live in the flavour table in adapter.cpp, with each flavour's
// functions.)
#include <array>
#include <optional>
#include <string_view>

#include "probes/challenge.hpp"
#include "probes/enum_table.hpp"

namespace visionwatch {
namespace {

constexpr std::array<std::string_view, 4> challenge_kind_names = {
    "digits", "color", "shape", "count"};

}  // namespace

std::string_view to_string(challenge_kind k) noexcept { return enum_name(challenge_kind_names, k); }

std::optional<challenge_kind> challenge_kind_from_string(std::string_view s) noexcept {
  return enum_from_name<challenge_kind>(challenge_kind_names, s);
}

}  // namespace visionwatch
