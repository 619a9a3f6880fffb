#include "probes/sse_reply_stream.hpp"

#include <algorithm>
#include <exception>

#include "probes/adapter_support.hpp"
#include "probes/text_util.hpp"

namespace visionwatch {
namespace {

using namespace adapter_support;

/// Appends `piece` to a reply field, stopping a little past the cap (cap_reply_text cuts it
/// on a code point boundary at the end): a stream of any length keeps bounded memory.
void append_capped(std::string& to, std::string_view piece) {
  if (to.size() <= reply_text_limit) {
    to.append(piece.substr(0, reply_text_limit + 4 - std::min(to.size(), reply_text_limit)));
  }
}

}  // namespace

bool sse_reply_stream::on_headers(unsigned status, const header_list& headers) {
  return streams_body(status, headers);
}

body_progress sse_reply_stream::on_body(std::string_view bytes) {
  body_progress p;
  if (stopped()) {
    p.stop = true;
    return p;
  }
  events_.clear();
  const bool framed = sse_.feed(bytes, events_);
  bool go_on = take_events();
  if (go_on && !framed) {
    broken_ = true;
    reply_.parse_error = sse_.error();
    go_on = false;
  }
  p.text_seen = text_seen_;
  p.stop = !go_on;
  return p;
}

bool sse_reply_stream::take_events() {
  bool go_on = true;
  for (const auto& e : events_) {
    if (!take(e)) {
      go_on = false;
      break;
    }
  }
  events_.clear();
  return go_on;
}

bool sse_reply_stream::take(const sse::event& e) {
  try {
    return take_json(e);
  } catch (const std::exception& ex) {  // only allocation failure is expected here
    broken_ = true;
    reply_.parse_error = std::string("stream chunk failed: ") + ex.what();
    return false;
  }
}

bool sse_reply_stream::take_json(const sse::event& e) {
  if (done_) {
    return true;  // nothing after the final event counts
  }
  const std::string_view data = trim(e.data);
  if (data == "[DONE]") {
    on_done_marker();
    return true;
  }
  if (e.type == "error") {
    // Any body: gateways (LiteLLM, vLLM) send text as well as JSON.
    reply scratch;
    const auto root = parse_json(data, scratch);
    return error_event(root ? *root : json(), data);
  }
  const auto root = parse_object(data);
  if (!root) {
    return false;
  }
  // The event name and data.type agree; a gateway that drops `event:` lines keeps data.type.
  const auto* data_type = string_member(*root, "type");
  const std::string_view type = !e.type.empty()        ? std::string_view(e.type)
                                : data_type != nullptr ? std::string_view(*data_type)
                                                       : std::string_view{};
  if (const json* err = member(*root, "error");
      type == "error" || (err != nullptr && !err->is_null())) {
    return error_event(*root, data);
  }
  return take_event(type, *root);
}

std::optional<sse_reply_stream::json> sse_reply_stream::parse_object(std::string_view data) {
  ++chunks_;
  reply scratch;
  auto root = parse_json(data, scratch);
  if (!root) {
    malformed(scratch.parse_error);
    return std::nullopt;
  }
  if (!root->is_object()) {
    malformed(type_error("the chunk", *root, "an object"));
    return std::nullopt;
  }
  return root;
}

bool sse_reply_stream::malformed(std::string_view why) {
  broken_ = true;
  reply_.parse_error = "stream chunk " + std::to_string(chunks_) + ": " + std::string(why);
  return false;
}

void sse_reply_stream::add_text(std::string_view piece) {
  text_seen_ = text_seen_ || !piece.empty();
  append_capped(reply_.text, piece);
}

void sse_reply_stream::add_reasoning(std::string_view piece) {
  append_capped(reply_.reasoning, piece);
}

void sse_reply_stream::add_refusal(std::string_view piece) { append_capped(reply_.refusal, piece); }

void sse_reply_stream::set_model(std::string_view model) {
  if (!model.empty()) {
    reply_.model = one_line_excerpt(model, reply_model_limit);
  }
}

void sse_reply_stream::set_finish_reason(std::string_view reason) {
  reply_.finish_reason = one_line_excerpt(reason, finish_reason_limit);
}

bool sse_reply_stream::error_event(const json& body, std::string_view fallback) {
  reply scratch;
  parse_error_body(body, false, scratch);
  std::string why = "error event after HTTP 200: ";
  why += scratch.error_message.empty() ? one_line_excerpt(fallback, 300) : scratch.error_message;
  // A status-like code ("500", "429") says nothing the message does not.
  if (!scratch.error_code.empty() && !all_digits(scratch.error_code) &&
      why.find(scratch.error_code) == std::string::npos) {
    why += " (" + scratch.error_code + ")";
  }
  reply_.stream_error = one_line_excerpt(why, reply_error_limit);
  return false;
}

reply sse_reply_stream::finish(const http_result& result,
                               std::chrono::system_clock::time_point now) {
  if (!result.ok() || !result.streamed) {
    return whole_(result, now);
  }
  try {
    if (!stopped()) {
      events_.clear();
      const bool framed = sse_.finish(events_);
      take_events();
      if (!framed && !broken_) {
        broken_ = true;
        reply_.parse_error = sse_.error();
      }
    }
    if (!broken_) {
      complete(reply_);
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
    r.stream_error = "the stream ended before its final event (" + std::string(final_event_) + ")";
    if (!result.stream_interrupted.empty()) {
      r.stream_error += ": " + result.stream_interrupted;
    }
  }
  if (!r.stream_error.empty()) {
    r.tokens = usage{};  // an unfinished stream's counts are not the whole
  }
  cap_reply_text(r);
  r.stream_error = one_line_excerpt(r.stream_error, reply_error_limit);
  return r;
}

}  // namespace visionwatch
