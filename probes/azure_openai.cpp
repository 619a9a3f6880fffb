#include "probes/azure_openai.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "probes/adapter_support.hpp"
#include "probes/flavour_support.hpp"
#include "probes/openai_chat.hpp"
#include "probes/openai_chat_stream.hpp"
#include "probes/request_shapes.hpp"
#include "probes/retry_after.hpp"

namespace visionwatch::azure_openai {

using namespace adapter_support;

namespace {

/// A deployment name as one path segment: unreserved characters as they are, the rest
/// percent-encoded (a name with '/' or '?' must not change the URL's structure).
std::string path_segment(std::string_view s) {
  static constexpr std::string_view hex = "0123456789ABCDEF";
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 0xF];
    }
  }
  return out;
}

/// Azure repeats the delay in the 429 message: "... Please retry after 86400 seconds. ...".
std::optional<std::chrono::seconds> message_retry_hint(std::string_view message) {
  static constexpr std::string_view marker = "retry after ";
  const auto at = message.find(marker);
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view rest = message.substr(at + marker.size());
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
  const std::string_view unit(end, static_cast<std::size_t>(rest.data() + rest.size() - end));
  if (ec != std::errc{} || v < 0 || !unit.starts_with(" second")) {
    return std::nullopt;
  }
  return std::chrono::seconds(std::min<std::int64_t>(v, max_retry_after.count()));
}

}  // namespace

std::string endpoint_url(const probe_request& request) {
  const std::string url = join_url(
      request.base_url, "/deployments/" + path_segment(request.model) + "/chat/completions");
  return with_query_param(url,
                          "api-version",
                          request.api_version.empty() ? default_azure_api_version
                                                      : std::string_view(request.api_version));
}

http_request build_request(const probe_request& request) {
  http_request out;
  out.method = "POST";
  out.url = endpoint_url(request);

  // Chat's message shape; no `model`: the deployment in the path selects it.
  std::vector<std::string> spliced;
  spliced.reserve(request.images.size());
  json content = json::array();
  content.push_back({{"type", "text"}, {"text", request_shapes::image_turn_text(request)}});
  for (const auto& image : request.images) {
    const bool plain = is_plain_json_string(image.url);
    spliced.push_back(plain ? image.url : std::string());
    json image_url = {{"url", plain ? std::string() : image.url}};
    if (!image.detail.empty()) {
      image_url["detail"] = image.detail;
    }
    content.push_back({{"type", "image_url"}, {"image_url", std::move(image_url)}});
  }
  json messages =
      request_shapes::conversation(api_flavour::azure_openai, request, std::move(content));
  json body = {{"messages", std::move(messages)}};
  request_shapes::add_system_and_tool(api_flavour::azure_openai, request, body);
  if (request.max_tokens) {
    body[request.use_max_completion_tokens ? "max_completion_tokens" : "max_tokens"] =
        *request.max_tokens;
  }
  if (request.temperature) {
    body["temperature"] = *request.temperature;
  }
  if (request.stream) {
    // As chat: without include_usage the stream carries no usage (azure-openai-chat.json).
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  out.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  flavour_support::splice_strings(out.body, "url", spliced);
  flavour_support::set_headers(request, "api-key", out.headers);
  return out;
}

reply parse_reply(const http_result& result, std::chrono::system_clock::time_point now) {
  reply r = openai_chat::parse_reply(result, now);
  flavour_support::read_retry_after_ms(result, r);  // headers before the message's hint
  if (!r.retry_after && result.status == 429) {
    r.retry_after = message_retry_hint(r.error_message);
  }
  flavour_support::finish_error_reply(result, r);
  return r;
}

std::unique_ptr<stream_decoder> make_stream_decoder() {
  return std::make_unique<openai_chat::chat_stream_decoder>(&parse_reply);
}

}  // namespace visionwatch::azure_openai
