#include "probes/openai_chat_stream.hpp"

#include <exception>
#include <nlohmann/json.hpp>

#include "probes/adapter_support.hpp"
#include "probes/openai_chat.hpp"
#include "probes/text_util.hpp"

namespace visionwatch {

namespace openai_chat {
namespace {

using namespace adapter_support;

constexpr std::size_t max_finish_reason_bytes = 64;

/// Appends `piece` to a reply field, stopping a little past the cap (cap_reply_text cuts it
/// on a code point boundary at the end): a stream of any length keeps bounded memory.
void append_capped(std::string& to, std::string_view piece) {
  if (to.size() <= reply_text_limit) {
    to.append(piece.substr(0, reply_text_limit + 4 - std::min(to.size(), reply_text_limit)));
  }
}

}  // namespace

bool chat_stream_decoder::on_headers(unsigned status, const header_list& headers) {
  return streams_body(status, headers);
}

body_progress chat_stream_decoder::on_body(std::string_view bytes) {
  body_progress p;
  if (broken_ || !reply_.stream_error.empty()) {
    p.stop = true;
    return p;
  }
  events_.clear();
  const bool framed = sse_.feed(bytes, events_);
  bool go_on = true;
  for (const auto& e : events_) {
    if (!take(e)) {
      go_on = false;
      break;
    }
  }
  if (go_on && !framed) {
    broken_ = true;
    reply_.parse_error = sse_.error();
    go_on = false;
  }
  events_.clear();
  p.text_seen = text_seen_;
  p.stop = !go_on;
  return p;
}

bool chat_stream_decoder::take(const sse::event& e) {
  if (done_) {
    return true;  // nothing after [DONE] counts
  }
  const std::string_view data = trim(e.data);
  if (data == "[DONE]") {
    done_ = true;
    return true;
  }
  if (e.type == "error") {
    // Not OpenAI's own shape, but gateways (LiteLLM, vLLM) send `event: error` too.
    reply scratch;
    if (const auto root = parse_json(data, scratch)) {
      parse_error_body(*root, false, scratch);
    }
    const std::string message =
        !scratch.error_message.empty() ? scratch.error_message : std::string(data);
    reply_.stream_error = "error event after HTTP 200: " + one_line_excerpt(message, 300);
    return false;
  }
  try {
    return take_chunk(data);
  } catch (const std::exception& ex) {  // only allocation failure is expected here
    broken_ = true;
    reply_.parse_error = std::string("stream chunk failed: ") + ex.what();
    return false;
  }
}

bool chat_stream_decoder::take_chunk(std::string_view data) {
  ++chunks_;
  reply scratch;
  const auto root = parse_json(data, scratch);
  if (!root) {
    broken_ = true;
    reply_.parse_error = "stream chunk " + std::to_string(chunks_) + ": " + scratch.parse_error;
    return false;
  }
  if (!root->is_object()) {
    broken_ = true;
    reply_.parse_error = "stream chunk " + std::to_string(chunks_) + ": " +
                         type_error("the chunk", *root, "an object");
    return false;
  }
  if (const json* err = member(*root, "error"); err != nullptr && !err->is_null()) {
    parse_error_body(*root, false, scratch);
    std::string why = "error event after HTTP 200";
    if (!scratch.error_message.empty()) {
      why += ": " + scratch.error_message;
    }
    if (!scratch.error_code.empty() && !all_digits(scratch.error_code) &&
        why.find(scratch.error_code) == std::string::npos) {
      why += " (" + scratch.error_code + ")";
    }
    reply_.stream_error = one_line_excerpt(why, reply_error_limit);
    return false;
  }
  if (const auto* model = string_member(*root, "model"); model != nullptr && !model->empty()) {
    reply_.model = one_line_excerpt(*model, 256);
  }
  if (const json* us = member(*root, "usage"); us != nullptr && us->is_object()) {
    // The last usage wins: cumulative counts repeated per chunk are never added up.
    reply_.tokens = usage{};
    parse_usage(*root, reply_.tokens);
  }
  const json* choices = member(*root, "choices");
  if (choices == nullptr || choices->is_null()) {
    return true;  // a usage-only chunk, or a gateway's keep-alive object
  }
  if (!choices->is_array()) {
    broken_ = true;
    reply_.parse_error =
        "stream chunk " + std::to_string(chunks_) + ": " + type_error("choices", *choices, "array");
    return false;
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
      reply_.finish_reason = one_line_excerpt(*fr, max_finish_reason_bytes);
    }
    const json* delta = member(choice, "delta");
    if (delta == nullptr || !delta->is_object()) {
      continue;
    }
    if (const auto* content = string_member(*delta, "content"); content != nullptr) {
      if (!content->empty()) {
        text_seen_ = true;
      }
      append_capped(reply_.text, *content);
    }
    if (const auto* refusal = string_member(*delta, "refusal"); refusal != nullptr) {
      append_capped(reply_.refusal, *refusal);
    }
    for (const char* key : {"reasoning_content", "reasoning"}) {
      if (const auto* r = string_member(*delta, key); r != nullptr) {
        append_capped(reply_.reasoning, *r);
      }
    }
  }
  return true;
}

reply chat_stream_decoder::finish(const http_result& result,
                                  std::chrono::system_clock::time_point now) {
  if (!result.ok() || !result.streamed) {
    return openai_chat::parse_reply(result, now);
  }
  try {
    if (!broken_ && reply_.stream_error.empty()) {
      events_.clear();
      const bool framed = sse_.finish(events_);
      for (const auto& e : events_) {
        if (!take(e)) {
          break;
        }
      }
      if (!framed && !broken_) {
        broken_ = true;
        reply_.parse_error = sse_.error();
      }
    }
  } catch (const std::exception& ex) {
    broken_ = true;
    reply_.parse_error = std::string("stream failed: ") + ex.what();
  }
  reply r = std::move(reply_);
  reply_ = reply{};
  r.well_formed = !broken_;
  if (broken_) {
    r.parse_error = "stream: " + r.parse_error;
  } else if (r.stream_error.empty() && !done_) {
    r.stream_error = "the stream ended before its final event (data: [DONE])";
    if (!result.stream_interrupted.empty()) {
      r.stream_error += ": " + result.stream_interrupted;
    }
    r.tokens = usage{};  // the usage chunk comes last: whatever arrived is not the whole
  }
  cap_reply_text(r);
  r.stream_error = one_line_excerpt(r.stream_error, reply_error_limit);
  return r;
}

std::unique_ptr<stream_decoder> make_stream_decoder() {
  return std::make_unique<chat_stream_decoder>();
}

}  // namespace openai_chat
}  // namespace visionwatch
