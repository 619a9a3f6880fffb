#include "daemon/sim/sim_shapes.hpp"

#include <string_view>
#include <utility>

namespace visionwatch::sim_shapes {
namespace {

/// The member `key` of an object, or nullptr (also when `j` is no object).
const json* field(const json& j, std::string_view key) {
  if (!j.is_object()) {
    return nullptr;
  }
  const auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

/// The first of `keys` present (Google's JSON mapping takes camelCase and snake_case alike).
const json* field(const json& j, std::string_view key, std::string_view other_key) {
  const json* f = field(j, key);
  return f != nullptr ? f : field(j, other_key);
}

std::string text_of(const json* j) {
  return j != nullptr && j->is_string() ? j->get<std::string>() : std::string();
}

/// The text of a chat message's content: a string, or its parts' `text`s.
std::string content_text(const json& content) {
  if (content.is_string()) {
    return content.get<std::string>();
  }
  std::string out;
  if (content.is_array()) {
    for (const auto& part : content) {
      out += text_of(field(part, "text"));
    }
  }
  return out;
}

/// `message` put first among the chat body's messages.
void prepend_message(json& chat, json message) {
  json& messages = chat["messages"];
  if (!messages.is_array()) {
    messages = json::array();
  }
  messages.insert(messages.begin(), std::move(message));
}

json chat_tool(const json& name, const json& description, const json* parameters) {
  json function = {{"name", name}};
  if (!description.is_null()) {
    function["description"] = description;
  }
  if (parameters != nullptr) {
    function["parameters"] = *parameters;
  }
  return {{"type", "function"}, {"function", std::move(function)}};
}

std::string image_url_part_url(std::string_view mime, std::string_view data) {
  return "data:" + std::string(mime) + ";base64," + std::string(data);
}

json image_part(std::string url) {
  return {{"type", "image_url"}, {"image_url", {{"url", std::move(url)}}}};
}

/// A Gemini part in chat's form, or null for a part the model does not read.
json gemini_part(const json& part) {
  if (const json* t = field(part, "text"); t != nullptr && t->is_string()) {
    return {{"type", "text"}, {"text", *t}};
  }
  if (const json* d = field(part, "inline_data", "inlineData"); d != nullptr) {
    const std::string mime = text_of(field(*d, "mime_type", "mimeType"));
    return image_part(
        image_url_part_url(mime.empty() ? "image/png" : mime, text_of(field(*d, "data"))));
  }
  if (const json* d = field(part, "file_data", "fileData"); d != nullptr) {
    return image_part(text_of(field(*d, "file_uri", "fileUri")));
  }
  return nullptr;
}

/// Gemini's function declarations as chat tools; false (with `error`) for one Gemini refuses.
bool gemini_tools(const json& tools, json& out, std::string& error) {
  if (!tools.is_array()) {
    return true;
  }
  for (std::size_t t = 0; t < tools.size(); ++t) {
    const json* declarations = field(tools[t], "functionDeclarations", "function_declarations");
    if (declarations == nullptr || !declarations->is_array()) {
      continue;
    }
    for (std::size_t d = 0; d < declarations->size(); ++d) {
      const json& decl = (*declarations)[d];
      const json* parameters = field(decl, "parameters");
      if (parameters != nullptr) {
        const std::string type = text_of(field(*parameters, "type"));
        const json* properties = field(*parameters, "properties");
        if ((type == "object" || type == "OBJECT") &&
            (properties == nullptr || !properties->is_object() || properties->empty())) {
          // The real API's answer to an OBJECT schema without properties.
          error = "* GenerateContentRequest.tools[" + std::to_string(t) +
                  "].function_declarations[" + std::to_string(d) +
                  "].parameters.properties: should be non-empty for OBJECT type\n";
          return false;
        }
      }
      const json* name = field(decl, "name");
      const json* description = field(decl, "description");
      out.push_back(chat_tool(name != nullptr ? *name : json(""),
                              description != nullptr ? *description : json(),
                              parameters));
    }
  }
  return true;
}

}  // namespace

void take_message(const json& message, chat_request& out) {
  const std::string role = text_of(field(message, "role"));
  const json* content = field(message, "content");
  const std::string text = content != nullptr ? content_text(*content) : std::string();
  if (role == "system" || role == "developer") {
    out.system += text;
  }
  out.context_bytes += text.size();
}

void start_user_turn(chat_request& out) {
  if (out.user_turns > 0) {
    out.context_bytes += out.prompt.size();
    out.prompt.clear();
    for (auto& image : out.images) {
      image.earlier = true;
    }
  }
  ++out.user_turns;
}

void take_tools(const json& body, chat_request& out) {
  for (const char* key : {"tools", "functions"}) {
    const json* tools = field(body, key);
    if (tools == nullptr || !tools->is_array()) {
      continue;
    }
    for (const auto& tool : *tools) {
      const json* function = field(tool, "function");
      const std::string name = text_of(field(function != nullptr ? *function : tool, "name"));
      if (!name.empty()) {
        out.tools.push_back(name);
      }
    }
    // A declaration is billed like the prompt's text.
    out.context_bytes += tools->dump().size();
  }
}

long long text_tokens(const chat_request& request) {
  return sim_model::text_tokens(request.prompt) +
         static_cast<long long>(request.context_bytes + 3) / 4;
}

bool image_arrives(sim_behaviour behaviour, const chat_request& request, const chat_image& image) {
  switch (behaviour) {
    case sim_behaviour::drops_image_with_tools:
      return request.tools.empty();
    case sim_behaviour::drops_image_with_system:
      return request.system.empty();
    case sim_behaviour::drops_earlier_images:
      return !image.earlier;
    default:
      return true;
  }
}

std::optional<std::string> add_responses_shape(const json& body, json& chat) {
  if (const json* instructions = field(body, "instructions");
      instructions != nullptr && instructions->is_string()) {
    prepend_message(chat, {{"role", "system"}, {"content", *instructions}});
  }
  const json* tools = field(body, "tools");
  if (tools == nullptr || !tools->is_array()) {
    return std::nullopt;
  }
  json out = json::array();
  for (const auto& tool : *tools) {
    if (text_of(field(tool, "type")) != "function") {
      continue;  // built-in tools (web search, ...) declare no function
    }
    const json* name = field(tool, "name");
    const json* parameters = field(tool, "parameters");
    const json* strict = field(tool, "strict");
    const json* extra =
        parameters != nullptr ? field(*parameters, "additionalProperties") : nullptr;
    if (strict != nullptr && strict->is_boolean() && strict->get<bool>() &&
        (extra == nullptr || *extra != false)) {
      // Strict mode needs a closed schema; the real API refuses the request.
      return "Invalid schema for function '" + text_of(name) +
             "': In context=(), 'additionalProperties' is required to be supplied and to be "
             "false.";
    }
    const json* description = field(tool, "description");
    out.push_back(chat_tool(name != nullptr ? *name : json(""),
                            description != nullptr ? *description : json(),
                            parameters));
  }
  chat["tools"] = std::move(out);
  return std::nullopt;
}

std::optional<std::string> add_anthropic_shape(const json& body, json& chat) {
  if (const json* messages = field(body, "messages"); messages != nullptr && messages->is_array()) {
    for (const auto& m : *messages) {
      if (text_of(field(m, "role")) == "system") {
        return "messages: Unexpected role \"system\". The Messages API accepts a top-level "
               "`system` parameter, not \"system\" as an input message role.";
      }
    }
  }
  const json* tools = field(body, "tools");
  json out = json::array();
  if (tools != nullptr && tools->is_array()) {
    for (std::size_t i = 0; i < tools->size(); ++i) {
      const json& tool = (*tools)[i];
      const json* schema = field(tool, "input_schema");
      if (schema == nullptr) {
        return "tools." + std::to_string(i) + ".custom.input_schema: Field required";
      }
      const json* name = field(tool, "name");
      const json* description = field(tool, "description");
      out.push_back(chat_tool(name != nullptr ? *name : json(""),
                              description != nullptr ? *description : json(),
                              schema));
    }
    chat["tools"] = std::move(out);
  }
  if (const json* system = field(body, "system"); system != nullptr) {
    prepend_message(chat, {{"role", "system"}, {"content", content_text(*system)}});
  }
  return std::nullopt;
}

std::optional<std::string> chat_from_gemini(const json& body,
                                            const std::string& model,
                                            std::string& error) {
  const json* contents = field(body, "contents");
  if (contents == nullptr || !contents->is_array() || contents->empty()) {
    error = "* GenerateContentRequest.contents: contents is not specified";
    return std::nullopt;
  }
  json messages = json::array();
  if (const json* system = field(body, "systemInstruction", "system_instruction");
      system != nullptr) {
    std::string text;
    if (const json* parts = field(*system, "parts"); parts != nullptr && parts->is_array()) {
      for (const auto& part : *parts) {
        text += text_of(field(part, "text"));
      }
    }
    messages.push_back({{"role", "system"}, {"content", text}});
  }
  for (const auto& content : *contents) {
    const std::string role = text_of(field(content, "role"));
    if (!role.empty() && role != "user" && role != "model") {
      error = "Please use a valid role: user, model.";
      return std::nullopt;
    }
    json parts = json::array();
    if (const json* in = field(content, "parts"); in != nullptr && in->is_array()) {
      for (const auto& part : *in) {
        if (json p = gemini_part(part); !p.is_null()) {
          parts.push_back(std::move(p));
        }
      }
    }
    messages.push_back(
        {{"role", role == "model" ? "assistant" : "user"}, {"content", std::move(parts)}});
  }
  json chat = {{"model", model}, {"messages", std::move(messages)}};
  if (const json* tools = field(body, "tools"); tools != nullptr) {
    json out = json::array();
    if (!gemini_tools(*tools, out, error)) {
      return std::nullopt;
    }
    chat["tools"] = std::move(out);
  }
  return chat.dump();
}

std::optional<std::string> chat_from_bedrock(const json& body,
                                             const std::string& model,
                                             std::string& error) {
  const json* in = field(body, "messages");
  if (in == nullptr || !in->is_array() || in->empty() || !in->front().is_object()) {
    error = "1 validation error detected: Value null at 'messages' failed to satisfy constraint";
    return std::nullopt;
  }
  json messages = json::array();
  if (const json* system = field(body, "system"); system != nullptr && system->is_array()) {
    messages.push_back({{"role", "system"}, {"content", content_text(*system)}});
  }
  std::string previous;
  for (const auto& m : *in) {
    const std::string role = text_of(field(m, "role"));
    if (previous.empty() && role != "user") {
      error =
          "A conversation must start with a user message. Try again with a conversation that "
          "starts with a user message.";
      return std::nullopt;
    }
    if (role == previous || (role != "user" && role != "assistant")) {
      error =
          "A conversation must alternate between user and assistant roles. Make sure the "
          "conversation alternates between user and assistant roles and try again.";
      return std::nullopt;
    }
    previous = role;
    json parts = json::array();
    const json* content = field(m, "content");
    if (content == nullptr || !content->is_array()) {
      messages.push_back({{"role", role}, {"content", std::move(parts)}});
      continue;
    }
    for (const auto& block : *content) {
      if (const json* t = field(block, "text"); t != nullptr && t->is_string()) {
        parts.push_back({{"type", "text"}, {"text", *t}});
      } else if (const json* image = field(block, "image"); image != nullptr) {
        const json* source = field(*image, "source");
        const json* bytes = source != nullptr ? field(*source, "bytes") : nullptr;
        if (bytes == nullptr) {
          error = "The model does not support images from S3 or URLs; send bytes.";
          return std::nullopt;
        }
        const std::string format = text_of(field(*image, "format"));
        parts.push_back(image_part(image_url_part_url(
            "image/" + (format.empty() ? std::string("png") : format), text_of(bytes))));
      }
    }
    messages.push_back({{"role", role}, {"content", std::move(parts)}});
  }
  json chat = {{"model", model}, {"messages", std::move(messages)}};
  const json* config = field(body, "toolConfig");
  const json* tools = config != nullptr ? field(*config, "tools") : nullptr;
  if (tools != nullptr && tools->is_array()) {
    json out = json::array();
    for (std::size_t i = 0; i < tools->size(); ++i) {
      const json* spec = field((*tools)[i], "toolSpec");
      const json* schema = spec != nullptr ? field(*spec, "inputSchema") : nullptr;
      const json* schema_json = schema != nullptr ? field(*schema, "json") : nullptr;
      if (spec == nullptr || schema_json == nullptr) {
        error = "1 validation error detected: Value null at 'toolConfig.tools." +
                std::to_string(i + 1) +
                ".member.toolSpec.inputSchema' failed to satisfy constraint: Member must not be "
                "null";
        return std::nullopt;
      }
      const json* name = field(*spec, "name");
      const json* description = field(*spec, "description");
      out.push_back(chat_tool(name != nullptr ? *name : json(""),
                              description != nullptr ? *description : json(),
                              schema_json));
    }
    chat["tools"] = std::move(out);
  }
  return chat.dump();
}

}  // namespace visionwatch::sim_shapes
