#include "probes/adapter.hpp"

#include <array>
#include <cstdint>

#include "probes/openai_chat.hpp"
#include "probes/text_util.hpp"

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

std::string data_url(std::string_view mime, std::string_view bytes) {
  std::string out = "data:";
  out += mime;
  out += ";base64,";
  out += base64_encode(bytes);
  return out;
}

std::string png_data_url(std::string_view png) { return data_url("image/png", png); }

}  // namespace visionwatch
