#pragma once
/// The request shapes `system`, `tools` and `history` (probes/probe_shape.hpp) in each API
/// flavour's own wire format. A flavour's build_request writes its image parts (through
/// flavour_support::image_conversation); `image_turn` adds the text part beside them,
/// `conversation` puts that turn into the flavour's message list and `add_system_and_tool` adds
/// the top-level members, so the shapes' JSON lives here and each flavour file changes by a
/// call or two. Internal to probes/. Pure.
///
/// The forms, from each provider's API reference (cited beside each one in request_shapes.cpp):
///
/// | flavour | system | tool | history |
/// | --- | --- | --- | --- |
/// | openai-chat, azure-openai | first message `{"role":"system"}` | `tools: [{type: function,
/// function: {name, description, parameters}}]` | user, assistant, user messages | |
/// openai-responses | top-level `instructions` | `tools: [{type: function, name, description,
/// parameters, strict: false}]` | user, assistant, user input items | | anthropic-messages |
/// top-level `system` | `tools: [{name, description, input_schema}]` | user, assistant, user
/// messages | | gemini | `systemInstruction: {parts: [{text}]}` | `tools: [{functionDeclarations:
/// [{name, description}]}]` | contents with roles user, model, user | | bedrock-converse | `system:
/// [{text}]` | `toolConfig: {tools: [{toolSpec: {name, description, inputSchema: {json}}}]}` |
/// user, assistant, user messages |
///
/// The images always stay in the first user turn of a history. The text-only control request
/// (no images) takes the same shape as the image probe it measures: a system message, a tool
/// definition and an earlier exchange all bill prompt tokens, so only the same form with and
/// without the images leaves the images as the difference the usage baseline looks for.

#include <nlohmann/json.hpp>
#include <string_view>

#include "probes/adapter.hpp"

namespace visionwatch::request_shapes {

using json = nlohmann::json;

/// The text sent beside the images: the earlier turn's question for shape `history`, else the
/// prompt.
std::string_view image_turn_text(const probe_request& request) noexcept;

/// One text part in the flavour's form: {"type": "text", "text"} (chat, Anthropic),
/// {"type": "input_text", "text"} (Responses), {"text"} (Gemini, Bedrock).
json text_part(api_flavour flavour, std::string_view text);

/// The content of the image turn: `images` (the flavour's image parts, in image order) with the
/// text part of image_turn_text before them (OpenAI's flavours) or after them (Anthropic's
/// advice; Gemini and Bedrock alike).
json image_turn(api_flavour flavour, const probe_request& request, json images);

/// The flavour's turns (`messages`, `input` or `contents`): the system message first where the
/// flavour puts it among the messages (openai-chat, azure-openai), then the user turn holding
/// `image_turn` (its content: the images and image_turn_text), and for shape `history` the
/// assistant's reply and the prompt as the last user turn.
json conversation(api_flavour flavour, const probe_request& request, json image_turn);

/// Adds the flavour's top-level members of the shapes to `body`: the system prompt (except
/// where it is a message, see `conversation`) and the declared tool. A plain request gets none.
void add_system_and_tool(api_flavour flavour, const probe_request& request, json& body);

}  // namespace visionwatch::request_shapes
