#pragma once
/// The request shapes (probes/probe_shape.hpp) in the simulated gateway. The sim reads a system
/// message, declared tools and an earlier exchange in every flavour: the native flavours are
/// translated into one chat request that keeps them (refusing what the real APIs refuse), the
/// chat request's parser records them, the model bills their text as prompt tokens and answers
/// the LAST user turn's question about the images of any turn. Three behaviours each break one
/// shape, as gateways and agents seen in the wild do:
///
/// - drops_image_with_tools: a request that declares tools loses its images;
/// - drops_image_with_system: a request with a system message loses its images;
/// - drops_earlier_images: images in user turns before the last one are stripped (history
///   trimmed to save tokens).
///
/// The model then says it sees no image and bills the text only. Runs on the sim gateway's
/// thread, like sim_model.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "daemon/sim/sim_model.hpp"

namespace visionwatch::sim_shapes {

using json = nlohmann::json;

// ---- The chat request (sim_model's parse_chat_request)

/// A message other than a user turn: a system or developer message's text goes to
/// `out.system`; its text and an assistant's (or a tool result's) count as context.
void take_message(const json& message, chat_request& out);

/// A user turn begins: the previous user turn's text becomes context and its images earlier
/// ones, so `out.prompt` ends as the last user turn's text.
void start_user_turn(chat_request& out);

/// The body's `tools` (and legacy `functions`): the declared function names; the declarations
/// count as context.
void take_tools(const json& body, chat_request& out);

/// The prompt tokens the simulated model bills for the request's text: the last user turn
/// (sim_model::text_tokens) plus its context (system, tool declarations, earlier turns).
long long text_tokens(const chat_request& request);

/// Whether `image` reaches the model under `behaviour` (the shape-breaking behaviours above;
/// every other behaviour decides about images in sim_model).
bool image_arrives(sim_behaviour behaviour, const chat_request& request, const chat_image& image);

// ---- Native requests into chat (sim_flavours, sim_native)

/// OpenAI Responses: `instructions` becomes the first (system) message of `chat`, function
/// `tools` chat tools. The API's error message when it refuses them (a strict tool whose schema
/// strict mode cannot take), else nullopt.
std::optional<std::string> add_responses_shape(const json& body, json& chat);

/// Anthropic Messages: the top-level `system` (a string or text blocks) becomes the first
/// message of `chat`, `tools` chat tools. The API's error message for a "system" role among the
/// messages or a tool without input_schema, else nullopt.
std::optional<std::string> add_anthropic_shape(const json& body, json& chat);

/// The chat body for a Gemini generateContent request (every content: roles user and model,
/// systemInstruction, functionDeclarations), or nullopt with the API's error message.
std::optional<std::string> chat_from_gemini(const json& body,
                                            const std::string& model,
                                            std::string& error);

/// The chat body for a Bedrock Converse request (every message: user and assistant in turn,
/// system blocks, toolConfig), or nullopt with the API's ValidationException message.
std::optional<std::string> chat_from_bedrock(const json& body,
                                             const std::string& model,
                                             std::string& error);

}  // namespace visionwatch::sim_shapes
