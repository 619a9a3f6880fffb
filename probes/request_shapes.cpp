#include "probes/request_shapes.hpp"

#include <string>

namespace visionwatch::request_shapes {
namespace {

/// A function without arguments as JSON Schema. OpenAI, Anthropic and Bedrock take it as is;
/// Gemini refuses an OBJECT without properties (below).
json no_arguments() { return {{"type", "object"}, {"properties", json::object()}}; }

/// openai-chat, azure-openai: `tools[].function {name, description, parameters}` (OpenAI API
/// reference, Create chat completion: `tools`; ../shared/fixtures/openai-openapi-subset.json
/// lists `tools` among the request's properties).
json chat_tools() {
  return json::array({{{"type", "function"},
                       {"function",
                        {{"name", shape_tool_name},
                         {"description", shape_tool_description},
                         {"parameters", no_arguments()}}}}});
}

/// openai-responses: the function's members sit beside `type` (API reference, Create a model
/// response: `tools`, FunctionTool). `strict: false`: Responses treats an omitted `strict` as a
/// request to normalise the schema into strict mode ("To opt out of strict mode in Responses
/// ... explicitly set strict: false", OpenAI function calling guide, strict mode), while chat's
/// default is non-strict; the probe's tool is the same harmless tool in both.
json responses_tools() {
  return json::array({{{"type", "function"},
                       {"name", shape_tool_name},
                       {"description", shape_tool_description},
                       {"parameters", no_arguments()},
                       {"strict", false}}});
}

/// anthropic-messages: `tools[] {name, description, input_schema}` (API reference, Messages:
/// `tools`; input_schema is required).
json anthropic_tools() {
  return json::array({{{"name", shape_tool_name},
                       {"description", shape_tool_description},
                       {"input_schema", no_arguments()}}});
}

/// gemini: `tools[].functionDeclarations[] {name, description}` (API reference,
/// generateContent: Tool, FunctionDeclaration; `parameters` is optional). No `parameters`: an
/// OBJECT schema without properties is refused with HTTP 400 "parameters.properties: should be
/// non-empty for OBJECT type" (agno-agi/agno#2112, pipecat-ai/pipecat-flows#110).
json gemini_tools() {
  return json::array(
      {{{"functionDeclarations",
         json::array({{{"name", shape_tool_name}, {"description", shape_tool_description}}})}}});
}

/// bedrock-converse: `toolConfig.tools[].toolSpec {name, description, inputSchema: {json}}`
/// (Amazon Bedrock User Guide, "Call a tool with the Converse API"; API reference, Tool,
/// ToolSpecification).
json bedrock_tool_config() {
  return {{"tools",
           json::array({{{"toolSpec",
                          {{"name", shape_tool_name},
                           {"description", shape_tool_description},
                           {"inputSchema", {{"json", no_arguments()}}}}}}})}};
}

/// OpenAI's flavours: the prompt stands before the images, and an assistant's reply is sent back
/// as string content.
bool openai_form(api_flavour flavour) noexcept {
  return flavour == api_flavour::openai_chat || flavour == api_flavour::azure_openai ||
         flavour == api_flavour::openai_responses;
}

/// A text-only turn's content in the flavour's form; the assistant's reply as the flavour's own
/// SDKs send a previous answer back: chat's assistant content is a string; so is a responses
/// input item's, the documented way to replay an answer without storing responses (OpenAI
/// guide, Conversation state).
json text_content(api_flavour flavour, std::string_view text, bool assistant) {
  if (assistant && openai_form(flavour)) {
    return text;
  }
  return json::array({text_part(flavour, text)});
}

/// One turn: Gemini's {role: user | model, parts}, everyone else's {role: user | assistant,
/// content}.
json turn(api_flavour flavour, bool assistant, json content) {
  if (flavour == api_flavour::gemini) {
    return {{"role", assistant ? "model" : "user"}, {"parts", std::move(content)}};
  }
  return {{"role", assistant ? "assistant" : "user"}, {"content", std::move(content)}};
}

/// The system prompt as it is: a string member.
json system_text(const std::string& text) { return text; }

/// gemini: `systemInstruction` is a Content of text parts (API reference, generateContent).
json gemini_system(const std::string& text) { return {{"parts", json::array({{{"text", text}}})}}; }

/// bedrock-converse: `system` is a list of SystemContentBlock {text} (API reference, Converse).
json bedrock_system(const std::string& text) { return json::array({{{"text", text}}}); }

/// A flavour's top-level members of the shapes `system` and `tools`.
struct members {
  const char* system_key;  ///< nullptr: the system prompt is a message (conversation)
  json (*system)(const std::string&);
  const char* tool_key;
  json (*tools)();
};

members members_of(api_flavour flavour) {
  switch (flavour) {
    case api_flavour::openai_chat:
    case api_flavour::azure_openai:
      return {nullptr, system_text, "tools", chat_tools};
    case api_flavour::openai_responses:
      // API reference, Create a model response: `instructions`, "a system (or developer)
      // message inserted into the model's context" (the fixture's reply echoes the member).
      return {"instructions", system_text, "tools", responses_tools};
    case api_flavour::anthropic_messages:
      // API reference, Messages: a top-level `system`; the messages hold user and assistant
      // turns only (a "system" role there is refused).
      return {"system", system_text, "tools", anthropic_tools};
    case api_flavour::gemini:
      return {"systemInstruction", gemini_system, "tools", gemini_tools};
    case api_flavour::bedrock_converse:
      return {"system", bedrock_system, "toolConfig", bedrock_tool_config};
  }
  return {nullptr, system_text, "tools", chat_tools};
}

}  // namespace

std::string_view image_turn_text(const probe_request& request) noexcept {
  return request.earlier ? std::string_view(request.earlier->question)
                         : std::string_view(request.prompt);
}

json text_part(api_flavour flavour, std::string_view text) {
  switch (flavour) {
    case api_flavour::openai_chat:
    case api_flavour::azure_openai:
    case api_flavour::anthropic_messages:
      return {{"type", "text"}, {"text", text}};
    case api_flavour::openai_responses:
      return {{"type", "input_text"}, {"text", text}};
    case api_flavour::gemini:
    case api_flavour::bedrock_converse:
      return {{"text", text}};
  }
  return {{"text", text}};
}

json image_turn(api_flavour flavour, const probe_request& request, json images) {
  images.insert(openai_form(flavour) ? images.cbegin() : images.cend(),
                text_part(flavour, image_turn_text(request)));
  return images;
}

json conversation(api_flavour flavour, const probe_request& request, json image_turn) {
  json turns = json::array();
  const bool chat = flavour == api_flavour::openai_chat || flavour == api_flavour::azure_openai;
  if (chat && !request.system_prompt.empty()) {
    // OpenAI API reference, ChatCompletionRequestSystemMessage {role: system, content}
    // (openai-openapi-subset.json). `developer` is the newer name for o1 and later models;
    // OpenAI maps `system` to it, and every compatible gateway knows `system`.
    turns.push_back({{"role", "system"}, {"content", request.system_prompt}});
  }
  turns.push_back(turn(flavour, false, std::move(image_turn)));
  if (request.earlier) {
    turns.push_back(turn(flavour, true, text_content(flavour, request.earlier->reply, true)));
    turns.push_back(turn(flavour, false, text_content(flavour, request.prompt, false)));
  }
  return turns;
}

void add_system_and_tool(api_flavour flavour, const probe_request& request, json& body) {
  const members m = members_of(flavour);
  if (!request.system_prompt.empty() && m.system_key != nullptr) {
    body[m.system_key] = m.system(request.system_prompt);
  }
  if (request.declare_tool) {
    body[m.tool_key] = m.tools();
  }
}

}  // namespace visionwatch::request_shapes
