#include "probes/openai_responses.hpp"

#include <nlohmann/json.hpp>

#include "probes/adapter_support.hpp"
#include "probes/flavour_support.hpp"
#include "probes/request_shapes.hpp"
#include "probes/text_util.hpp"

namespace visionwatch::openai_responses {

using namespace adapter_support;

void parse_usage(const json& root, usage& u) {
  const json* us = object_member(root, "usage");
  if (us == nullptr) {
    return;
  }
  // input_tokens counts text, image and cached tokens alike: images show only as its growth
  // over the control request (the baseline check).
  u.prompt_tokens = count_member(*us, "input_tokens");
  u.completion_tokens = count_member(*us, "output_tokens");
  u.total_tokens = count_member(*us, "total_tokens");
  if (const json* details = member(*us, "input_tokens_details");
      details != nullptr && details->is_object()) {
    u.cached_tokens = count_member(*details, "cached_tokens");
  }
}

namespace {

/// Appends the `text` of every part of type `type` in `parts` to `out`.
void take_texts(const json& parts, std::string_view type, std::string& out) {
  if (!parts.is_array()) {
    return;
  }
  for (const auto& part : parts) {
    const auto* t = string_member(part, "type");
    const auto* text = string_member(part, "text");
    if (t != nullptr && *t == type && text != nullptr) {
      out += *text;
    }
    if (out.size() > reply_text_limit) {
      return;
    }
  }
}

/// A `message` item: output_text parts are the answer, refusal parts the refusal.
std::string take_message(const json& item, std::size_t index, reply& r) {
  const json* content = member(item, "content");
  if (content == nullptr || content->is_null()) {
    return {};
  }
  if (!content->is_array()) {
    return type_error("output[" + std::to_string(index) + "].content", *content, "array");
  }
  for (const auto& part : *content) {
    const auto* type = string_member(part, "type");
    if (type == nullptr) {
      continue;
    }
    if (*type == "output_text") {
      if (const auto* t = string_member(part, "text"); t != nullptr) {
        r.text += *t;
      }
    } else if (*type == "refusal") {
      if (const auto* t = string_member(part, "refusal"); t != nullptr) {
        r.refusal += *t;
      }
    }
    if (r.text.size() > reply_text_limit) {
      break;
    }
  }
  return {};
}

/// The finish reason in chat's vocabulary, so the verdict's "length" and "content_filter"
/// rules apply to every flavour alike.
std::string finish_reason_of(std::string_view status, const json& root) {
  if (status == "completed") {
    return "stop";
  }
  std::string reason;
  if (const json* details = member(root, "incomplete_details"); details != nullptr) {
    if (const auto* why = string_member(*details, "reason"); why != nullptr) {
      reason = *why;
    }
  }
  if (reason == "max_output_tokens") {
    return "length";
  }
  if (reason.empty()) {
    return one_line_excerpt(status, finish_reason_limit);
  }
  return one_line_excerpt(reason, finish_reason_limit);
}

}  // namespace

std::string read_response(const json& root, reply& r) {
  take_model(root, "model", r);
  std::string error;
  const json* output = payload_member(root, "output", r, error);
  if (output == nullptr) {
    return error;
  }
  if (!output->is_array()) {
    return type_error("output", *output, "array");
  }
  const auto* status = string_member(root, "status");
  if (status != nullptr && *status != "completed" && *status != "incomplete") {
    std::string why = "response status " + one_line_excerpt(*status, 32);
    if (!r.error_message.empty()) {
      why += ": " + r.error_message;
    }
    return why;
  }
  r.finish_reason = finish_reason_of(status == nullptr ? "completed" : *status, root);
  for (std::size_t i = 0; i < output->size(); ++i) {
    const json& item = (*output)[i];
    const auto* type = string_member(item, "type");
    if (type == nullptr) {
      continue;
    }
    if (*type == "message") {
      if (auto err = take_message(item, i, r); !err.empty()) {
        return err;
      }
    } else if (*type == "function_call") {
      note_tool_call(r);  // status "completed" says nothing more
    } else if (*type == "reasoning") {
      // Never the answer: summaries (summary_text) and, from open models, reasoning_text.
      if (const json* summary = member(item, "summary"); summary != nullptr) {
        take_texts(*summary, "summary_text", r.reasoning);
      }
      if (const json* content = member(item, "content"); content != nullptr) {
        take_texts(*content, "reasoning_text", r.reasoning);
      }
    }
  }
  return {};
}

namespace {

void parse_json_body(std::string_view body, reply& r) {
  parse_json_reply(body, r, "output", read_response, parse_usage);
}

}  // namespace

http_request build_request(const probe_request& request) {
  http_request out;
  out.method = "POST";
  out.url = join_url(request.base_url, "/responses");

  std::vector<std::string_view> spliced;
  spliced.reserve(request.images.size());
  json content = json::array();
  content.push_back({{"type", "input_text"}, {"text", request_shapes::image_turn_text(request)}});
  for (const auto& image : request.images) {
    const bool plain = is_plain_json_string(image.url);
    spliced.emplace_back(plain ? std::string_view(image.url) : std::string_view());
    // The schema requires detail: "auto" unless the route says otherwise.
    content.push_back({{"type", "input_image"},
                       {"image_url", plain ? std::string() : image.url},
                       {"detail", image.detail.empty() ? std::string("auto") : image.detail}});
  }
  json input =
      request_shapes::conversation(api_flavour::openai_responses, request, std::move(content));
  json body = {{"model", request.model}, {"input", std::move(input)}, {"store", false}};
  request_shapes::add_system_and_tool(api_flavour::openai_responses, request, body);
  if (request.max_tokens) {
    body["max_output_tokens"] = *request.max_tokens;
  }
  // A stream's usage comes in the final response.completed event.
  out.body = flavour_support::serialise_body(std::move(body), request);
  flavour_support::splice_strings(out.body, "image_url", spliced);
  flavour_support::set_headers(request, "", out.headers);
  return out;
}

reply parse_reply(const http_result& result, std::chrono::system_clock::time_point now) {
  reply r = parse_reply_with(result, now, parse_json_body);
  flavour_support::finish_error_reply(result, r);
  return r;
}

}  // namespace visionwatch::openai_responses
