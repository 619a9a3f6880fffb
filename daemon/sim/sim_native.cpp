#include "daemon/sim/sim_native.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "daemon/sim/sim_bedrock_stream.hpp"
#include "daemon/sim/sim_flavours.hpp"
#include "daemon/sim/sim_shapes.hpp"
#include "probes/sigv4.hpp"
#include "probes/text_util.hpp"

namespace visionwatch {
namespace {

using nlohmann::json;

// ---- Errors in each API's shape

/// How each native API names an HTTP error status: Gemini's error `status`, Bedrock's error type.
/// An empty name: the API has none of its own for that status and uses its name for any other.
struct status_name {
  unsigned status;
  std::string_view gemini;
  std::string_view bedrock;
};
constexpr std::array<status_name, 6> status_names = {{
    {400, "INVALID_ARGUMENT", "ValidationException"},
    {401, "UNAUTHENTICATED", ""},
    {403, "PERMISSION_DENIED", "AccessDeniedException"},
    {404, "NOT_FOUND", "ResourceNotFoundException"},
    {429, "RESOURCE_EXHAUSTED", "ThrottlingException"},
    {503, "UNAVAILABLE", "ServiceUnavailableException"},
}};
constexpr status_name any_other_status = {0, "INTERNAL", "InternalServerException"};

std::string_view name_of(unsigned status, std::string_view status_name::*api) {
  for (const auto& row : status_names) {
    if (row.status == status && !(row.*api).empty()) {
      return row.*api;
    }
  }
  return any_other_status.*api;
}

response_plan gemini_error(unsigned status, std::string_view message, json details = nullptr) {
  json e = {
      {"code", status}, {"message", message}, {"status", name_of(status, &status_name::gemini)}};
  if (!details.is_null()) {
    e["details"] = std::move(details);
  }
  return response_plan::json(json{{"error", std::move(e)}}.dump(), status);
}

response_plan bedrock_error(unsigned status, std::string_view type, std::string_view message) {
  auto p = response_plan::json(json{{"message", message}}.dump(), status);
  p.headers.emplace_back(
      "x-amzn-ErrorType",
      std::string(type) + ":http://internal.amazon.com/coral/com.amazon.bedrock/");
  p.headers.emplace_back("x-amzn-RequestId", "00000000-0000-4000-8000-000000000000");
  return p;
}

// ---- Credentials

/// Gemini answers a bad key with HTTP 400 and ErrorInfo reason API_KEY_INVALID (the fixture's
/// real body).
std::optional<response_plan> check_gemini_key(const native_keys& keys, const received_request& r) {
  const auto key = r.header("x-goog-api-key");
  if (!key.empty() && (keys.gemini_api_key.empty() || key == keys.gemini_api_key)) {
    return std::nullopt;
  }
  return gemini_error(
      400,
      "API key not valid. Please pass a valid API key.",
      json::array({{{"@type", "type.googleapis.com/google.rpc.ErrorInfo"},
                    {"reason", "API_KEY_INVALID"},
                    {"domain", "googleapis.com"},
                    {"metadata", {{"service", "generativelanguage.googleapis.com"}}}}}));
}

/// "20260822T120000Z" as a time point.
std::optional<std::chrono::system_clock::time_point> parse_amz_date(std::string_view d) {
  if (d.size() != 16 || d[8] != 'T' || d[15] != 'Z') {
    return std::nullopt;
  }
  auto num = [&](std::size_t at, std::size_t len) {
    int v = -1;
    std::from_chars(d.data() + at, d.data() + at + len, v);
    return v;
  };
  const int y = num(0, 4);
  const int mo = num(4, 2);
  const int da = num(6, 2);
  const int h = num(9, 2);
  const int mi = num(11, 2);
  const int s = num(13, 2);
  if (y < 0 || mo < 1 || da < 1 || h < 0 || mi < 0 || s < 0) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(mo)},
                                        std::chrono::day{static_cast<unsigned>(da)}};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  return std::chrono::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi} +
         std::chrono::seconds{s};
}

/// The value after `key` in a SigV4 Authorization header ("Credential=", ...), up to ','.
std::string_view auth_field(std::string_view authz, std::string_view key) {
  const auto at = authz.find(key);
  if (at == std::string_view::npos) {
    return {};
  }
  auto v = authz.substr(at + key.size());
  return v.substr(0, v.find(','));
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t from = 0;
  for (;;) {
    const auto at = s.find(sep, from);
    out.push_back(
        s.substr(from, at == std::string_view::npos ? std::string_view::npos : at - from));
    if (at == std::string_view::npos) {
      return out;
    }
    from = at + 1;
  }
}

/// What Bedrock does with the request's credentials: a Bedrock API key, or a SigV4 signature
/// recomputed over the signed headers as received. nullopt when they are accepted.
std::optional<response_plan> check_bedrock_auth(const native_keys& keys,
                                                const received_request& r) {
  const std::string_view authz = r.header("authorization");
  if (authz.starts_with("Bearer ")) {
    if (!keys.bedrock_api_key.empty() && authz.substr(7) == keys.bedrock_api_key) {
      return std::nullopt;
    }
    return bedrock_error(403, "AccessDeniedException", "Invalid API Key format.");
  }
  if (!authz.starts_with("AWS4-HMAC-SHA256 ")) {
    return bedrock_error(
        403, "MissingAuthenticationTokenException", "Missing Authentication Token");
  }
  const auto scope = split(auth_field(authz, "Credential="), '/');
  const auto date = parse_amz_date(r.header("x-amz-date"));
  if (scope.size() != 5 || !date || scope[4] != "aws4_request") {
    return bedrock_error(403,
                         "IncompleteSignatureException",
                         "Authorization header requires 'Credential' parameter.");
  }
  if (!keys.aws_access_key_id.empty() && scope[0] != keys.aws_access_key_id) {
    return bedrock_error(403,
                         "UnrecognizedClientException",
                         "The security token included in the request is invalid.");
  }
  if (keys.aws_secret_access_key.empty()) {
    return std::nullopt;  // the demo: any well-formed signature
  }
  header_list signed_headers;
  for (const auto name : split(auth_field(authz, "SignedHeaders="), ';')) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) {
        signed_headers.emplace_back(k, v);
      }
    }
  }
  const auto expected = sigv4::compute(r.method,
                                       r.target,
                                       signed_headers,
                                       r.body,
                                       {std::string(scope[0]), keys.aws_secret_access_key, ""},
                                       {std::string(scope[2]), std::string(scope[3]), *date});
  if (expected.signature_hex != auth_field(authz, "Signature=") ||
      expected.signed_headers != auth_field(authz, "SignedHeaders=")) {
    return bedrock_error(403,
                         "InvalidSignatureException",
                         "The request signature we calculated does not match the signature you "
                         "provided. Check your AWS Secret Access Key and signing method. Consult "
                         "the service documentation for details.");
  }
  return std::nullopt;
}

// ---- Replies: chat → native

/// The parts of a chat completion the native replies carry.
struct chat_answer {
  json content;  ///< a string, or whatever a broken model sent
  std::string finish_reason;
  std::optional<long long> prompt_tokens;
  std::optional<long long> completion_tokens;
};

std::optional<chat_answer> read_chat_answer(const std::string& body) {
  const json j = json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("choices") || !j["choices"].is_array() ||
      j["choices"].empty()) {
    return std::nullopt;
  }
  const auto& choice = j["choices"][0];
  std::optional<long long> prompt_tokens;
  std::optional<long long> completion_tokens;
  if (j.contains("usage") && j["usage"].is_object()) {
    prompt_tokens = j["usage"].value("prompt_tokens", 0LL);
    completion_tokens = j["usage"].value("completion_tokens", 0LL);
  }
  // Built whole: a default-constructed chat_answer would run json's default constructor, which
  // is noexcept but reaches a throw that bugprone-exception-escape reports.
  return chat_answer{
      choice.contains("message") ? choice["message"].value("content", json()) : json(),
      choice.value("finish_reason", "stop"),
      prompt_tokens,
      completion_tokens};
}

response_plan gemini_reply(const chat_answer& a,
                           const std::string& model,
                           long long text_tokens,
                           std::uint64_t id) {
  const json parts =
      a.content.is_string() ? json::array({{{"text", a.content}}}) : a.content;  // broken: as is
  json j = {{"candidates",
             json::array({{{"content", {{"role", "model"}, {"parts", parts}}},
                           {"finishReason", a.finish_reason == "length" ? "MAX_TOKENS" : "STOP"},
                           {"index", 0}}})},
            {"modelVersion", model},
            {"responseId", "sim-" + std::to_string(id)}};
  if (a.prompt_tokens) {
    const long long text = std::min(text_tokens, *a.prompt_tokens);
    json details = json::array({{{"modality", "TEXT"}, {"tokenCount", text}}});
    if (*a.prompt_tokens > text) {
      details.push_back({{"modality", "IMAGE"}, {"tokenCount", *a.prompt_tokens - text}});
    }
    const long long out = a.completion_tokens.value_or(0);
    j["usageMetadata"] = {{"promptTokenCount", *a.prompt_tokens},
                          {"candidatesTokenCount", out},
                          {"totalTokenCount", *a.prompt_tokens + out},
                          {"promptTokensDetails", std::move(details)}};
  }
  return response_plan::json(j.dump());
}

response_plan bedrock_reply(const chat_answer& a) {
  const json content = a.content.is_string() ? json::array({{{"text", a.content}}}) : a.content;
  json j = {{"output", {{"message", {{"role", "assistant"}, {"content", content}}}}},
            {"stopReason", a.finish_reason == "length" ? "max_tokens" : "end_turn"},
            {"metrics", {{"latencyMs", 40}}}};
  if (a.prompt_tokens) {
    // Images are folded into inputTokens, as Bedrock reports them.
    const long long out = a.completion_tokens.value_or(0);
    j["usage"] = {{"inputTokens", *a.prompt_tokens},
                  {"outputTokens", out},
                  {"totalTokens", *a.prompt_tokens + out}};
  }
  return response_plan::json(j.dump());
}

/// A chat error reply in the native shape; Gemini's retry hint moves into the body (RetryInfo).
response_plan native_error(native_api api, const response_plan& chat) {
  const json j = json::parse(chat.body, nullptr, false);
  std::string message = "error";
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    message = j["error"].value("message", message);
  }
  if (api == native_api::bedrock_converse) {
    auto p = bedrock_error(chat.status, name_of(chat.status, &status_name::bedrock), message);
    p.delay = chat.delay;
    return p;
  }
  json details = nullptr;
  for (const auto& [k, v] : chat.headers) {
    if (ascii_iequals(k, "retry-after")) {
      details = json::array(
          {{{"@type", "type.googleapis.com/google.rpc.RetryInfo"}, {"retryDelay", v + "s"}}});
    }
  }
  auto p = gemini_error(chat.status, message, std::move(details));
  p.delay = chat.delay;
  return p;
}

}  // namespace

std::optional<native_call> native_call_of(const received_request& request) {
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  for (const std::string_view method : {":generateContent", ":streamGenerateContent"}) {
    const auto at = path.rfind("/models/");
    if (path.ends_with(method) && at != std::string_view::npos) {
      const auto model = path.substr(at + 8, path.size() - at - 8 - method.size());
      return native_call{native_api::gemini, sim_flavours::percent_decoded(model)};
    }
  }
  for (const std::string_view op : {"/converse", "/converse-stream"}) {
    if (path.ends_with(op)) {
      const auto body = path.substr(0, path.size() - op.size());
      const auto at = body.rfind("/model/");
      if (at != std::string_view::npos) {
        return native_call{native_api::bedrock_converse,
                           sim_flavours::percent_decoded(body.substr(at + 7)),
                           op == "/converse-stream"};
      }
    }
  }
  return std::nullopt;
}

response_plan respond_native(sim_model& model,
                             const native_keys& keys,
                             const received_request& request,
                             const native_call& call,
                             std::optional<sim_behaviour> behaviour,
                             const sim_stream_options& stream) {
  const bool gemini = call.api == native_api::gemini;
  if (auto refused = gemini ? check_gemini_key(keys, request) : check_bedrock_auth(keys, request)) {
    return *refused;
  }
  if (!behaviour) {
    return gemini
               ? gemini_error(404,
                              "models/" + call.model +
                                  " is not found for API version v1beta, or is not supported "
                                  "for generateContent.")
               : bedrock_error(
                     404, "ResourceNotFoundException", "The provided model identifier is invalid.");
  }
  const json body = json::parse(request.body, nullptr, false);
  std::string error;
  // The whole conversation with the request shapes (daemon/sim/sim_shapes.hpp).
  const auto chat = gemini ? sim_shapes::chat_from_gemini(body, call.model, error)
                           : sim_shapes::chat_from_bedrock(body, call.model, error);
  if (!chat) {
    return gemini ? gemini_error(400, error) : bedrock_error(400, "ValidationException", error);
  }
  received_request as_chat = request;
  as_chat.body = *chat;
  std::erase_if(as_chat.headers, [](const auto& h) { return h.first == "authorization"; });
  response_plan plan = model.respond(as_chat, *behaviour);
  if (plan.kind != response_plan::action::respond) {
    return plan;  // resets and the like look the same in every API
  }
  if (plan.status < 200 || plan.status >= 300) {
    return native_error(call.api, plan);
  }
  const auto answer = read_chat_answer(plan.body);
  if (!answer) {
    return native_error(call.api, response_plan::json("{}", 500));
  }
  const auto parsed = parse_chat_request(*chat);
  const long long text = parsed ? sim_shapes::text_tokens(*parsed) : sim_model::text_tokens("");
  response_plan out = gemini ? gemini_reply(*answer, call.model, text, request.request_index)
                             : bedrock_reply(*answer);
  out.delay = plan.delay;
  return call.stream ? stream_bedrock_reply(out, stream) : out;
}

}  // namespace visionwatch
