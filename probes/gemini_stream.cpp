#include "probes/gemini_stream.hpp"

#include "probes/adapter_support.hpp"
#include "probes/gemini.hpp"

namespace visionwatch::gemini {

using namespace adapter_support;

namespace {

/// Whether candidates[0] names a finishReason: the chunk that ends the stream (read_candidates
/// has checked the shape).
bool has_finish_reason(const json& root) {
  const json* candidates = member(root, "candidates");
  return candidates != nullptr && candidates->is_array() && !candidates->empty() &&
         string_member(candidates->front(), "finishReason") != nullptr;
}

}  // namespace

gemini_stream_decoder::gemini_stream_decoder()
    : sse_reply_stream(&gemini::parse_reply, "a chunk with finishReason") {}

bool gemini_stream_decoder::take_event(std::string_view /*type*/, const json& root) {
  if (const json* um = member(root, "usageMetadata"); um != nullptr && um->is_object()) {
    usage u;
    parse_usage(root, u);
    set_usage(u);  // cumulative on every chunk: the last one is the whole
  }
  const json* candidates = member(root, "candidates");
  if ((candidates == nullptr || candidates->is_null()) &&
      member(root, "promptFeedback") == nullptr) {
    if (const auto* mv = string_member(root, "modelVersion"); mv != nullptr) {
      set_model(*mv);
    }
    return true;  // a usage-only chunk
  }
  reply chunk;
  if (auto wrong = read_candidates(root, chunk); !wrong.empty()) {
    return malformed(wrong);
  }
  set_model(chunk.model);
  add_reasoning(chunk.reasoning);
  add_text(chunk.text);
  // A withheld answer is a refusal only when no chunk carried text.
  if (!chunk.refusal.empty() && partial().refusal.empty() &&
      partial().text.find_first_not_of(" \t\r\n") == std::string::npos) {
    add_refusal(chunk.refusal);
  }
  // A function call comes in a chunk of its own; the last chunk then says only STOP.
  tool_called_ = tool_called_ || chunk.finish_reason == tool_calls_finish_reason;
  // The chunk with a finishReason ends the stream, as does a blocked prompt (no candidates).
  if (has_finish_reason(root) ||
      (!chunk.finish_reason.empty() && chunk.finish_reason != tool_calls_finish_reason)) {
    if (tool_called_) {
      note_tool_call(chunk);
    }
    set_finish_reason(chunk.finish_reason);
    mark_done();
  }
  return true;
}

std::unique_ptr<stream_decoder> make_stream_decoder() {
  return std::make_unique<gemini_stream_decoder>();
}

}  // namespace visionwatch::gemini
