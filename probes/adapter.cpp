#include "probes/adapter.hpp"

#include <array>
#include <cstddef>

#include "probes/anthropic_messages.hpp"
#include "probes/anthropic_messages_stream.hpp"
#include "probes/azure_openai.hpp"
#include "probes/bedrock_converse.hpp"
#include "probes/bedrock_converse_stream.hpp"
#include "probes/gemini.hpp"
#include "probes/gemini_stream.hpp"
#include "probes/openai_chat.hpp"
#include "probes/openai_chat_stream.hpp"
#include "probes/openai_responses.hpp"
#include "probes/openai_responses_stream.hpp"
#include "probes/text_util.hpp"

namespace visionwatch {
namespace {

/// One API flavour: its configuration spelling and its two pure functions.
struct flavour_row {
  api_flavour id;
  std::string_view name;  ///< `api:` in the configuration, the `api` metric label
  http_request (*build)(const probe_request&);
  reply (*parse)(const http_result&, std::chrono::system_clock::time_point);
  /// The stream decoder's factory; nullptr (a row that leaves it out): the flavour cannot
  /// stream, and `stream: true` is refused for it.
  std::unique_ptr<stream_decoder> (*make_stream)() = nullptr;
};

/// The flavour table: the one place that maps a flavour to its name and its functions. A new
/// flavour adds its enumerator (adapter.hpp) and its row here, in enum order.
constexpr std::array flavours = {
    flavour_row{api_flavour::openai_chat,
                "openai-chat",
                &openai_chat::build_request,
                &openai_chat::parse_reply,
                &openai_chat::make_stream_decoder},
    flavour_row{api_flavour::openai_responses,
                "openai-responses",
                &openai_responses::build_request,
                &openai_responses::parse_reply,
                &openai_responses::make_stream_decoder},
    flavour_row{api_flavour::anthropic_messages,
                "anthropic-messages",
                &anthropic_messages::build_request,
                &anthropic_messages::parse_reply,
                &anthropic_messages::make_stream_decoder},
    flavour_row{api_flavour::azure_openai,
                "azure-openai",
                &azure_openai::build_request,
                &azure_openai::parse_reply,
                &azure_openai::make_stream_decoder},
    flavour_row{api_flavour::gemini,
                "gemini",
                &gemini::build_request,
                &gemini::parse_reply,
                &gemini::make_stream_decoder},
    flavour_row{api_flavour::bedrock_converse,
                "bedrock-converse",
                &bedrock_converse::build_request,
                &bedrock_converse::parse_reply,
                &bedrock_converse::make_stream_decoder},
};

constexpr bool rows_in_enum_order() {
  for (std::size_t i = 0; i < flavours.size(); ++i) {
    if (static_cast<std::size_t>(flavours[i].id) != i) {
      return false;
    }
  }
  return true;
}
static_assert(rows_in_enum_order(), "flavour rows must follow the api_flavour enumerators");

/// The row of `f`; an out-of-range value (a cast, never config) gets the first flavour.
const flavour_row& row(api_flavour f) noexcept {
  const auto i = static_cast<std::size_t>(f);
  return i < flavours.size() ? flavours[i] : flavours.front();
}

}  // namespace

std::string_view to_string(api_flavour f) noexcept {
  const auto i = static_cast<std::size_t>(f);
  return i < flavours.size() ? flavours[i].name : "unknown";
}

std::optional<api_flavour> api_flavour_from_string(std::string_view s) noexcept {
  for (const auto& f : flavours) {
    if (f.name == s) {
      return f.id;
    }
  }
  return std::nullopt;
}

std::vector<std::string_view> api_flavour_names() {
  std::vector<std::string_view> out;
  out.reserve(flavours.size());
  for (const auto& f : flavours) {
    out.push_back(f.name);
  }
  return out;
}

std::string_view default_user_agent() noexcept { return "visionwatch/" VISIONWATCH_PROBES_VERSION; }

http_request build_request(api_flavour flavour, const probe_request& request) {
  return row(flavour).build(request);
}

reply parse_reply(api_flavour flavour,
                  const http_result& result,
                  std::chrono::system_clock::time_point now) {
  return row(flavour).parse(result, now);
}

reply parse_reply(api_flavour flavour, const http_result& result) {
  return parse_reply(flavour, result, std::chrono::system_clock::now());
}

std::optional<std::string> shape_unsupported(api_flavour flavour, probe_shape shape) {
  // Every flavour can express a system message, a tool and an earlier turn. Formats: OpenAI
  // (chat, Responses, Azure), Anthropic and Bedrock take PNG, JPEG, WebP and GIF; Gemini's
  // documented image types are PNG, JPEG, WebP, HEIC and HEIF.
  if (flavour == api_flavour::gemini && shape == probe_shape::gif) {
    return std::string("gemini does not accept GIF images (its image types are PNG, JPEG, WebP, "
                       "HEIC and HEIF)");
  }
  return std::nullopt;
}

bool can_stream(api_flavour flavour) noexcept { return row(flavour).make_stream != nullptr; }

std::unique_ptr<stream_decoder> make_stream_decoder(api_flavour flavour) {
  const auto make = row(flavour).make_stream;
  return make != nullptr ? make() : nullptr;
}

std::string data_url(std::string_view mime, std::string_view bytes) {
  constexpr std::string_view scheme = "data:";
  constexpr std::string_view encoding = ";base64,";
  std::string out;
  out.reserve(scheme.size() + mime.size() + encoding.size() + 4 * ((bytes.size() + 2) / 3) + 1);
  out += scheme;
  out += mime;
  out += encoding;
  base64_append(out, bytes);  // straight into the URL
  return out;
}

std::string png_data_url(std::string_view png) { return data_url("image/png", png); }

}  // namespace visionwatch
