#include "probes/flavour_support.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

#include "probes/adapter_support.hpp"
#include "probes/request_shapes.hpp"
#include "probes/retry_after.hpp"
#include "probes/text_util.hpp"

namespace visionwatch::flavour_support {

using adapter_support::set_header;

void set_headers(const probe_request& request,
                 std::string_view key_header,
                 header_list& out,
                 std::string_view stream_accept) {
  set_header(out, "Content-Type", "application/json");
  set_header(out, "Accept", request.stream ? stream_accept : "application/json");
  set_header(out, "User-Agent", default_user_agent());
  if (!request.api_key.empty()) {
    if (key_header.empty() || request.bearer_token) {
      set_header(out, "Authorization", "Bearer " + request.api_key);
    } else {
      set_header(out, key_header, request.api_key);
    }
  }
  for (const auto& [name, value] : request.extra_headers) {
    set_header(out, name, value);
  }
}

std::string serialise_body(nlohmann::json body, const probe_request& request) {
  if (request.temperature) {
    body["temperature"] = *request.temperature;
  }
  if (request.stream) {
    body["stream"] = true;
  }
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void add_inference_config(nlohmann::json& body,
                          std::string_view key,
                          std::string_view max_tokens_key,
                          const probe_request& request) {
  nlohmann::json config = nlohmann::json::object();
  if (request.max_tokens) {
    config[max_tokens_key] = *request.max_tokens;
  }
  if (request.temperature) {
    config["temperature"] = *request.temperature;
  }
  if (!config.empty()) {
    body[key] = std::move(config);
  }
}

std::string spliced_values::hold(std::string_view value) {
  const bool plain = adapter_support::is_plain_json_string(value);
  values_.push_back(plain ? value : std::string_view());
  return plain ? std::string() : std::string(value);
}

void spliced_values::splice_into(std::string& body) const { splice_strings(body, key_, values_); }

nlohmann::json image_conversation(api_flavour flavour,
                                  const probe_request& request,
                                  image_part_writer image,
                                  spliced_values& held) {
  nlohmann::json images = nlohmann::json::array();
  for (const auto& i : request.images) {
    images.push_back(image(i, held));
  }
  return request_shapes::conversation(
      flavour, request, request_shapes::image_turn(flavour, request, std::move(images)));
}

std::string image_request_body(const body_spelling& spelling,
                               const probe_request& request,
                               nlohmann::json members) {
  spliced_values held(spelling.held_key, request.images.size());
  nlohmann::json body = nlohmann::json::object();
  body[spelling.conversation_key] =
      image_conversation(spelling.flavour, request, spelling.image, held);
  request_shapes::add_system_and_tool(spelling.flavour, request, body);
  body.update(members);
  std::string out;
  const auto& config = spelling.inference_config;
  if (config.key.empty()) {
    out = serialise_body(std::move(body), request);
  } else {
    add_inference_config(body, config.key, config.max_tokens_key, request);
    out = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  held.splice_into(out);
  return out;
}

void splice_strings(std::string& body,
                    std::string_view key,
                    const std::vector<std::string_view>& values) {
  // `"key":"` can only be the key itself: the same bytes inside a string would be escaped.
  std::string needle = "\"";
  needle += key;
  needle += "\":\"";
  std::size_t from = 0;
  for (const auto& value : values) {
    const auto at = body.find(needle, from);
    if (at == std::string::npos) {
      return;
    }
    from = at + needle.size();
    if (!value.empty()) {
      body.insert(from, value);
      from += value.size();
    }
  }
}

bool quota_exhausted(unsigned status, const reply& r) {
  if (status != 429) {
    return false;
  }
  for (std::string_view code :
       {"insufficient_quota", "billing_hard_limit_reached", "enforced_spend_limit_reached"}) {
    if (r.error_code == code) {
      return true;
    }
  }
  const std::string message = ascii_lower(r.error_message);
  return message.find("exceeded your current quota") != std::string::npos ||
         message.find("spend limit") != std::string::npos ||
         message.find("billing") != std::string::npos;
}

void read_retry_after_ms(const http_result& result, reply& r) {
  if (result.transport_error || r.retry_after) {
    return;
  }
  const std::string_view ms = result.header("retry-after-ms");
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(ms.data(), ms.data() + ms.size(), v);
  if (!ms.empty() && ec == std::errc{} && end == ms.data() + ms.size()) {
    // Rounded up: retrying early defeats the hint.
    const auto seconds = std::min<std::uint64_t>(
        v / 1000 + (v % 1000 != 0 ? 1 : 0), static_cast<std::uint64_t>(max_retry_after.count()));
    r.retry_after = std::chrono::seconds(static_cast<std::int64_t>(seconds));
  }
}

void finish_error_reply(const http_result& result, reply& r) {
  if (result.transport_error) {
    return;
  }
  read_retry_after_ms(result, r);
  if (result.status == 401 || result.status == 403) {
    const std::string what = result.status == 401
                                 ? "the API key or token was refused"
                                 : "the API key or token was refused or lacks permission";
    r.error_message = r.error_message.empty()
                          ? what
                          : one_line_excerpt(what + ": " + r.error_message, reply_error_limit);
  }
  if (quota_exhausted(result.status, r)) {
    r.retry_after.reset();
    r.error_message = one_line_excerpt(
        "spend or quota limit reached (not retried sooner): " + r.error_message, reply_error_limit);
  }
}

reply parse_native_reply(const http_result& result,
                         std::chrono::system_clock::time_point now,
                         void (*parse_body)(std::string_view body, reply& r)) {
  reply r = adapter_support::parse_reply_with(result, now, parse_body);
  finish_error_reply(result, r);
  return r;
}

}  // namespace visionwatch::flavour_support
