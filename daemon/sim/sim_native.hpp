#pragma once
/// The simulated gateway's native flavours: Google Gemini generateContent and AWS Bedrock
/// Converse. A native request is checked the way the real API checks it (Gemini's key, Bedrock's
/// SigV4 signature recomputed with the same keys), translated into the equivalent chat request,
/// answered by a sim_model, and the answer translated back into the native reply shapes and
/// error bodies of ../shared/fixtures/api-flavours/. Runs on the sim gateway's thread.

#include <cstdint>
#include <optional>
#include <string>

#include "daemon/sim/sim_gateway.hpp"
#include "daemon/sim/sim_model.hpp"
#include "daemon/sim/sim_stream.hpp"

namespace visionwatch {

/// The credentials the simulated native APIs accept. Empty fields accept anything of the right
/// shape (the demo, which has no keys).
struct native_keys {
  std::string gemini_api_key;  ///< x-goog-api-key
  std::string aws_access_key_id;
  std::string aws_secret_access_key;  ///< SigV4 signatures are recomputed with it
  std::string bedrock_api_key;        ///< `Authorization: Bearer` instead of SigV4
};

enum class native_api : std::uint8_t { gemini, bedrock_converse };

/// A native request recognised by its path.
struct native_call {
  native_api api;
  std::string model;    ///< percent-decoded from the path
  bool stream = false;  ///< ".../converse-stream": the reply goes out as an AWS event stream
};

/// ".../models/{model}:generateContent" (or :streamGenerateContent, whose reply
/// sim_native_stream.hpp streams) or ".../model/{modelId}/converse[-stream]" (after any base
/// path); nullopt for anything else (chat completions, the demo's /control).
std::optional<native_call> native_call_of(const received_request& request);

/// Answers `request` as `model` would answer the equivalent chat request with `behaviour`, or
/// as the API answers an unknown model when `behaviour` is empty. Wrong credentials get the
/// real API's answer: Gemini HTTP 400 API_KEY_INVALID, Bedrock HTTP 403
/// UnrecognizedClientException (unknown key id) or InvalidSignatureException (bad signature).
/// A Bedrock converse-stream call (signature checked the same way) gets its reply streamed as
/// `stream` says (daemon/sim/sim_bedrock_stream.hpp).
response_plan respond_native(sim_model& model,
                             const native_keys& keys,
                             const received_request& request,
                             const native_call& call,
                             std::optional<sim_behaviour> behaviour,
                             const sim_stream_options& stream = {});

}  // namespace visionwatch
