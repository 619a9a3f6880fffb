#include "probes/adapter.hpp"

#include <array>
#include <cstdint>

#include "probes/openai_chat.hpp"

namespace visionwatch {

std::string_view default_user_agent() noexcept { return "visionwatch/" VISIONWATCH_PROBES_VERSION; }

http_request build_request(api_flavour flavour, const probe_request& request) {
  switch (flavour) {
    case api_flavour::openai_chat:
      return openai_chat::build_request(request);
  }
  return openai_chat::build_request(request);
}

reply parse_reply(api_flavour flavour,
                  const http_result& result,
                  std::chrono::system_clock::time_point now) {
  switch (flavour) {
    case api_flavour::openai_chat:
      return openai_chat::parse_reply(result, now);
  }
  return openai_chat::parse_reply(result, now);
}

reply parse_reply(api_flavour flavour, const http_result& result) {
  return parse_reply(flavour, result, std::chrono::system_clock::now());
}

std::string png_data_url(std::string_view png) {
  static constexpr std::string_view prefix = "data:image/png;base64,";
  static constexpr std::array<char, 64> alphabet = {
      'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P',
      'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'a', 'b', 'c', 'd', 'e', 'f',
      'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v',
      'w', 'x', 'y', 'z', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '+', '/'};
  // Sized once and filled by index: the image is encoded on every probe.
  std::string out(prefix.size() + (png.size() + 2) / 3 * 4, '=');
  std::copy(prefix.begin(), prefix.end(), out.begin());
  const auto* in = reinterpret_cast<const unsigned char*>(png.data());
  std::size_t o = prefix.size();
  std::size_t i = 0;
  for (; i + 3 <= png.size(); i += 3) {
    const std::uint32_t v =
        (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | std::uint32_t{in[i + 2]};
    out[o++] = alphabet[(v >> 18) & 0x3F];
    out[o++] = alphabet[(v >> 12) & 0x3F];
    out[o++] = alphabet[(v >> 6) & 0x3F];
    out[o++] = alphabet[v & 0x3F];
  }
  const std::size_t rest = png.size() - i;
  if (rest > 0) {
    std::uint32_t v = std::uint32_t{in[i]} << 16;
    if (rest == 2) {
      v |= std::uint32_t{in[i + 1]} << 8;
    }
    out[o++] = alphabet[(v >> 18) & 0x3F];
    out[o++] = alphabet[(v >> 12) & 0x3F];
    if (rest == 2) {
      out[o++] = alphabet[(v >> 6) & 0x3F];
    }
  }
  return out;
}

}  // namespace visionwatch
