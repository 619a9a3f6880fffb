#include "daemon/sim/sim_image_faults.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "probes/image_codec.hpp"

namespace visionwatch::sim_faults {
namespace {

/// One output cell's share of each input pixel along one axis: for output index o, the input
/// indexes [first, first + weights.size()) and how much of each it covers.
struct axis_span {
  int first = 0;
  std::vector<double> weights;
};

std::vector<axis_span> spans(int in, int out) {
  const double scale = static_cast<double>(in) / out;
  std::vector<axis_span> result(static_cast<std::size_t>(out));
  for (int o = 0; o < out; ++o) {
    const double from = o * scale;
    const double to = (o + 1) * scale;
    axis_span& s = result[static_cast<std::size_t>(o)];
    s.first = static_cast<int>(from);
    for (int i = s.first; i < in && i < to; ++i) {
      s.weights.push_back((std::min<double>(i + 1, to) - std::max<double>(i, from)) / scale);
    }
  }
  return result;
}

std::string as_png(const rgba_image& image) {
  return encode_rgba(
      image.rgba.data(), image.width, image.height, static_cast<std::size_t>(image.width) * 4U);
}

}  // namespace

rgba_image flatten(const rgba_image& image, rgb8 background) {
  rgba_image out = image;
  const std::array<int, 3> bg{background.r, background.g, background.b};
  for (std::size_t i = 0; i + 3 < out.rgba.size(); i += 4) {
    const int a = out.rgba[i + 3];
    for (std::size_t c = 0; c < 3; ++c) {
      out.rgba[i + c] =
          static_cast<std::uint8_t>((out.rgba[i + c] * a + bg[c] * (255 - a) + 127) / 255);
    }
    out.rgba[i + 3] = 255;
  }
  return out;
}

rgba_image downscale(const rgba_image& image, int width, int height) {
  if (width < 1 || height < 1 || width > image.width || height > image.height) {
    throw std::invalid_argument("downscale: the new size must be 1 to the image's size");
  }
  const auto xs = spans(image.width, width);
  const auto ys = spans(image.height, height);
  const auto w = static_cast<std::size_t>(width);
  rgba_image result;
  result.width = width;
  result.height = height;
  result.rgba.resize(w * 4U * static_cast<std::size_t>(height));
  // One output row at a time from the input rows it covers (an input row straddling two output
  // rows is visited twice): premultiplied sums in a single row of floats.
  std::vector<float> acc(w * 4U);
  for (int y = 0; y < height; ++y) {
    std::fill(acc.begin(), acc.end(), 0.0F);
    const axis_span& row_span = ys[static_cast<std::size_t>(y)];
    for (std::size_t k = 0; k < row_span.weights.size(); ++k) {
      const int in_y = row_span.first + static_cast<int>(k);
      const auto wy = static_cast<float>(row_span.weights[k]);
      for (std::size_t o = 0; o < w; ++o) {
        const axis_span& s = xs[o];
        float* out = acc.data() + o * 4U;
        const std::uint8_t* p = image.pixel(s.first, in_y);
        for (std::size_t j = 0; j < s.weights.size(); ++j, p += 4) {
          const float a = static_cast<float>(p[3]) * static_cast<float>(s.weights[j]) * wy;
          out[0] += static_cast<float>(p[0]) * a;
          out[1] += static_cast<float>(p[1]) * a;
          out[2] += static_cast<float>(p[2]) * a;
          out[3] += a;
        }
      }
    }
    std::uint8_t* out = result.rgba.data() + static_cast<std::size_t>(y) * w * 4U;
    for (std::size_t o = 0; o < w; ++o) {
      const float a = acc[o * 4 + 3];
      const auto byte = [](float v) {
        return static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
      };
      for (std::size_t c = 0; c < 3; ++c) {
        out[o * 4 + c] = a > 0 ? byte(acc[o * 4 + c] / a) : 0;
      }
      out[o * 4 + 3] = byte(a);
    }
  }
  return result;
}

rgba_image downscale_to_long_side(const rgba_image& image, int long_side) {
  const int longest = std::max(image.width, image.height);
  if (longest <= long_side) {
    return image;
  }
  const double scale = static_cast<double>(long_side) / longest;
  const auto side = [scale](int v) {
    return std::max(1, static_cast<int>(std::lround(v * scale)));
  };
  return downscale(image, side(image.width), side(image.height));
}

std::optional<std::string> seen_image(sim_behaviour behaviour, std::string_view image) {
  if (behaviour != sim_behaviour::flattens_transparency &&
      behaviour != sim_behaviour::downscales_heavily) {
    return std::string(image);
  }
  const image_decode_result decoded = decode_image(image);
  if (!decoded.image) {
    return std::nullopt;
  }
  return as_png(behaviour == sim_behaviour::flattens_transparency
                    ? flatten(*decoded.image, rgb8{0, 0, 0})
                    : downscale_to_long_side(*decoded.image, heavy_downscale_side));
}

bool replies_empty_for(sim_behaviour behaviour, std::string_view image) {
  std::optional<image_format> format;
  switch (behaviour) {
    case sim_behaviour::empty_reply_for_jpeg:
      format = image_format::jpeg;
      break;
    case sim_behaviour::empty_reply_for_webp:
      format = image_format::webp;
      break;
    case sim_behaviour::empty_reply_for_gif:
      format = image_format::gif;
      break;
    default:
      return false;
  }
  return sniff_image_format(image) == format;
}

}  // namespace visionwatch::sim_faults
