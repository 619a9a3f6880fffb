// Spellings of the challenge kinds and API flavours as they appear in the configuration file,
// logs and metric labels. One table per enum, so to_string and from_string cannot disagree.
#include <array>
#include <optional>
#include <string_view>

#include "probes/adapter.hpp"
#include "probes/challenge.hpp"

namespace visionwatch {
namespace {

constexpr std::array<std::string_view, 4> challenge_kind_names = {
    "digits", "color", "shape", "count"};
constexpr std::array<std::string_view, 1> api_flavour_names = {"openai-chat"};

template <typename E, std::size_t N>
std::optional<E> lookup(const std::array<std::string_view, N>& names, std::string_view s) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == s) {
      return static_cast<E>(i);
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(challenge_kind k) noexcept {
  const auto i = static_cast<std::size_t>(k);
  return i < challenge_kind_names.size() ? challenge_kind_names[i] : "unknown";
}

std::optional<challenge_kind> challenge_kind_from_string(std::string_view s) noexcept {
  return lookup<challenge_kind>(challenge_kind_names, s);
}

std::string_view to_string(api_flavour f) noexcept {
  const auto i = static_cast<std::size_t>(f);
  return i < api_flavour_names.size() ? api_flavour_names[i] : "unknown";
}

std::optional<api_flavour> api_flavour_from_string(std::string_view s) noexcept {
  return lookup<api_flavour>(api_flavour_names, s);
}

}  // namespace visionwatch
