#pragma once
/// Request and error-reply steps the native flavours (openai-responses, anthropic-messages,
/// azure-openai) share beyond adapter_support: the common headers and the flavour's
/// authentication, splicing data URLs into a serialised body, reading a data: URL, and the
/// error conventions (a refused key says so; a spend or quota 429 carries no retry hint).
/// Internal to probes/. Pure, no I/O.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probes/adapter.hpp"

namespace visionwatch::flavour_support {

/// Content-Type, Accept (`text/event-stream` for a streamed request) and User-Agent, then the
/// authentication: `Authorization: Bearer <key>`
/// when `key_header` is empty or the request's key is a bearer token, else `<key_header>: <key>`
/// (nothing without a key), then `extra_headers`, each replacing a header of the same name.
void set_headers(const probe_request& request, std::string_view key_header, header_list& out);

/// Inserts `values[i]` into the i-th `"key":""` of `body` (a serialised JSON whose `key` members
/// appear in the values' order); an empty value leaves its occurrence as it is. A data URL is
/// hundreds of kilobytes of base64 that needs no escaping (adapter_support::is_plain_json_string),
/// so it skips the serialiser's per-byte work.
void splice_strings(std::string& body,
                    std::string_view key,
                    const std::vector<std::string>& values);

/// The parts of "data:<mime>;base64,<data>"; nullopt for any other URL.
struct data_url_parts {
  std::string_view mime;
  std::string_view base64;
};
std::optional<data_url_parts> split_data_url(std::string_view url) noexcept;

/// True for a 429 that says a spend or quota limit is reached (OpenAI `insufficient_quota`,
/// Anthropic `enforced_spend_limit_reached`, billing messages): retrying soon does not help.
bool quota_exhausted(unsigned status, const reply& r);

/// Without a Retry-After, the `retry-after-ms` header (OpenAI, Anthropic and Azure send it; their
/// SDKs read it) is the retry hint, rounded up to seconds and clamped like Retry-After.
void read_retry_after_ms(const http_result& result, reply& r);

/// The error conventions of the native flavours, applied after parsing: read_retry_after_ms;
/// a 401/403 message says the key was refused; a quota 429 drops
/// its retry hint (the route keeps its own interval
/// instead of being deferred as for a short rate limit, see docs/configuration.md).
void finish_error_reply(const http_result& result, reply& r);

}  // namespace visionwatch::flavour_support
