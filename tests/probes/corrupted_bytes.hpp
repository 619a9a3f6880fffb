#pragma once
/// Random corruption for the image decoder fuzz loops (image_codec_test, png_codec_test).

#include <cstddef>
#include <string>

#include "probes/seeded_rng.hpp"

namespace visionwatch::test {

/// `bytes` with 1 to `max_changes` randomly chosen bytes at or after `keep` (a signature the
/// caller wants intact) set to random values.
inline std::string corrupted(std::string bytes, seeded_rng& rng, int max_changes, int keep) {
  const int changes = rng.uniform_int(1, max_changes);
  for (int i = 0; i < changes; ++i) {
    const auto at =
        static_cast<std::size_t>(rng.uniform_int(keep, static_cast<int>(bytes.size()) - 1));
    bytes[at] = static_cast<char>(rng.uniform_int(0, 255));
  }
  return bytes;
}

}  // namespace visionwatch::test
