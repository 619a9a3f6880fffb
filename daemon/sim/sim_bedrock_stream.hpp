#pragma once
/// Streamed replies of the simulated Bedrock Converse API (POST .../converse-stream): turns a
/// whole Converse reply (what sim_native answers for /converse) into the AWS binary event stream
/// ConverseStream sends (probes/aws_event_stream.hpp frames, the sequence of
/// ../shared/fixtures/api-flavours/bedrock-converse.json): messageStart with the head, the text
/// word by word in contentBlockDelta events, contentBlockStop, messageStop with the stopReason,
/// metadata with the usage and metrics. Written over time, so a client measures a real time to
/// first token. Also the stream failures: an exception frame after HTTP 200 (the fixture's
/// throttlingException) and a stream cut off before its final event. Pure (builds a
/// response_plan); the sim gateway writes it.

#include "daemon/sim/sim_gateway.hpp"
#include "daemon/sim/sim_stream.hpp"

namespace visionwatch {

/// The message of the in-stream throttlingException the sim sends (the fixture's real text).
inline constexpr std::string_view sim_bedrock_throttling_message =
    "Too many requests, please wait before trying again. You have sent too many requests.  Wait "
    "before trying again.";

/// The event-stream form of `whole`, a 200 Converse reply with a JSON body; the options' first
/// token delay, delta interval and ending as for chat streams (sim_stream.hpp). Anything else (an
/// error status, a body that is no Converse reply) is returned unchanged: Bedrock answers errors
/// before a stream starts as one JSON body.
response_plan stream_bedrock_reply(const response_plan& whole, const sim_stream_options& options);

}  // namespace visionwatch
