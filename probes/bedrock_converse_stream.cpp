#include "probes/bedrock_converse_stream.hpp"

#include <exception>
#include <nlohmann/json.hpp>

#include "probes/adapter_support.hpp"
#include "probes/bedrock_converse.hpp"
#include "probes/text_util.hpp"

namespace visionwatch::bedrock_converse {
namespace {

using namespace adapter_support;

/// Appends a delta to a reply field, stopping a little past the cap (cap_reply_text cuts it on
/// a code point boundary at the end): a stream of any length keeps bounded memory.
void append_delta(std::string& to, std::string_view piece) {
  if (to.size() <= reply_text_limit) {
    to.append(piece.substr(0, reply_text_limit + 4 - to.size()));
  }
}

/// "error event after HTTP 200: <message> (<code>)".
std::string error_event(std::string_view message, std::string_view code) {
  std::string why = "error event after HTTP 200";
  if (!message.empty()) {
    why += ": " + one_line_excerpt(message, reply_error_limit);
  }
  if (!code.empty()) {
    why += " (" + one_line_excerpt(code, max_code_bytes) + ")";
  }
  return one_line_excerpt(why, reply_error_limit);
}

/// The message of an exception frame's payload {"message": ...} (modelStreamErrorException
/// may carry only originalMessage); the payload itself when it is no such JSON.
std::string exception_text(std::string_view payload) {
  const auto j = nlohmann::json::parse(payload, nullptr, false);
  for (const char* key : {"message", "Message", "originalMessage"}) {
    if (const auto* m = string_member(j, key); m != nullptr && !m->empty()) {
      return *m;
    }
  }
  return j.is_discarded() ? std::string(payload) : std::string();
}

}  // namespace

bool converse_stream_decoder::on_headers(unsigned status, const header_list& headers) {
  return streams_body(status, headers);
}

body_progress converse_stream_decoder::on_body(std::string_view bytes) {
  body_progress p;
  if (broken_ || !reply_.stream_error.empty()) {
    p.stop = true;
    return p;
  }
  messages_.clear();
  const bool framed = frames_.feed(bytes, messages_);
  bool go_on = true;
  for (const auto& m : messages_) {
    if (!take(m)) {
      go_on = false;
      break;
    }
  }
  if (go_on && !framed) {
    go_on = broken(frames_.error());
  }
  messages_.clear();
  p.text_seen = text_seen_;
  p.stop = !go_on;
  return p;
}

bool converse_stream_decoder::broken(std::string why) {
  broken_ = true;
  reply_.parse_error = std::move(why);
  return false;
}

bool converse_stream_decoder::take(const aws_event_stream::message& m) {
  const std::string_view kind = m.string_header(":message-type");
  if (kind == "exception") {
    reply_.stream_error =
        error_event(exception_text(m.payload), m.string_header(":exception-type"));
    return false;
  }
  if (kind == "error") {
    reply_.stream_error =
        error_event(m.string_header(":error-message"), m.string_header(":error-code"));
    return false;
  }
  // "event", or no :message-type at all (an event, as the SDKs read it).
  try {
    return take_event(m.string_header(":event-type"), m.payload);
  } catch (const std::exception& ex) {  // only allocation failure is expected here
    return broken(std::string("stream event failed: ") + ex.what());
  }
}

bool converse_stream_decoder::take_event(std::string_view type, std::string_view payload) {
  ++events_;
  reply scratch;
  const auto root = parse_json(payload, scratch);
  const std::string where =
      "stream event " + std::to_string(events_) + " (" + one_line_excerpt(type, 64) + "): ";
  if (!root) {
    return broken(where + scratch.parse_error);
  }
  if (!root->is_object()) {
    return broken(where + type_error("the payload", *root, "an object"));
  }
  if (type == "contentBlockDelta") {
    const json* delta = member(*root, "delta");
    if (const auto* text = delta != nullptr ? string_member(*delta, "text") : nullptr) {
      text_seen_ = text_seen_ || !text->empty();
      append_delta(reply_.text, *text);
    } else if (const json* rc = delta != nullptr ? member(*delta, "reasoningContent") : nullptr) {
      if (const auto* t = string_member(*rc, "text"); t != nullptr) {
        append_delta(reply_.reasoning, *t);
      }
    }
  } else if (type == "messageStop") {
    message_stopped_ = true;
    if (const auto* sr = string_member(*root, "stopReason"); sr != nullptr) {
      reply_.finish_reason = neutral_stop_reason(*sr);
      note_withheld_answer(reply_, *sr);
    }
  } else if (type == "metadata") {
    metadata_ = true;
    reply_.tokens = usage{};  // the one usage of the stream: never added to
    parse_usage(*root, reply_.tokens);
  }
  return true;
}

reply converse_stream_decoder::finish(const http_result& result,
                                      std::chrono::system_clock::time_point now) {
  if (!result.ok() || !result.streamed) {
    return parse_reply(result, now);
  }
  // Bytes that stop inside a frame are a stream cut short, not broken framing: every frame
  // that arrived whole was sound.
  const bool ended_between_frames = broken_ || frames_.finish();
  reply r = std::move(reply_);
  reply_ = reply{};
  r.well_formed = !broken_;
  if (broken_) {
    r.parse_error = "stream: " + r.parse_error;
  } else if (r.stream_error.empty() && !(message_stopped_ && metadata_)) {
    r.stream_error = std::string("the stream ended before its final event (") +
                     (message_stopped_ ? "metadata"
                      : metadata_      ? "messageStop"
                                       : "messageStop and metadata") +
                     ")";
    if (!ended_between_frames) {
      r.stream_error += ": " + frames_.error();
    }
    if (!result.stream_interrupted.empty()) {
      r.stream_error += ": " + result.stream_interrupted;
    }
    r.tokens = usage{};
  }
  cap_reply_text(r);
  r.stream_error = one_line_excerpt(r.stream_error, reply_error_limit);
  return r;
}

std::unique_ptr<stream_decoder> make_stream_decoder() {
  return std::make_unique<converse_stream_decoder>();
}

}  // namespace visionwatch::bedrock_converse
