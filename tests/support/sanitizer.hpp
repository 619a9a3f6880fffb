#pragma once
/// How much less work a test does under the debug preset (ASan + UBSan, -O0), which runs pixel
/// loops about ten times slower. That run is there to catch memory errors, so tests that read
/// many images read a tenth of them there; the optimised run checks every one the test names.

namespace visionwatch::test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr int sanitizer_divisor = 10;
#else
inline constexpr int sanitizer_divisor = 1;
#endif

}  // namespace visionwatch::test
