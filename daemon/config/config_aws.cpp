#include "daemon/config/config_aws.hpp"

#include <string>
#include <utility>

#include "daemon/config/config_secrets.hpp"
#include "probes/bedrock_converse.hpp"

namespace visionwatch::config_reading {
namespace {

constexpr std::size_t max_region_bytes = 32;

/// "us-east-1", "eu-central-2", "us-gov-west-1": lower-case letters, digits and '-'.
bool valid_region(std::string_view r) {
  if (r.empty() || r.size() > max_region_bytes || r.front() == '-' || r.back() == '-') {
    return false;
  }
  for (const char c : r) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return true;
}

void parse_region(config_reader& reader, const map_reader& m, gateway_config& g) {
  const auto* v = m.get("aws_region");
  if (v != nullptr) {
    if (auto s = reader.scalar(*v, m.at("aws_region"), "an AWS region")) {
      if (valid_region(s->value)) {
        g.aws_region = s->value;
      } else {
        reader.fail(
            *v, m.at("aws_region"), quote(s->shown) + " is not an AWS region (like us-east-1)");
      }
    }
    return;
  }
  if (auto r = bedrock_converse::region_from_url(g.base_url)) {
    g.aws_region = std::move(*r);
  } else if (!g.base_url.empty()) {
    reader.fail(m.line(),
                m.path(),
                "api bedrock-converse needs aws_region: the base_url host is not "
                "bedrock-runtime.<region>.amazonaws.com");
  }
}

/// `aws_credentials: {access_key_id_*, secret_access_key_*, session_token_*}`.
void parse_credentials_map(config_reader& reader, const map_reader& c, gateway_config& g) {
  auto id = read_secret(reader, c, "access_key_id", true);
  auto secret = read_secret(reader, c, "secret_access_key", true);
  auto token = read_secret(reader, c, "session_token", true);
  if (!id.given) {
    reader.fail(c.line(),
                c.path(),
                "missing access_key_id_env, access_key_id_file or "
                "access_key_id_credential");
  }
  if (!secret.given) {
    reader.fail(c.line(),
                c.path(),
                "missing secret_access_key_env, secret_access_key_file or "
                "secret_access_key_credential");
  }
  g.aws_credentials.access_key_id = id.value.value_or("");
  g.aws_credentials.secret_access_key = secret.value.value_or("");
  g.aws_credentials.session_token = token.value.value_or("");
}

/// The SDKs' default: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (optional) AWS_SESSION_TOKEN.
void credentials_from_env(config_reader& reader, const map_reader& m, gateway_config& g) {
  const auto& env = reader.env();
  const auto id = env("AWS_ACCESS_KEY_ID");
  const auto secret = env("AWS_SECRET_ACCESS_KEY");
  if (!id || id->empty() || !secret || secret->empty()) {
    reader.fail(m.line(),
                m.path(),
                "api bedrock-converse needs credentials: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, or aws_credentials, or api_key_* (a Bedrock API key)");
    return;
  }
  g.aws_credentials.access_key_id = *id;
  g.aws_credentials.secret_access_key = *secret;
  g.aws_credentials.session_token = env("AWS_SESSION_TOKEN").value_or("");
}

}  // namespace

void parse_aws(config_reader& reader, const map_reader& m, bool api_key_given, gateway_config& g) {
  if (g.api != api_flavour::bedrock_converse) {
    for (const char* key : {"aws_region", "aws_credentials"}) {
      if (const auto* v = m.get(key)) {
        reader.fail(*v, m.at(key), std::string(key) + " applies only to api: bedrock-converse");
      }
    }
    return;
  }
  parse_region(reader, m, g);
  if (const auto* v = m.get("aws_credentials")) {
    if (api_key_given) {
      reader.fail(*v,
                  m.at("aws_credentials"),
                  "set either api_key_* (a Bedrock API key) or aws_credentials, not both");
      return;
    }
    if (const auto c = m.nested("aws_credentials", config_fields::aws_credentials())) {
      parse_credentials_map(reader, *c, g);
    }
  } else if (!api_key_given) {
    credentials_from_env(reader, m, g);
  }
}

void check_aws_routes(config_document& doc) {
  for (const auto& r : doc.cfg.routes) {
    const gateway_config* g = doc.cfg.find_gateway(r.gateway);
    if (g == nullptr || g->api != api_flavour::bedrock_converse) {
      continue;
    }
    if (r.settings.challenge.media == media_mode::remote_url) {
      doc.reader.fail(r.line,
                      "routes." + r.name + ".challenge.media",
                      "gateway " + quote(g->name) +
                          " is api bedrock-converse, which takes images only as bytes (or S3), "
                          "not URLs: use media: data_url");
    }
  }
}

}  // namespace visionwatch::config_reading
