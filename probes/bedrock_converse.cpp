#include "probes/bedrock_converse.hpp"

#include <nlohmann/json.hpp>

#include "probes/adapter_support.hpp"
#include "probes/flavour_support.hpp"
#include "probes/http_url.hpp"
#include "probes/sigv4.hpp"
#include "probes/text_util.hpp"

namespace visionwatch::bedrock_converse {

using namespace adapter_support;

namespace {

constexpr usage_fields usage_names = {
    "usage", "inputTokens", "outputTokens", "totalTokens", {}, "cacheReadInputTokens"};

/// ImageBlock.format from a media type: png | jpeg | gif | webp.
std::string image_format(std::string_view mime) {
  if (mime.starts_with("image/")) {
    mime.remove_prefix(6);
  }
  if (mime == "jpg") {
    return "jpeg";
  }
  return mime.empty() ? std::string("png") : ascii_lower(mime);
}

/// An ImageBlock: base64 bytes (only they have a "bytes" key) or an S3 location.
json image_block(const image_part& image, flavour_support::spliced_values& bytes) {
  if (const auto d = split_data_url(image.url); d && is_plain_json_string(d->base64)) {
    return {{"image",
             {{"format", image_format(d->mime)}, {"source", {{"bytes", bytes.hold(d->base64)}}}}}};
  }
  return {{"image",
           {{"format", image_format(image_mime_for_url(image.url))},
            {"source", {{"s3Location", {{"uri", image.url}}}}}}}};
}

/// The turns under "messages", each image's bytes under "bytes", max tokens and temperature in
/// inferenceConfig.
constexpr flavour_support::body_spelling converse_body{api_flavour::bedrock_converse,
                                                       "messages",
                                                       image_block,
                                                       "bytes",
                                                       {"inferenceConfig", "maxTokens"}};

/// "ThrottlingException:http://internal.amazon.com/coral/..." or
/// "com.amazon.coral.service#ValidationException" → the bare code.
std::string bare_error_code(std::string_view raw) {
  raw = raw.substr(0, raw.find(':'));
  if (const auto hash = raw.rfind('#'); hash != std::string_view::npos) {
    raw.remove_prefix(hash + 1);
  }
  return one_line_excerpt(raw, max_code_bytes);
}

/// The codes AWS answers refused credentials with (all HTTP 403).
bool is_credentials_error(std::string_view code) {
  for (const std::string_view c : {"UnrecognizedClientException",
                                   "InvalidSignatureException",
                                   "IncompleteSignatureException",
                                   "ExpiredTokenException",
                                   "MissingAuthenticationTokenException",
                                   "AccessDeniedException",
                                   "InvalidClientTokenId",
                                   "SignatureDoesNotMatch"}) {
    if (code == c) {
      return true;
    }
  }
  return false;
}

void take_content(const json& content, reply& r) {
  for (const auto& block : content) {
    if (const auto* t = string_member(block, "text"); t != nullptr) {
      r.text += *t;
    } else if (const json* rc = member(block, "reasoningContent"); rc != nullptr) {
      if (const json* rt = member(*rc, "reasoningText"); rt != nullptr) {
        if (const auto* t2 = string_member(*rt, "text"); t2 != nullptr) {
          r.reasoning += *t2;
        }
      }
    }
    if (r.text.size() > reply_text_limit && r.reasoning.size() > reply_text_limit) {
      break;
    }
  }
}

std::string parse_output(const json& root, reply& r) {
  std::string error;
  const json* output = payload_member(root, "output", json::value_t::object, r, error);
  if (output == nullptr) {
    return error;
  }
  if (const auto* sr = string_member(root, "stopReason"); sr != nullptr) {
    r.finish_reason = neutral_stop_reason(*sr);
  }
  const json* message = member(*output, "message");
  if (message == nullptr || message->is_null()) {
    return "no output.message in the body";
  }
  if (!message->is_object()) {
    return type_error("output.message", *message, "object");
  }
  const json* content = member(*message, "content");
  if (content != nullptr && !content->is_null()) {
    if (!content->is_array()) {
      return type_error("output.message.content", *content, "array");
    }
    take_content(*content, r);
  }
  if (const auto* sr = string_member(root, "stopReason"); sr != nullptr) {
    note_withheld_answer(r, *sr);
  }
  return {};
}

/// AWS's capitalised "Message" and the __type code of rest-json errors.
void read_aws_error(const json& root, bool has_output, reply& r) {
  if (has_output) {
    return;
  }
  if (r.error_message.empty()) {
    if (const auto* m = string_member(root, "Message"); m != nullptr) {
      r.error_message = one_line_excerpt(*m, reply_error_limit);
    }
  }
  if (const auto* type = string_member(root, "__type"); type != nullptr) {
    r.error_code = bare_error_code(*type);
  }
}

void parse_json_body(std::string_view body, reply& r) {
  parse_json_reply(
      body, r, {"output", payload_test::not_null, parse_output, parse_usage, read_aws_error});
}

}  // namespace

std::string endpoint_url(std::string_view base_url, std::string_view model, bool stream) {
  return join_url(
      base_url,
      "/model/" + percent_encode_segment(model) + (stream ? "/converse-stream" : "/converse"));
}

std::string neutral_stop_reason(std::string_view sr) {
  if (sr == "end_turn" || sr == "stop_sequence") {
    return "stop";
  }
  if (sr == "max_tokens") {
    return "length";
  }
  if (sr == "tool_use") {
    return std::string(tool_calls_finish_reason);
  }
  if (sr == "guardrail_intervened" || sr == "content_filtered") {
    return "content_filter";
  }
  return one_line_excerpt(sr, finish_reason_limit);
}

void parse_usage(const json& holder, usage& u) {
  // Images are inside inputTokens: the baseline check does the work.
  read_usage_counts(holder, usage_names, u);
}

void note_withheld_answer(reply& r, std::string_view stop_reason) {
  if (r.finish_reason == "content_filter" &&
      r.text.find_first_not_of(" \t\r\n") == std::string::npos) {
    r.refusal = "the answer was withheld (stopReason " +
                one_line_excerpt(stop_reason, finish_reason_limit) + ")";
  }
}

std::optional<std::string> region_from_url(std::string_view base_url) {
  std::string error;
  const auto t = parse_http_target(base_url, error);
  if (!t) {
    return std::nullopt;
  }
  std::string_view host = t->host;
  for (const std::string_view prefix : {"bedrock-runtime-fips.", "bedrock-runtime."}) {
    if (host.starts_with(prefix)) {
      host.remove_prefix(prefix.size());
      const auto dot = host.find('.');
      if (dot == std::string_view::npos || dot == 0 ||
          !host.substr(dot).starts_with(".amazonaws.com")) {
        return std::nullopt;
      }
      return std::string(host.substr(0, dot));
    }
  }
  return std::nullopt;
}

http_request build_request(const probe_request& request) {
  http_request out;  // a POST
  out.url = endpoint_url(request.base_url, request.model, request.stream);

  out.body = flavour_support::image_request_body(converse_body, request);

  // A Bedrock API key is a bearer token.
  flavour_support::set_headers(request, "", out.headers, "application/vnd.amazon.eventstream");
  if (request.api_key.empty() && !request.aws_credentials.access_key_id.empty()) {
    // Last: the signature covers the final headers (extra ones included) and body.
    sigv4::sign_request(out,
                        request.aws_credentials,
                        {request.aws_region, std::string(signing_service), request.now});
  }
  return out;
}

reply parse_reply(const http_result& result, std::chrono::system_clock::time_point now) {
  reply r = adapter_support::parse_reply_with(result, now, parse_json_body);
  if (result.transport_error || (result.status >= 200 && result.status < 300)) {
    return r;
  }
  if (const auto type = result.header("x-amzn-errortype"); !type.empty()) {
    r.error_code = bare_error_code(type);
  }
  if (result.status == 403 || is_credentials_error(r.error_code)) {
    r.error_message =
        one_line_excerpt("authentication failed, AWS refused the credentials: " + r.error_message,
                         reply_error_limit);
  }
  return r;
}

}  // namespace visionwatch::bedrock_converse
