#include "probes/openai_responses_stream.hpp"

#include "probes/adapter_support.hpp"
#include "probes/openai_responses.hpp"

namespace visionwatch::openai_responses {

using namespace adapter_support;

responses_stream_decoder::responses_stream_decoder()
    : sse_reply_stream(&openai_responses::parse_reply, "response.completed") {}

bool responses_stream_decoder::take_event(std::string_view type, const json& root) {
  const json* response = member(root, "response");
  if (type == "response.failed") {
    return error_event(response != nullptr ? *response : root, "response.failed");
  }
  if (type == "response.completed" || type == "response.incomplete") {
    if (response == nullptr || !response->is_object()) {
      return malformed(std::string(type) + " without a response object");
    }
    return take_final(*response);
  }
  const auto* delta = string_member(root, "delta");
  if (type == "response.output_text.delta" && delta != nullptr) {
    add_text(*delta);
  } else if (type == "response.refusal.delta" && delta != nullptr) {
    add_refusal(*delta);
  } else if ((type == "response.reasoning_summary_text.delta" ||
              type == "response.reasoning_text.delta") &&
             delta != nullptr) {
    add_reasoning(*delta);
  } else if (type == "response.created" && response != nullptr) {
    if (const auto* model = string_member(*response, "model"); model != nullptr) {
      set_model(*model);
    }
  }
  return true;  // other events (parts added and done, annotations) carry nothing new
}

bool responses_stream_decoder::take_final(const json& response) {
  reply whole;
  if (auto wrong = read_response(response, whole); !wrong.empty()) {
    return malformed(wrong);
  }
  set_model(whole.model);
  set_finish_reason(whole.finish_reason);
  // A gateway that sends only the final event: its output is the answer.
  if (partial().text.empty() && partial().refusal.empty()) {
    add_text(whole.text);
    add_refusal(whole.refusal);
  }
  if (partial().reasoning.empty()) {
    add_reasoning(whole.reasoning);
  }
  usage u;
  parse_usage(response, u);
  set_usage(u);
  mark_done();
  return true;
}

std::unique_ptr<stream_decoder> make_stream_decoder() {
  return std::make_unique<responses_stream_decoder>();
}

}  // namespace visionwatch::openai_responses
