#include "probes/gemini.hpp"

#include <nlohmann/json.hpp>

#include "probes/adapter_support.hpp"
#include "probes/flavour_support.hpp"
#include "probes/text_util.hpp"

namespace visionwatch::gemini {

using namespace adapter_support;

namespace {

constexpr usage_fields usage_names = {"usageMetadata",
                                      "promptTokenCount",
                                      "candidatesTokenCount",
                                      "totalTokenCount",
                                      {},
                                      "cachedContentTokenCount"};

/// Gemini's FinishReason in the neutral spelling the verdict reads.
std::string neutral_finish_reason(std::string_view fr) {
  if (fr == "STOP") {
    return "stop";
  }
  if (fr == "MAX_TOKENS") {
    return "length";
  }
  // The model's output was withheld by a filter: the verdict counts it as a refusal.
  for (const std::string_view filtered : {"SAFETY",
                                          "RECITATION",
                                          "PROHIBITED_CONTENT",
                                          "IMAGE_SAFETY",
                                          "BLOCKLIST",
                                          "SPII",
                                          "LANGUAGE"}) {
    if (fr == filtered) {
      return "content_filter";
    }
  }
  return ascii_lower(one_line_excerpt(fr, finish_reason_limit));
}

/// ErrorInfo reasons that mean the key (or token) itself was refused.
bool is_key_refused(std::string_view reason) {
  return reason == "API_KEY_INVALID" || reason == "API_KEY_EXPIRED" ||
         reason == "API_KEY_SERVICE_BLOCKED" || reason == "ACCESS_TOKEN_EXPIRED" ||
         reason == "ACCESS_TOKEN_TYPE_UNSUPPORTED" || reason == "CREDENTIALS_MISSING";
}

/// Gemini answers a bad key with HTTP 400 INVALID_ARGUMENT: only the ErrorInfo reason tells an
/// authentication failure from a bad request, so the message says it in words.
void name_auth_failure(const json& root, bool /*has_candidates*/, reply& r) {
  const json* obj = root.is_array() && !root.empty() ? &root.front() : &root;
  const json* error = member(*obj, "error");
  if (error == nullptr || !error->is_object()) {
    return;
  }
  std::string reason;
  if (const json* details = member(*error, "details"); details != nullptr && details->is_array()) {
    for (const auto& d : *details) {
      if (const auto* why = string_member(d, "reason"); why != nullptr && !why->empty()) {
        reason = one_line_excerpt(*why, 64);
        break;
      }
    }
  }
  const auto* status = string_member(*error, "status");
  std::string prefix;
  if (is_key_refused(reason) || (status != nullptr && *status == "UNAUTHENTICATED")) {
    prefix = "authentication failed, the API key was refused: ";
  } else if (status != nullptr && *status == "PERMISSION_DENIED") {
    prefix = "permission denied for this API key: ";
  }
  if (!reason.empty()) {
    r.error_code = reason;
  }
  if (!prefix.empty()) {
    r.error_message = one_line_excerpt(prefix + r.error_message, reply_error_limit);
  }
}

}  // namespace

void parse_usage(const json& root, usage& u) {
  const json* um = read_usage_counts(root, usage_names, u);
  if (um == nullptr) {
    return;
  }
  // Thinking tokens are billed as output but are not inside candidatesTokenCount; completion
  // tokens include them, as OpenAI's completion_tokens include reasoning tokens.
  if (const auto thoughts = count_member(*um, "thoughtsTokenCount")) {
    u.completion_tokens = u.completion_tokens.value_or(0) + *thoughts;
  }
  if (const json* details = member(*um, "promptTokensDetails");
      details != nullptr && details->is_array()) {
    // Every modality is listed: no IMAGE entry means no image was counted.
    long long image = 0;
    for (const auto& d : *details) {
      const auto* modality = string_member(d, "modality");
      if (modality != nullptr && *modality == "IMAGE") {
        image += count_member(d, "tokenCount").value_or(0);
      }
    }
    u.image_tokens = image;
  }
}

namespace {

/// text parts go to the answer, `thought: true` parts to the reasoning.
void take_parts(const json& parts, reply& r) {
  for (const auto& part : parts) {
    if (member(part, "functionCall") != nullptr || member(part, "function_call") != nullptr) {
      note_tool_call(r);  // finishReason STOP says nothing more
    }
    const auto* t = string_member(part, "text");
    if (t == nullptr) {
      continue;  // inline_data, function calls, executable code: not the answer
    }
    const json* thought = member(part, "thought");
    const bool is_thought = thought != nullptr && thought->is_boolean() && thought->get<bool>();
    (is_thought ? r.reasoning : r.text) += *t;
    if (r.text.size() > reply_text_limit && r.reasoning.size() > reply_text_limit) {
      break;
    }
  }
}

}  // namespace

std::string read_candidates(const json& root, reply& r) {
  if (!root.is_object()) {
    return type_error("the body", root, "an object");
  }
  take_model(root, "modelVersion", r);
  const json* candidates = member(root, "candidates");
  if (candidates == nullptr || candidates->is_null() ||
      (candidates->is_array() && candidates->empty())) {
    // A blocked prompt: no candidates, promptFeedback.blockReason says why.
    const json* feedback = member(root, "promptFeedback");
    if (const auto* block = feedback ? string_member(*feedback, "blockReason") : nullptr) {
      r.finish_reason = "content_filter";
      r.refusal = "the prompt was blocked (blockReason " + one_line_excerpt(*block, 64) + ")";
      return {};
    }
    return candidates != nullptr && candidates->is_array() && r.error_message.empty()
               ? "candidates is empty"
               : missing_member_error("candidates", r);
  }
  if (!candidates->is_array()) {
    return type_error("candidates", *candidates, "array");
  }
  const json& candidate = candidates->front();
  if (!candidate.is_object()) {
    return type_error("candidates[0]", candidate, "object");
  }
  std::string raw_finish;
  if (const auto* fr = string_member(candidate, "finishReason"); fr != nullptr) {
    raw_finish = one_line_excerpt(*fr, finish_reason_limit);
    r.finish_reason = neutral_finish_reason(*fr);
  }
  // A candidate stopped by a filter may have no content at all: well formed, no text.
  if (const json* content = member(candidate, "content");
      content != nullptr && !content->is_null()) {
    if (!content->is_object()) {
      return type_error("candidates[0].content", *content, "object");
    }
    if (const json* parts = member(*content, "parts"); parts != nullptr && !parts->is_null()) {
      if (!parts->is_array()) {
        return type_error("candidates[0].content.parts", *parts, "array");
      }
      take_parts(*parts, r);
    }
  }
  if (r.finish_reason == "content_filter" &&
      r.text.find_first_not_of(" \t\r\n") == std::string::npos) {
    r.refusal = "the answer was withheld (finishReason " + raw_finish + ")";
  }
  return {};
}

namespace {

void parse_json_body(std::string_view body, reply& r) {
  parse_json_reply(body,
                   r,
                   {"candidates",
                    payload_test::not_null,
                    read_candidates,
                    parse_usage,
                    name_auth_failure,
                    /*unwrap_one_element_array=*/true});
}

/// An inline_data part (only it has a "data" key) or a file_data part naming the URL.
json image_data_part(const image_part& image, flavour_support::spliced_values& data) {
  if (const auto d = split_data_url(image.url); d && is_plain_json_string(d->base64)) {
    return {{"inline_data",
             {{"mime_type", d->mime.empty() ? "image/png" : std::string(d->mime)},
              {"data", data.hold(d->base64)}}}};
  }
  return {{"file_data",
           {{"mime_type", std::string(image_mime_for_url(image.url))}, {"file_uri", image.url}}}};
}

/// The turns under "contents", each image's base64 under "data", max tokens and temperature in
/// generationConfig.
constexpr flavour_support::body_spelling gemini_body{api_flavour::gemini,
                                                     "contents",
                                                     image_data_part,
                                                     "data",
                                                     {"generationConfig", "maxOutputTokens"}};

}  // namespace

std::string endpoint_url(std::string_view base_url, std::string_view model, bool stream) {
  std::string path = "/";
  if (!model.starts_with("models/")) {
    path += "models/";
  }
  // Model ids are [a-z0-9.-]; anything else is encoded so it stays one path segment, except the
  // '/' of a "models/<id>" or "tunedModels/<id>" name.
  std::string_view rest = model;
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    path += percent_encode_segment(rest.substr(0, slash));
    if (slash == std::string_view::npos) {
      break;
    }
    path += '/';
    rest.remove_prefix(slash + 1);
  }
  if (!stream) {
    return join_url(base_url, path + ":generateContent");
  }
  // Without alt=sse the stream is one JSON array delivered piece by piece, not SSE.
  return with_query_param(join_url(base_url, path + ":streamGenerateContent"), "alt", "sse");
}

http_request build_request(const probe_request& request) {
  http_request out;  // a POST
  out.url = endpoint_url(request.base_url, request.model, request.stream);

  out.body = flavour_support::image_request_body(gemini_body, request);

  set_header(out.headers, "Content-Type", "application/json");
  set_header(out.headers, "Accept", request.stream ? "text/event-stream" : "application/json");
  set_header(out.headers, "User-Agent", default_user_agent());
  if (!request.api_key.empty()) {
    set_header(out.headers, "x-goog-api-key", request.api_key);
  }
  for (const auto& [name, value] : request.extra_headers) {
    set_header(out.headers, name, value);
  }
  return out;
}

reply parse_reply(const http_result& result, std::chrono::system_clock::time_point now) {
  return adapter_support::parse_reply_with(result, now, parse_json_body);
}

}  // namespace visionwatch::gemini
