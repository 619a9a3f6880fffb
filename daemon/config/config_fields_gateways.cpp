#include <string_view>

#include "daemon/config/config_fields.hpp"
#include "daemon/config/config_fields_support.hpp"
#include "probes/adapter.hpp"

namespace visionwatch::config_fields {
namespace {

constexpr std::string_view version_pattern = "^[A-Za-z0-9._-]{1,64}$";

}  // namespace

const table& gateway() {
  static const table t{
      "gateway",
      "An endpoint routes probe through.",
      joined({
          {
              text("name", "Unique gateway name (a metric label).").matching(name_pattern).needed(),
              url("base_url", "The API's base URL; the flavour's path is appended.").needed(),
              choice("api", api_flavour_names(), "API flavour. Default openai-chat."),
          },
          secret("api_key", "API key, sent in the flavour's key header"),
          {
              text_map("headers",
                       "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
                       "Extra request headers; values may use ${VAR} and are never echoed.")
                  .or_null(),
              map("tls", gateway_tls, "TLS settings."),
              url("proxy_url",
                  "HTTP CONNECT proxy (http://), or none to ignore HTTPS_PROXY and HTTP_PROXY. "
                  "Default: from the environment.")
                  .matching("^none$|^[Hh][Tt][Tt][Pp]://[^/?#]+[^#]*$"),
              integer("max_concurrency",
                      1,
                      10'000,
                      "Probes in flight against this gateway. Default 4."),
              boolean("keep_alive", "Reuse one connection. Default false."),
              duration("connect_timeout", "Connection deadline. Default 10s."),
              size("max_body",
                   1024,
                   1024.0 * 1024 * 1024,
                   "1KiB..1GiB",
                   "Largest reply body; larger fails as body_too_large. Default 4MiB."),
              text("bearer_token_file",
                   "A token a sidecar refreshes, sent as Authorization: Bearer; re-read when it "
                   "changes. Not with api_key_*."),
              text("anthropic_version",
                   "anthropic-messages only: the anthropic-version header. Default 2023-06-01.")
                  .matching(version_pattern),
              text("api_version",
                   "azure-openai only: the api-version query parameter. Default 2024-10-21.")
                  .matching(version_pattern),
              text("aws_region",
                   "bedrock-converse only: the SigV4 signing region. Default: from the "
                   "bedrock-runtime.<region>.amazonaws.com host.")
                  .matching("^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$"),
              map("aws_credentials",
                  aws_credentials,
                  "bedrock-converse only: SigV4 credentials. Default: AWS_ACCESS_KEY_ID, "
                  "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN."),
              map("budget", budget, "This gateway's spend guard."),
          },
      })};
  return t;
}

const table& gateway_tls() {
  static const table t{"gateway_tls", "TLS settings of a gateway.", tls_fields(true)};
  return t;
}

const table& aws_credentials() {
  static const table t{"aws_credentials",
                       "AWS SigV4 credentials; each part is a secret.",
                       joined({
                           secret("access_key_id", "AWS access key id (required)"),
                           secret("secret_access_key", "AWS secret access key (required)"),
                           secret("session_token", "STS session token"),
                       })};
  return t;
}

}  // namespace visionwatch::config_fields
