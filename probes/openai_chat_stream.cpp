#include "probes/openai_chat_stream.hpp"

#include "probes/adapter_support.hpp"
#include "probes/openai_chat.hpp"

namespace visionwatch::openai_chat {

using namespace adapter_support;

chat_stream_decoder::chat_stream_decoder(whole_parser whole)
    : sse_reply_stream(whole != nullptr ? whole : &openai_chat::parse_reply, "data: [DONE]") {}

void chat_stream_decoder::on_done_marker() { mark_done(); }

bool chat_stream_decoder::take_event(std::string_view /*type*/, const json& root) {
  if (const auto* model = string_member(root, "model"); model != nullptr) {
    set_model(*model);
  }
  if (const json* us = member(root, "usage"); us != nullptr && us->is_object()) {
    // The last usage wins: cumulative counts repeated per chunk are never added up.
    usage u;
    parse_usage(root, u);
    set_usage(u);
  }
  const json* choices = member(root, "choices");
  if (choices == nullptr || choices->is_null()) {
    return true;  // a usage-only chunk, or a gateway's keep-alive object
  }
  if (!choices->is_array()) {
    return malformed(type_error("choices", *choices, "array"));
  }
  for (const auto& choice : *choices) {
    if (!choice.is_object()) {
      continue;
    }
    // n is 1 for a probe: the first choice (index 0 or absent) is the answer.
    if (const json* index = member(choice, "index");
        index != nullptr && index->is_number_integer() && index->get<long long>() != 0) {
      continue;
    }
    if (const auto* fr = string_member(choice, "finish_reason"); fr != nullptr) {
      set_finish_reason(*fr);
    }
    const json* delta = member(choice, "delta");
    if (delta == nullptr || !delta->is_object()) {
      continue;
    }
    if (const auto* content = string_member(*delta, "content"); content != nullptr) {
      add_text(*content);
    }
    if (const auto* refusal = string_member(*delta, "refusal"); refusal != nullptr) {
      add_refusal(*refusal);
    }
    for (const char* key : {"reasoning_content", "reasoning"}) {
      if (const auto* r = string_member(*delta, key); r != nullptr) {
        add_reasoning(*r);
      }
    }
  }
  return true;
}

std::unique_ptr<stream_decoder> make_stream_decoder() {
  return std::make_unique<chat_stream_decoder>();
}

}  // namespace visionwatch::openai_chat
