#pragma once
/// Enum <-> spelling through one table of names in enum order: the config, JSON and metric
/// spellings of the alert enums (rule, receiver, notification kind, alert state). Pure.

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace visionwatch {

/// The spelling of `value`; the table has one name per enumerator, in declaration order.
template <typename E, std::size_t N>
constexpr std::string_view enum_name(const std::array<std::string_view, N>& names,
                                     E value) noexcept {
  return names[static_cast<std::size_t>(value)];
}

/// The enumerator spelled `s`, or nullopt.
template <typename E, std::size_t N>
constexpr std::optional<E> enum_from_name(const std::array<std::string_view, N>& names,
                                          std::string_view s) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == s) {
      return static_cast<E>(i);
    }
  }
  return std::nullopt;
}

}  // namespace visionwatch
