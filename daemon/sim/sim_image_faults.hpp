#pragma once
/// What a broken gateway does to an image before the model sees it, for the sim behaviours of
/// the probe shapes (issue 15): flatten transparency onto black (the classic conversion bug:
/// alpha dropped or composited on black instead of white), downscale far below the provider's
/// documented size, and answer empty for one format only. The pixel transformations are also
/// what the tests use to prove the rgba and large challenges (flattened correctly and
/// downscaled as documented they still read; broken, they do not). Pure and thread-safe.

#include <optional>
#include <string>
#include <string_view>

#include "daemon/sim/sim_model.hpp"
#include "probes/challenge.hpp"
#include "probes/png_codec.hpp"

namespace visionwatch::sim_faults {

/// `downscales_heavily`: the long side it downscales images to.
inline constexpr int heavy_downscale_side = 256;

/// `image` composited onto an opaque `background` (straight alpha): every pixel opaque.
rgba_image flatten(const rgba_image& image, rgb8 background);

/// `image` resized by area averaging (each output pixel the mean of the input area it covers,
/// alpha-weighted, the way a careful resampler downscales) to `width` x `height`, both at most
/// the input's. Throws std::invalid_argument for sizes outside 1 .. the input's size.
rgba_image downscale(const rgba_image& image, int width, int height);

/// downscale to `long_side` pixels on the long side, the aspect ratio kept (each side rounded,
/// at least 1); the image itself when it is no larger.
rgba_image downscale_to_long_side(const rgba_image& image, int long_side);

/// What a model behind `behaviour` sees of `image` (PNG, JPEG, WebP or GIF): for
/// flattens_transparency the image flattened onto black, for downscales_heavily the image
/// downscaled to heavy_downscale_side, both as PNG; for every other behaviour the bytes as they
/// are. Empty when the image cannot be decoded (the model then sees nothing).
std::optional<std::string> seen_image(sim_behaviour behaviour, std::string_view image);

/// True when `behaviour` answers an empty reply for this image: empty_reply_for_jpeg,
/// empty_reply_for_webp and empty_reply_for_gif, each for images really in that format (by
/// their bytes, whatever media type they were labelled with).
bool replies_empty_for(sim_behaviour behaviour, std::string_view image);

}  // namespace visionwatch::sim_faults
