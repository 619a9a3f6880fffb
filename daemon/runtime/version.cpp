#include "daemon/runtime/version.hpp"

namespace visionwatch {
std::string_view version() noexcept { return VISIONWATCH_VERSION; }
std::string_view revision() noexcept { return VISIONWATCH_REVISION; }
}  // namespace visionwatch
