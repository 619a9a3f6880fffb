#include "probes/stream_decoder.hpp"

#include <string>

#include "probes/text_util.hpp"

namespace visionwatch {

bool streams_body(unsigned status, const header_list& headers) {
  if (status < 200 || status >= 300) {
    return false;
  }
  for (const auto& [name, value] : headers) {
    if (name == "content-type") {
      const std::string type = ascii_lower(value);
      return !std::string_view(type).starts_with("application/json");
    }
  }
  return true;
}

}  // namespace visionwatch
