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
  const std::string url =
      join_url(request.base_url,
               "/deployments/" + percent_encode_segment(request.model) + "/chat/completions");
  return with_query_param(url,
                          "api-version",
                          request.api_version.empty() ? default_azure_api_version
                                                      : std::string_view(request.api_version));
}

http_request build_request(const probe_request& request) {
  http_request out;  // a POST
  out.url = endpoint_url(request);

  // Chat's body; no `model`: the deployment in the path selects it.
  out.body = openai_chat::request_body(request, api_flavour::azure_openai, false);
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
