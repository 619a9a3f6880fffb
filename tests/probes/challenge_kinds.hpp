#pragma once
/// Every challenge kind, for the tests that go over them all.

#include <array>

#include "probes/challenge.hpp"

namespace visionwatch::test {

/// A new kind fails the static_assert until it is listed here, and so reaches every such test.
inline constexpr std::array every_challenge_kind = {
    challenge_kind::digits, challenge_kind::color, challenge_kind::shape, challenge_kind::count};
static_assert(every_challenge_kind.size() == challenge_kind_count);

}  // namespace visionwatch::test
