#pragma once
/// Streamed replies of the simulated gateway: turns a whole OpenAI chat completion (what
/// sim_model answers) into the SSE stream the API sends for `"stream": true` — a role chunk,
/// the content in small deltas, the finish chunk, the usage chunk (`stream_options.
/// include_usage`) and `data: [DONE]` — written over time, so a client measures a real time to
/// first token. Also the stream failures seen in the wild: an error event after HTTP 200 and a
/// stream cut off before its final event. Pure (builds a response_plan); the sim gateway writes it.

#include <chrono>
#include <cstdint>

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

/// True when the request body asks for a stream (`"stream": true`).
bool wants_stream(const received_request& request);

/// The streamed form of `whole`, a 200 chat completion with a JSON body. Anything else (an error
/// status, a body that is no chat completion with string content) is returned unchanged: an
/// API answers errors before a stream starts as one JSON body.
response_plan stream_chat_reply(const response_plan& whole, const sim_stream_options& options);

}  // namespace visionwatch
