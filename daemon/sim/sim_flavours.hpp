#pragma once
/// The simulated gateway's native API flavours: a request in OpenAI Responses, Anthropic
/// Messages or Azure OpenAI shape is translated into chat completions, answered by a sim_model,
/// and the answer (or error) translated back into the flavour's reply shape, with the flavour's
/// authentication header and its error bodies. The flavour is told by the request's path, as a
/// real server would: .../responses, .../messages, .../deployments/{name}/chat/completions; any
/// other path is chat completions and passes through unchanged. Wire shapes follow
/// ../shared/fixtures/api-flavours. Runs on the sim gateway's thread, like sim_model.

#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/sim/sim_gateway.hpp"
#include "daemon/sim/sim_model.hpp"

namespace visionwatch::sim_flavours {

enum class wire : std::uint8_t { openai_chat, openai_responses, anthropic_messages, azure_openai };

/// The flavour a request speaks, from its path (the query string is ignored).
wire wire_of(const received_request& request);

/// The model the request names: the body's "model", or the deployment in an Azure path
/// (percent-decoded). Empty when there is none.
std::string model_of(const received_request& request);

/// An error reply in the request's flavour (`type` is OpenAI's error type; Anthropic and Azure
/// get their own spelling of it).
response_plan error_reply(const received_request& request,
                          unsigned status,
                          std::string_view message,
                          std::string_view type);

/// Answers `request` as `behaviour` would, in the request's own flavour. Anthropic requests
/// without the anthropic-version header or max_tokens, and Azure requests without api-version,
/// are refused as the real APIs refuse them.
response_plan respond(sim_model& model, const received_request& request, sim_behaviour behaviour);

/// `s` with each valid %XX escape decoded and anything else, a bad escape included, kept as it
/// is: how a lenient server reads a path segment (also for the native APIs' paths).
std::string percent_decoded(std::string_view s);

}  // namespace visionwatch::sim_flavours
