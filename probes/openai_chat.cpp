#include "probes/openai_chat.hpp"

#include <nlohmann/json.hpp>

#include "probes/adapter_support.hpp"
#include "probes/flavour_support.hpp"
#include "probes/text_util.hpp"

namespace visionwatch::openai_chat {

using namespace adapter_support;

namespace {

constexpr usage_fields usage_names = {"usage",
                                      "prompt_tokens",
                                      "completion_tokens",
                                      "total_tokens",
                                      "prompt_tokens_details",
                                      "cached_tokens"};

}  // namespace

void parse_usage(const json& root, usage& u) {
  // Gemini's OpenAI-compatible endpoint sends "prompt_tokens_details": null.
  const json* us = read_usage_counts(root, usage_names, u);
  if (us == nullptr) {
    return;
  }
  // Anthropic-style names, as some gateways pass them through unchanged.
  if (!u.prompt_tokens) {
    u.prompt_tokens = count_member(*us, "input_tokens");
  }
  if (!u.completion_tokens) {
    u.completion_tokens = count_member(*us, "output_tokens");
  }
  if (const json* details = object_member(*us, "prompt_tokens_details"); details != nullptr) {
    u.image_tokens = count_member(*details, "image_tokens");
  }
}

namespace {

/// Appends the text parts of an array content ([{type: text, text}, ...]); "refusal" parts go to
/// the refusal, "thinking"/"reasoning" parts (Anthropic-shaped content passed through) to the
/// reasoning; images and audio are skipped.
void take_content_parts(const json& parts, reply& r) {
  for (const auto& part : parts) {
    if (part.is_string()) {
      r.text += part.get_ref<const std::string&>();
    } else if (part.is_object()) {
      const auto* type = string_member(part, "type");
      if (type != nullptr && *type == "refusal") {
        if (const auto* ref = string_member(part, "refusal"); ref != nullptr) {
          r.refusal += *ref;
        }
        continue;
      }
      if (type != nullptr && (*type == "thinking" || *type == "reasoning")) {
        for (const char* key : {"thinking", "reasoning", "text"}) {
          if (const auto* t = string_member(part, key); t != nullptr) {
            append_reasoning(r, *t);
            break;
          }
        }
        continue;
      }
      if (type == nullptr || *type == "text" || *type == "output_text") {
        if (const auto* t = string_member(part, "text"); t != nullptr) {
          r.text += *t;
        }
      }
    }
    if (r.text.size() > reply_text_limit) {
      break;  // the rest would be cut anyway
    }
  }
}

/// The success shape: choices[0].message.{content, refusal} and choices[0].finish_reason.
/// Returns an empty string when well formed, else what is wrong.
std::string parse_choice(const json& root, reply& r) {
  take_model(root, "model", r);  // the served model
  std::string error;
  const json* choices = payload_member(root, "choices", json::value_t::array, r, error);
  if (choices == nullptr) {
    return error;
  }
  if (choices->empty()) {
    return "choices is empty";
  }
  const json& choice = choices->front();
  if (!choice.is_object()) {
    return type_error("choices[0]", choice, "object");
  }
  if (const auto* fr = string_member(choice, "finish_reason"); fr != nullptr) {
    r.finish_reason = one_line_excerpt(*fr, finish_reason_limit);
  }
  const json* message = member(choice, "message");
  if (message == nullptr || message->is_null()) {
    // Legacy completions shape ({"text": ...}) that a few gateways still return.
    if (const auto* t = string_member(choice, "text"); t != nullptr) {
      r.text = *t;
      return {};
    }
    return "no choices[0].message in the body";
  }
  if (!message->is_object()) {
    return type_error("choices[0].message", *message, "object");
  }
  // Reasoning beside the answer: `reasoning_content` (DeepSeek, vLLM, Qwen, many gateways) or
  // `reasoning` (OpenRouter, Ollama, newer vLLM). Other types (OpenRouter's reasoning_details
  // objects) carry nothing the verdict needs.
  for (const char* key : {"reasoning_content", "reasoning"}) {
    if (const auto* t = string_member(*message, key); t != nullptr) {
      append_reasoning(r, *t);
    }
  }
  if (const json* refusal = member(*message, "refusal"); refusal != nullptr) {
    if (refusal->is_string()) {
      r.refusal = refusal->get_ref<const std::string&>();
    } else if (!refusal->is_null()) {
      return type_error("choices[0].message.refusal", *refusal, "string or null");
    }
  }
  // A missing or null content is well formed (tool calls, refusals); the verdict sees no text.
  if (const json* content = member(*message, "content"); content != nullptr) {
    if (content->is_string()) {
      r.text = content->get_ref<const std::string&>();
    } else if (content->is_array()) {
      take_content_parts(*content, r);
    } else if (!content->is_null()) {
      return type_error("choices[0].message.content", *content, "string or array");
    }
  }
  // Some gateways say "stop" beside tool_calls (or the legacy function_call).
  const json* calls = member(*message, "tool_calls");
  const json* legacy_call = member(*message, "function_call");
  if ((calls != nullptr && calls->is_array() && !calls->empty()) ||
      (legacy_call != nullptr && legacy_call->is_object())) {
    note_tool_call(r);
  }
  return {};
}

void parse_json_body(std::string_view body, reply& r) {
  parse_json_reply(body, r, {"choices", payload_test::not_null, parse_choice, parse_usage});
}

/// `detail` only when the route sets it.
json image_url_part(const image_part& image, flavour_support::spliced_values& urls) {
  json image_url = {{"url", urls.hold(image.url)}};
  if (!image.detail.empty()) {
    image_url["detail"] = image.detail;
  }
  return {{"type", "image_url"}, {"image_url", std::move(image_url)}};
}

}  // namespace

std::string endpoint_url(std::string_view base_url) {
  return join_url(base_url, "/chat/completions");
}

std::string request_body(const probe_request& request, api_flavour flavour, bool name_model) {
  json members = json::object();
  if (name_model) {
    members["model"] = request.model;
  }
  if (request.max_tokens) {
    members[request.use_max_completion_tokens ? "max_completion_tokens" : "max_tokens"] =
        *request.max_tokens;
  }
  if (request.stream) {
    // Without include_usage the stream carries no usage at all (openai-chat-stream.json).
    members["stream_options"] = {{"include_usage", true}};
  }
  // `"url":` followed by a string can only be the key itself, in content order.
  return flavour_support::image_request_body(
      {flavour, "messages", image_url_part, "url"}, request, std::move(members));
}

http_request build_request(const probe_request& request) {
  http_request out;  // a POST
  out.url = endpoint_url(request.base_url);
  out.body = request_body(request, api_flavour::openai_chat, true);
  flavour_support::set_headers(request, "", out.headers);
  return out;
}

reply parse_reply(const http_result& result, std::chrono::system_clock::time_point now) {
  return adapter_support::parse_reply_with(result, now, parse_json_body);
}

}  // namespace visionwatch::openai_chat
