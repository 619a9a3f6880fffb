#pragma once
/// AWS Signature Version 4 (header form), as botocore's SigV4Auth computes it for rest-json
/// services such as Bedrock Runtime. Pure: the signing time is an input, nothing reads a clock,
/// the network or the environment, so every step is testable against fixed vectors.
/// Internal to probes/ (the bedrock-converse flavour and the simulated gateway's check).
///
/// What is signed is exactly what is sent: the final body and the final header set, extra
/// headers included. The http client sends the headers it is given unchanged and adds only
/// Content-Length, Connection and (when absent) Host and User-Agent, none of which are signed
/// unless given: the flavour therefore sets Host itself, from the URL, port included.

#include <chrono>
#include <string>
#include <string_view>

#include "probes/http_types.hpp"

namespace visionwatch::sigv4 {

/// AWS credentials. The secret key and the session token are secrets.
struct credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  ///< temporary credentials only; sent as X-Amz-Security-Token
};

/// Where and when a request is signed.
struct scope {
  std::string region;   ///< "us-east-1"
  std::string service;  ///< the signing name: "bedrock" (not the host's "bedrock-runtime")
  std::chrono::system_clock::time_point time;
};

/// Every intermediate value, for tests and for a server that checks a signature.
struct signature {
  std::string amz_date;           ///< "20260822T120000Z"
  std::string credential_scope;   ///< "20260822/us-east-1/bedrock/aws4_request"
  std::string canonical_request;  ///< the six lines joined by '\n'
  std::string signed_headers;     ///< "content-type;host;x-amz-date"
  std::string string_to_sign;
  std::string signature_hex;  ///< the 64 hex digits (a secret: it authorises this request)
  std::string authorization;  ///< the Authorization header value
};

/// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);
/// Raw HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);

/// The canonical URI of an (already percent-encoded) path: dot segments and empty segments
/// removed as botocore does for non-S3 services, then every byte other than unreserved
/// characters and '/' percent-encoded again (`%3A` becomes `%253A`).
std::string canonical_uri(std::string_view path);

/// Headers that are never signed (botocore's list): they may be changed on the way.
bool is_unsigned_header(std::string_view name) noexcept;

/// Signs a request given by its parts. `target` is the origin form ("/path?query"); `headers`
/// must already hold Host, X-Amz-Date (equal to the scope's time) and X-Amz-Security-Token when
/// used; every header except is_unsigned_header() ones and Authorization is signed.
signature compute(std::string_view method,
                  std::string_view target,
                  const header_list& headers,
                  std::string_view body,
                  const credentials& creds,
                  const scope& where);

/// Signs `request` in place: sets Host (from the URL unless already set), X-Amz-Date,
/// X-Amz-Security-Token (with a session token) and Authorization, replacing headers of the same
/// names. Call it last, after every other header and the body are final. Returns false (and
/// leaves the request unsigned) when the URL cannot be parsed.
bool sign_request(http_request& request, const credentials& creds, const scope& where);

}  // namespace visionwatch::sigv4
