#pragma once
/// The AWS Bedrock Runtime Converse flavour: POST {base_url}/model/{modelId}/converse (or
/// /converse-stream for `stream`), signed with SigV4 (service "bedrock") or sent with a Bedrock
/// API key as `Authorization: Bearer`. Wire shapes from
/// ../shared/fixtures/api-flavours/bedrock-converse.json. Internal to probes/: callers go
/// through adapter.hpp. The stream decoder is bedrock_converse_stream.hpp.

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "probes/adapter.hpp"

namespace visionwatch::bedrock_converse {

/// The SigV4 signing name of Bedrock Runtime (its host name says "bedrock-runtime").
inline constexpr std::string_view signing_service = "bedrock";

/// "{base_url}/model/{modelId}/converse" (`stream`: ".../converse-stream") with the model id
/// percent-encoded as one path segment (':' → %3A, '/' of an ARN → %2F), the base_url's query
/// string kept at the end.
std::string endpoint_url(std::string_view base_url, std::string_view model, bool stream = false);

/// The region of a "bedrock-runtime[-fips].<region>.amazonaws.com[.cn]" host in `base_url`.
std::optional<std::string> region_from_url(std::string_view base_url);

/// One user message: one image block per image, in order ({format, source.bytes} from a data: URL;
/// Bedrock takes no image URLs, so a remote URL is passed as source.s3Location and Bedrock rejects
/// what is not an s3:// URI), then the prompt as a text block; inferenceConfig {maxTokens,
/// temperature} when set. Authentication: `Authorization: Bearer <api_key>` when an API key is
/// set, else SigV4 over the final headers and body with `aws_credentials`, `aws_region` and
/// `now`. With `stream`: the /converse-stream URL (the signature covers that path) and
/// `Accept: application/vnd.amazon.eventstream`; the body is the same.
http_request build_request(const probe_request& request);

/// Never throws. Text from output.message.content[].text (reasoningContent → `reasoning`);
/// stopReason end_turn/stop_sequence → "stop", max_tokens → "length", guardrail_intervened and
/// content_filtered → "content_filter"; usage {inputTokens, outputTokens, totalTokens}. Errors:
/// the code from the x-amzn-ErrorType header (else the body's __type/code), the body's message;
/// refused credentials (403) say so in the message.
reply parse_reply(const http_result& result, std::chrono::system_clock::time_point now);

// ---- Shared with the stream decoder (the metadata event and messageStop carry the same fields)

/// stopReason → the neutral finish reason ("end_turn" → "stop", "max_tokens" → "length", ...).
std::string neutral_stop_reason(std::string_view stop_reason);

/// Reads `holder.usage` {inputTokens, outputTokens, totalTokens, cacheReadInputTokens} into `u`;
/// absent usage leaves `u` as it is.
void parse_usage(const nlohmann::json& holder, usage& u);

/// A content filter that withheld the whole answer (finish reason "content_filter", blank text)
/// is a refusal naming the stopReason.
void note_withheld_answer(reply& r, std::string_view stop_reason);

}  // namespace visionwatch::bedrock_converse
