#include "probes/openai_responses.hpp"

#include <nlohmann/json.hpp>

#include "probes/adapter_support.hpp"
#include "probes/flavour_support.hpp"
#include "probes/text_util.hpp"

namespace visionwatch::openai_responses {

using namespace adapter_support;

namespace {

constexpr usage_fields usage_names = {"usage",
                                      "input_tokens",
                                      "output_tokens",
                                      "total_tokens",
                                      "input_tokens_details",
                                      "cached_tokens"};

}  // namespace

void parse_usage(const json& root, usage& u) {
  // input_tokens counts text, image and cached tokens alike: images show only as its growth
  // over the control request (the baseline check).
  read_usage_counts(root, usage_names, u);
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
  take_typed_parts(*content,
                   {{"output_text", "text", &reply::text}, {"refusal", "refusal", &reply::refusal}},
                   r);
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
  const json* output = payload_member(root, "output", json::value_t::array, r, error);
  if (output == nullptr) {
    return error;
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
  parse_json_reply(body, r, {"output", payload_test::array, read_response, parse_usage});
}

/// The schema requires detail: "auto" unless the route says otherwise.
json input_image(const image_part& image, flavour_support::spliced_values& urls) {
  return {{"type", "input_image"},
          {"image_url", urls.hold(image.url)},
          {"detail", image.detail.empty() ? std::string("auto") : image.detail}};
}

}  // namespace

http_request build_request(const probe_request& request) {
  http_request out;  // a POST
  out.url = join_url(request.base_url, "/responses");

  json members = {{"model", request.model}, {"store", false}};
  if (request.max_tokens) {
    members["max_output_tokens"] = *request.max_tokens;
  }
  // A stream's usage comes in the final response.completed event.
  out.body = flavour_support::image_request_body(
      {api_flavour::openai_responses, "input", input_image, "image_url"},
      request,
      std::move(members));
  flavour_support::set_headers(request, "", out.headers);
  return out;
}

reply parse_reply(const http_result& result, std::chrono::system_clock::time_point now) {
  return flavour_support::parse_native_reply(result, now, parse_json_body);
}

}  // namespace visionwatch::openai_responses
