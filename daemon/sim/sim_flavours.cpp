#include "daemon/sim/sim_flavours.hpp"

#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>

#include "daemon/sim/sim_shapes.hpp"

namespace visionwatch::sim_flavours {
namespace {

using nlohmann::json;

std::string_view path_of(const received_request& request) {
  std::string_view target = request.target;
  return target.substr(0, target.find('?'));
}

std::string_view query_of(const received_request& request) {
  const auto q = request.target.find('?');
  return q == std::string::npos ? std::string_view{} : std::string_view(request.target).substr(q);
}

/// ".../deployments/{name}/chat/completions" → the name as it appears in the path.
std::optional<std::string_view> deployment_segment(std::string_view path) {
  static constexpr std::string_view marker = "/deployments/";
  static constexpr std::string_view tail = "/chat/completions";
  const auto at = path.rfind(marker);
  if (at == std::string_view::npos || !path.ends_with(tail)) {
    return std::nullopt;
  }
  const auto from = at + marker.size();
  if (from + tail.size() > path.size()) {
    return std::nullopt;
  }
  return path.substr(from, path.size() - tail.size() - from);
}

std::string anthropic_error_type(unsigned status, std::string_view openai_type) {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 429:
      return "rate_limit_error";
    case 529:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : std::string(openai_type);
  }
}

std::string string_or(const json& j, std::string_view key, std::string fallback = {}) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// ---- Requests into chat completions

json text_part(json text) { return {{"type", "text"}, {"text", std::move(text)}}; }

/// One input message as a chat message: a string content is one text part; each block of an
/// array content goes through `part_of(type, block)`, which gives its chat part or null (left out).
template <class convert>
json chat_message(const json& m, convert part_of) {
  json parts = json::array();
  const auto& content = m["content"];
  if (content.is_string()) {
    parts.push_back(text_part(content));
  } else if (content.is_array()) {
    for (const auto& block : content) {
      const std::string type = block.is_object() ? string_or(block, "type") : "";
      if (json part = part_of(type, block); !part.is_null()) {
        parts.push_back(std::move(part));
      }
    }
  }
  return {{"role", string_or(m, "role", "user")}, {"content", std::move(parts)}};
}

/// Responses: input[] of {role, content: [input_text | input_image]} (or a plain string input).
std::optional<json> chat_from_responses(const json& j, std::string& error) {
  json messages = json::array();
  const auto input = j.find("input");
  if (input == j.end()) {
    error = "Missing required parameter: 'input'.";
    return std::nullopt;
  }
  if (input->is_string()) {
    messages.push_back({{"role", "user"}, {"content", *input}});
  } else if (input->is_array()) {
    for (const auto& item : *input) {
      if (!item.is_object() || !item.contains("content")) {
        continue;
      }
      messages.push_back(chat_message(item, [](const std::string& type, const json& part) {
        if (type == "input_text" || type == "output_text") {
          return text_part(string_or(part, "text"));
        }
        if (type != "input_image") {
          return json();
        }
        json image_url = {{"url", string_or(part, "image_url")}};
        if (const auto detail = string_or(part, "detail"); !detail.empty()) {
          image_url["detail"] = detail;
        }
        return json{{"type", "image_url"}, {"image_url", std::move(image_url)}};
      }));
    }
  } else {
    error = "Invalid type for 'input': expected a string or an array.";
    return std::nullopt;
  }
  json chat = {{"model", j.value("model", json())}, {"messages", std::move(messages)}};
  if (j.contains("max_output_tokens")) {
    chat["max_tokens"] = j["max_output_tokens"];
  }
  if (auto refused = sim_shapes::add_responses_shape(j, chat)) {
    error = std::move(*refused);
    return std::nullopt;
  }
  return chat;
}

/// Messages: messages[] with image blocks (base64 or url source) and text blocks.
std::optional<json> chat_from_anthropic(const json& j, std::string& error) {
  if (!j.contains("max_tokens")) {
    error = "max_tokens: Field required";
    return std::nullopt;
  }
  const auto messages_in = j.find("messages");
  if (messages_in == j.end() || !messages_in->is_array()) {
    error = "messages: Field required";
    return std::nullopt;
  }
  json messages = json::array();
  for (const auto& m : *messages_in) {
    if (!m.is_object() || !m.contains("content")) {
      continue;
    }
    messages.push_back(chat_message(m, [](const std::string& type, const json& block) {
      if (type == "text") {
        return text_part(string_or(block, "text"));
      }
      if (type != "image" || !block.contains("source") || !block["source"].is_object()) {
        return json();
      }
      const auto& src = block["source"];
      const std::string url =
          string_or(src, "type") == "base64"
              ? "data:" + string_or(src, "media_type") + ";base64," + string_or(src, "data")
              : string_or(src, "url");
      return json{{"type", "image_url"}, {"image_url", {{"url", url}}}};
    }));
  }
  json chat = {{"model", j.value("model", json())},
               {"messages", std::move(messages)},
               {"max_tokens", j["max_tokens"]}};
  if (auto refused = sim_shapes::add_anthropic_shape(j, chat)) {
    error = std::move(*refused);
    return std::nullopt;
  }
  return chat;
}

// ---- Chat completion replies into the flavour's reply

json responses_reply(const json& chat) {
  const json& choice = chat["choices"][0];
  const json content =
      choice.contains("message") ? choice["message"].value("content", json()) : json();
  json out = {{"id", "resp_sim_" + string_or(chat, "id")},
              {"object", "response"},
              {"created_at", 1767225600},
              {"status", "completed"},
              {"error", nullptr},
              {"incomplete_details", nullptr},
              {"model", chat.value("model", json())},
              {"store", false}};
  if (!content.is_string() && !content.is_null()) {
    out["output"] = content;  // the wrong_types behaviour, in this flavour's shape
    return out;
  }
  json parts = json::array();
  if (content.is_string() && !content.get_ref<const std::string&>().empty()) {
    parts.push_back({{"type", "output_text"}, {"text", content}, {"annotations", json::array()}});
  }
  out["output"] = json::array({{{"type", "message"},
                                {"id", "msg_sim"},
                                {"status", "completed"},
                                {"role", "assistant"},
                                {"content", std::move(parts)}}});
  if (string_or(choice, "finish_reason") == "length") {
    out["status"] = "incomplete";
    out["incomplete_details"] = {{"reason", "max_output_tokens"}};
  }
  if (chat.contains("usage") && chat["usage"].is_object()) {
    const json& u = chat["usage"];
    out["usage"] = {{"input_tokens", u.value("prompt_tokens", 0)},
                    {"input_tokens_details", {{"cached_tokens", 0}, {"cache_write_tokens", 0}}},
                    {"output_tokens", u.value("completion_tokens", 0)},
                    {"output_tokens_details", {{"reasoning_tokens", 0}}},
                    {"total_tokens", u.value("total_tokens", 0)}};
  } else {
    out["usage"] = nullptr;
  }
  return out;
}

json anthropic_reply(const json& chat) {
  const json& choice = chat["choices"][0];
  const json content =
      choice.contains("message") ? choice["message"].value("content", json()) : json();
  json out = {
      {"id", "msg_sim_" + string_or(chat, "id")},
      {"type", "message"},
      {"role", "assistant"},
      {"model", chat.value("model", json())},
      {"stop_reason", string_or(choice, "finish_reason") == "length" ? "max_tokens" : "end_turn"},
      {"stop_sequence", nullptr}};
  if (!content.is_string() && !content.is_null()) {
    out["content"] = content;  // the wrong_types behaviour
    return out;
  }
  json blocks = json::array();
  if (content.is_string() && !content.get_ref<const std::string&>().empty()) {
    blocks.push_back({{"type", "text"}, {"text", content}});
  }
  out["content"] = std::move(blocks);
  if (chat.contains("usage") && chat["usage"].is_object()) {
    const json& u = chat["usage"];
    out["usage"] = {{"input_tokens", u.value("prompt_tokens", 0)},
                    {"cache_creation_input_tokens", 0},
                    {"cache_read_input_tokens", 0},
                    {"output_tokens", u.value("completion_tokens", 0)},
                    {"service_tier", "standard"}};
  }
  return out;
}

json azure_reply(json chat) {
  const json safe = {{"filtered", false}, {"severity", "safe"}};
  const json filters = {{"hate", safe}, {"self_harm", safe}, {"sexual", safe}, {"violence", safe}};
  chat["prompt_filter_results"] =
      json::array({{{"prompt_index", 0}, {"content_filter_results", filters}}});
  if (chat["choices"].is_array()) {
    for (auto& c : chat["choices"]) {
      if (c.is_object()) {
        c["content_filter_results"] = filters;
      }
    }
  }
  return chat;
}

/// The chat reply of the sim model in the flavour's shape: successes rebuilt, errors re-spelt,
/// transport faults and hand-made bodies passed through; headers (Retry-After) and delays kept.
response_plan translate(const received_request& request, wire w, response_plan plan) {
  if (plan.kind != response_plan::action::respond || plan.generated_body_bytes > 0) {
    return plan;
  }
  const json j = json::parse(plan.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return plan;
  }
  if (j.contains("error") && j["error"].is_object()) {
    auto out = error_reply(
        request, plan.status, string_or(j["error"], "message"), string_or(j["error"], "type"));
    for (const auto& h : plan.headers) {
      if (h.first != "Content-Type") {
        out.headers.push_back(h);
      }
    }
    out.delay = plan.delay;
    return out;
  }
  if (plan.status / 100 != 2 || !j.contains("choices") || !j["choices"].is_array() ||
      j["choices"].empty() || !j["choices"][0].is_object()) {
    return plan;
  }
  json body;
  switch (w) {
    case wire::openai_responses:
      body = responses_reply(j);
      break;
    case wire::anthropic_messages:
      body = anthropic_reply(j);
      break;
    case wire::azure_openai:
      body = azure_reply(j);
      break;
    case wire::openai_chat:
      return plan;
  }
  plan.body = body.dump();
  return plan;
}

}  // namespace

wire wire_of(const received_request& request) {
  const std::string_view path = path_of(request);
  if (path.ends_with("/responses")) {
    return wire::openai_responses;
  }
  if (path.ends_with("/messages")) {
    return wire::anthropic_messages;
  }
  if (deployment_segment(path)) {
    return wire::azure_openai;
  }
  return wire::openai_chat;
}

std::string model_of(const received_request& request) {
  if (const auto deployment = deployment_segment(path_of(request))) {
    return percent_decoded(*deployment);
  }
  const auto j = json::parse(request.body, nullptr, false);
  return j.is_object() ? string_or(j, "model") : std::string();
}

response_plan error_reply(const received_request& request,
                          unsigned status,
                          std::string_view message,
                          std::string_view type) {
  json body;
  switch (wire_of(request)) {
    case wire::anthropic_messages:
      body = {{"type", "error"},
              {"error", {{"type", anthropic_error_type(status, type)}, {"message", message}}}};
      break;
    case wire::azure_openai:
      // Azure spells the code as the status for auth and rate limits.
      body = {
          {"error",
           {{"code", status == 401 || status == 429 ? std::to_string(status) : std::string(type)},
            {"message", message}}}};
      break;
    case wire::openai_chat:
    case wire::openai_responses:
      body = {
          {"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}}}};
      break;
  }
  return response_plan::json(body.dump(), status);
}

response_plan respond(sim_model& model, const received_request& request, sim_behaviour behaviour) {
  const wire w = wire_of(request);
  if (w == wire::openai_chat) {
    return model.respond(request, behaviour);
  }
  received_request chat = request;
  // The flavour's key header as the sim model's Authorization: Bearer (a bearer token is sent
  // as Authorization by the client already).
  const std::string_view key = w == wire::anthropic_messages ? request.header("x-api-key")
                               : w == wire::azure_openai     ? request.header("api-key")
                                                             : std::string_view{};
  if (!key.empty() && request.header("authorization").empty()) {
    chat.headers.emplace_back("authorization", "Bearer " + std::string(key));
  }
  const json j = json::parse(request.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return error_reply(
        request, 400, "We could not parse the JSON body of your request.", "invalid_request_error");
  }
  std::string error;
  std::optional<json> body;
  switch (w) {
    case wire::openai_responses:
      body = chat_from_responses(j, error);
      break;
    case wire::anthropic_messages:
      if (request.header("anthropic-version").empty()) {
        return error_reply(
            request, 400, "anthropic-version: header is required", "invalid_request_error");
      }
      body = chat_from_anthropic(j, error);
      break;
    case wire::azure_openai:
      if (query_of(request).find("api-version=") == std::string_view::npos) {
        return error_reply(request, 404, "Resource not found", "404");
      }
      body = j;
      (*body)["model"] = model_of(request);
      break;
    case wire::openai_chat:
      break;
  }
  if (!body) {
    return error_reply(request, 400, error, "invalid_request_error");
  }
  chat.body = body->dump();
  return translate(request, w, model.respond(chat, behaviour));
}

std::string percent_decoded(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      unsigned v = 0;
      const auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc{} && p == s.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

}  // namespace visionwatch::sim_flavours
