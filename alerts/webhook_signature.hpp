#pragma once
/// Standard Webhooks signing (https://www.standardwebhooks.com): the receiver recomputes
/// base64(HMAC-SHA256(secret, id "." timestamp "." body)) and compares. Pure; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "probes/text_util.hpp"

namespace visionwatch {

/// The key bytes of a "whsec_<base64>" secret; nullopt when the prefix or base64 is wrong.
std::optional<std::string> decode_webhook_secret(std::string_view secret);

/// "v1,<base64 signature>" for already-decoded key bytes.
std::string webhook_signature(std::string_view key,
                              std::string_view message_id,
                              std::int64_t timestamp,
                              std::string_view body);

}  // namespace visionwatch
