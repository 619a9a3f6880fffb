#pragma once
/// The AWS part of a gateway (api: bedrock-converse): the SigV4 signing region and credentials.
/// `aws_region` defaults to the region in a bedrock-runtime.<region>.amazonaws.com host name;
/// credentials come from `aws_credentials` ({access_key_id,secret_access_key,session_token}
/// each as _env, _file or _credential, like api_key), else AWS_ACCESS_KEY_ID,
/// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; a Bedrock API key from api_key_* replaces SigV4.
/// Values never appear in a message.

#include "daemon/config/config_document.hpp"

namespace visionwatch::config_reading {

/// Reads `aws_region` and `aws_credentials` of the gateway map `m` into `g` (whose api, base_url
/// and api_key are already read) and applies the bedrock-converse defaults and checks; on other
/// flavours both keys are errors. `api_key_given`: api_key_* is set (a Bedrock API key).
void parse_aws(config_reader& reader, const map_reader& m, bool api_key_given, gateway_config& g);

/// Whole-document check: Bedrock takes images as bytes (or S3) only, so a route on a
/// bedrock-converse gateway with media: remote_url is refused.
void check_aws_routes(config_document& doc);

}  // namespace visionwatch::config_reading
