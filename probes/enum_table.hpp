#pragma once
/// Enum ↔ name through one table indexed by the enumerators, so to_string and from_string
/// cannot disagree. For enums whose values are 0, 1, 2, ... in table order.

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace visionwatch {

/// The name of `e`; "unknown" for a value outside the table (a cast, never a parsed name).
template <typename E, std::size_t N>
constexpr std::string_view enum_name(const std::array<std::string_view, N>& names, E e) noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i < N ? names[i] : std::string_view{"unknown"};
}

/// The enumerator named `s` (exact, case-sensitive), if any.
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
