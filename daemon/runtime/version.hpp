#pragma once
#include <string_view>

namespace visionwatch {
std::string_view version() noexcept;   ///< "0.1.0"
std::string_view revision() noexcept;  ///< git revision at configure time, or "unknown"
}  // namespace visionwatch
