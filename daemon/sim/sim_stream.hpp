#pragma once
/// Streamed replies of the simulated gateway: turns a whole OpenAI chat completion (what
/// sim_model answers) into the SSE stream the API sends for `"stream": true` — a role chunk,
/// the content in small deltas, the finish chunk, the usage chunk (`stream_options.
/// include_usage`) and `data: [DONE]` — written over time, so a client measures a real time to
/// first token. Also the stream failures seen in the wild: an error event after HTTP 200 and a
/// stream cut off before its final event. Pure (builds a response_plan); the sim gateway writes it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/sim/sim_gateway.hpp"

namespace visionwatch {

enum class sim_stream_ending : std::uint8_t {
  complete,     ///< finish chunk, usage chunk, [DONE]
  error_event,  ///< after the first delta: `data: {"error": {...}}`, then the body ends
  cut_off,      ///< after the first delta the connection closes mid-body (no final chunk)
};

struct sim_stream_options {
  /// From the request to the first content delta (the role chunk goes out at once).
  std::chrono::milliseconds first_token_delay{0};
  /// Between later deltas.
  std::chrono::milliseconds delta_interval{10};
  sim_stream_ending ending = sim_stream_ending::complete;
};

/// The events of one streamed reply, each a whole SSE event ("event: ...\ndata: ...\n\n"),
/// written over time by play_stream(): `opening` with the head (before the model "thinks"),
/// the first of `deltas` after first_token_delay and the others delta_interval apart, then the
/// ending: `closing` (complete), `error` (error_event) or nothing (cut_off: only the first delta
/// goes out before an error or a cut). Every SSE flavour's stream is one (sim_native_stream.hpp).
struct sse_script {
  std::vector<std::string> opening;
  std::vector<std::string> deltas;
  std::vector<std::string> closing;
  std::string error;
};

/// `script` as the body of `whole`'s response (its status and headers, Content-Type
/// text/event-stream), timed by `options`.
response_plan play_stream(const response_plan& whole,
                          const sse_script& script,
                          const sim_stream_options& options);

/// `text` in the pieces a model streams: a few bytes each, never inside a UTF-8 sequence.
std::vector<std::string> split_deltas(const std::string& text);

/// The script of `whole` when it is a 200 chat completion with string content: a role chunk,
/// the content deltas, the finish chunk, the usage chunk, [DONE]; an error chunk. Else nullopt.
std::optional<sse_script> chat_script(const response_plan& whole);

/// True when the request body asks for a stream (`"stream": true`).
bool wants_stream(const received_request& request);

/// The streamed form of `whole`, a 200 chat completion with a JSON body. Anything else (an error
/// status, a body that is no chat completion with string content) is returned unchanged: an
/// API answers errors before a stream starts as one JSON body.
response_plan stream_chat_reply(const response_plan& whole, const sim_stream_options& options);

}  // namespace visionwatch
