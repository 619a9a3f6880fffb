#include "probes/anthropic_messages.hpp"

#include <nlohmann/json.hpp>

#include "probes/adapter_support.hpp"
#include "probes/flavour_support.hpp"
#include "probes/text_util.hpp"

namespace visionwatch::anthropic_messages {

using namespace adapter_support;

void parse_usage(const json& root, usage& u) {
  const json* us = object_member(root, "usage");
  if (us == nullptr) {
    return;
  }
  // input_tokens leaves out cache reads and writes; the prompt is all three. Images are folded
  // into input_tokens (no separate count): the baseline check does the work.
  const auto input = count_member(*us, "input_tokens");
  if (!input) {
    return;
  }
  const auto created = count_member(*us, "cache_creation_input_tokens");
  const auto read = count_member(*us, "cache_read_input_tokens");
  u.prompt_tokens = *input + created.value_or(0) + read.value_or(0);
  u.cached_tokens = read;
  u.completion_tokens = count_member(*us, "output_tokens");
  if (u.completion_tokens) {
    u.total_tokens = *u.prompt_tokens + *u.completion_tokens;  // the API sends no total
  }
}

void read_stop_reason(std::string_view stop, reply& r) {
  if (stop == "end_turn" || stop == "stop_sequence") {
    r.finish_reason = "stop";
  } else if (stop == "max_tokens") {
    r.finish_reason = "length";
  } else if (stop == "tool_use") {
    r.finish_reason = tool_calls_finish_reason;
  } else if (stop == "refusal") {
    // The model declined: the refusal is whatever it said, or the stop reason itself.
    r.finish_reason = "refusal";
    r.refusal = r.text.find_first_not_of(" \t\r\n") == std::string::npos
                    ? std::string("stop_reason refusal")
                    : r.text;
  } else {
    r.finish_reason = one_line_excerpt(stop, finish_reason_limit);
  }
}

namespace {

/// The spend cap is in error.details.error_code; it names the error better than its type.
void take_error_details(const json& root, reply& r) {
  const json* error = member(root, "error");
  const json* details = error == nullptr ? nullptr : member(*error, "details");
  if (details == nullptr) {
    return;
  }
  if (const auto* code = string_member(*details, "error_code"); code != nullptr && !code->empty()) {
    r.error_code = one_line_excerpt(*code, max_code_bytes);
  }
}

std::string parse_message(const json& root, reply& r) {
  take_error_details(root, r);
  take_model(root, "model", r);
  std::string error;
  const json* content = payload_member(root, "content", json::value_t::array, r, error);
  if (content == nullptr) {
    return error;
  }
  take_typed_parts(
      *content, {{"text", "text", &reply::text}, {"thinking", "thinking", &reply::reasoning}}, r);
  if (const auto* stop = string_member(root, "stop_reason"); stop != nullptr) {
    read_stop_reason(*stop, r);
  }
  return {};
}

void parse_json_body(std::string_view body, reply& r) {
  parse_json_reply(body, r, {"content", payload_test::array, parse_message, parse_usage});
}

/// A base64 source (only it has a "data" key) or a URL source.
json image_block(const image_part& image, flavour_support::spliced_values& data) {
  if (const auto parts = split_data_url(image.url)) {
    return {
        {"type", "image"},
        {"source",
         {{"type", "base64"}, {"media_type", parts->mime}, {"data", data.hold(parts->base64)}}}};
  }
  return {{"type", "image"}, {"source", {{"type", "url"}, {"url", image.url}}}};
}

}  // namespace

http_request build_request(const probe_request& request) {
  http_request out;  // a POST
  out.url = join_url(request.base_url, "/messages");

  out.body = flavour_support::image_request_body(
      {api_flavour::anthropic_messages, "messages", image_block, "data"},
      request,
      {{"model", request.model},
       {"max_tokens", request.max_tokens.value_or(default_anthropic_max_tokens)}});

  flavour_support::set_headers(request, "x-api-key", out.headers);
  // Before the extra headers, which may pin another version: set it where no header has it.
  bool has_version = false;
  for (const auto& [name, value] : request.extra_headers) {
    has_version = has_version || ascii_iequals(name, "anthropic-version");
  }
  if (!has_version) {
    set_header(out.headers,
               "anthropic-version",
               request.anthropic_version.empty() ? default_anthropic_version
                                                 : std::string_view(request.anthropic_version));
  }
  return out;
}

reply parse_reply(const http_result& result, std::chrono::system_clock::time_point now) {
  return flavour_support::parse_native_reply(result, now, parse_json_body);
}

}  // namespace visionwatch::anthropic_messages
