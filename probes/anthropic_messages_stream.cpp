#include "probes/anthropic_messages_stream.hpp"

#include "probes/adapter_support.hpp"
#include "probes/anthropic_messages.hpp"
#include "probes/text_util.hpp"

namespace visionwatch::anthropic_messages {

using namespace adapter_support;

namespace {

constexpr std::size_t max_stop_reason_bytes = 64;

}  // namespace

messages_stream_decoder::messages_stream_decoder()
    : sse_reply_stream(&anthropic_messages::parse_reply, "message_stop") {}

bool messages_stream_decoder::take_event(std::string_view type, const json& root) {
  if (type == "message_start") {
    if (const json* message = member(root, "message"); message != nullptr) {
      if (const auto* model = string_member(*message, "model"); model != nullptr) {
        set_model(*model);
      }
      if (const json* u = member(*message, "usage"); u != nullptr) {
        take_usage(*u);
      }
    }
  } else if (type == "content_block_start" || type == "content_block_delta") {
    // A block may start with text already in it; deltas carry the rest.
    const json* block = member(root, type == "content_block_start" ? "content_block" : "delta");
    const auto* block_type = block != nullptr ? string_member(*block, "type") : nullptr;
    if (block_type == nullptr) {
      return true;
    }
    if (*block_type == "text" || *block_type == "text_delta") {
      if (const auto* text = string_member(*block, "text"); text != nullptr) {
        add_text(*text);
      }
    } else if (*block_type == "thinking" || *block_type == "thinking_delta") {
      if (const auto* thinking = string_member(*block, "thinking"); thinking != nullptr) {
        add_reasoning(*thinking);
      }
    }
  } else if (type == "message_delta") {
    if (const json* delta = member(root, "delta"); delta != nullptr) {
      if (const auto* stop = string_member(*delta, "stop_reason"); stop != nullptr) {
        stop_reason_ = one_line_excerpt(*stop, max_stop_reason_bytes);
      }
    }
    if (const json* u = member(root, "usage"); u != nullptr) {
      take_usage(*u);
    }
  } else if (type == "message_stop") {
    mark_done();
  }
  return true;  // ping, content_block_stop and unknown events carry nothing
}

void messages_stream_decoder::take_usage(const json& usage_object) {
  if (!usage_object.is_object()) {
    return;
  }
  // Only the fields parse_usage reads: a hostile stream cannot grow this with other keys.
  for (const char* key : {"input_tokens",
                          "cache_creation_input_tokens",
                          "cache_read_input_tokens",
                          "output_tokens"}) {
    if (const json* value = member(usage_object, key); value != nullptr && !value->is_null()) {
      usage_[key] = *value;  // cumulative: the last value replaces the earlier one
    }
  }
}

void messages_stream_decoder::complete(reply& r) {
  usage u;
  parse_usage(json{{"usage", usage_}}, u);
  r.tokens = u;
  if (!stop_reason_.empty()) {
    read_stop_reason(stop_reason_, r);
  }
}

std::unique_ptr<stream_decoder> make_stream_decoder() {
  return std::make_unique<messages_stream_decoder>();
}

}  // namespace visionwatch::anthropic_messages
