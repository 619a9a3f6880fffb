#include "daemon/config/config_fields.hpp"
#include "daemon/config/config_fields_support.hpp"
#include "probes/challenge.hpp"
#include "probes/probe_shape.hpp"  // probe_shape_names(), for the shapes: key

namespace visionwatch::config_fields {
namespace {

/// The keys `defaults:` and every route share (config_route_settings.cpp).
std::vector<field> settings_fields() {
  return {
      duration("interval", "Time between probes of a route. Default 60s."),
      duration("timeout", "Deadline of one probe request; at most the interval. Default 30s."),
      duration("baseline_interval",
               "How often the text-only control request re-learns the usage baseline. Default "
               "1h."),
      duration("retry_interval",
               "After a failed probe, the next one this soon instead of at the next interval, "
               "until the route is ok again; at most the interval. Default: a quarter of the "
               "interval, at least 30s, at most the interval."),
      integer("window", 1, 100'000, "Probes in the windowed ratios and quantiles. Default 100."),
      boolean("stream",
              "Ask for a streamed reply and measure time to first token (only for an api that can "
              "stream). Default false."),
      choice_list("shapes",
                  probe_shape_names(),
                  "Probe shapes the route rotates through, one per interval. Default [plain]."),
      map("challenge", challenge, "What the route asks and how the image travels."),
      map("checks", checks, "How a reply is judged besides its answer."),
      map("price", price, "USD per million tokens, for the cost metrics, rule and budgets."),
      map("alerts", alerts, "Alert rules and how often a firing alert is re-sent."),
  };
}

}  // namespace

const table& defaults() {
  static const table t{"defaults", "Route settings every route inherits.", settings_fields()};
  return t;
}

const table& route() {
  static const table t{
      "route",
      "One model probed through one gateway (or a matrix of them), with the route settings.",
      joined({
          {
              text("name",
                   "Unique route name (a metric label); with matrix a template of {gateway} and "
                   "{model}, default {gateway}/{model}.")
                  .matching(R"(^[A-Za-z0-9{][A-Za-z0-9._:/@{}-]*$)")
                  .needed_unless("matrix"),
              text("gateway", "Name of the gateway to probe through.").needed_unless("matrix"),
              text("model", "Model name sent as `model`.").needed_unless("matrix"),
              map("matrix", matrix, "One route per gateway and model (not with gateway or model)."),
          },
          settings_fields(),
      })};
  return t;
}

const table& matrix() {
  static const table t{"matrix",
                       "Expands into one route per gateway and model.",
                       {
                           text("gateway", "One gateway name.").needed_unless("gateways"),
                           list("gateways", "Gateway names.").at_least(1).needed_unless("gateway"),
                           list("models", "Model names.").at_least(1).needed(),
                       }};
  return t;
}

const table& challenge() {
  static const table t{
      "challenge",
      "A generated challenge (kind) or a user-supplied probe (image_file or image_url, prompt, "
      "expect).",
      {
          choice("kind",
                 names_of<challenge_kind>(),
                 "Generated challenge. Default digits. Not with image_file or image_url."),
          integer("width", 64, 4096, "Image width in pixels. Default 512."),
          integer("height", 64, 4096, "Image height in pixels. Default 512."),
          integer("images",
                  1,
                  challenge_max_images,
                  "Generated challenges per probe, in one message. Default 1."),
          choice("media",
                 {"data_url", "remote_url"},
                 "Inline base64 image, or a URL the gateway fetches (needs "
                 "global.media_base_url or image_url). Default data_url."),
          choice("detail", {"low", "high", "auto"}, "The OpenAI detail hint. Default low."),
          integer("max_tokens", 1, 100'000, "Reply token limit. Default 50."),
          number("temperature", 0, 2, "0..2", "Sampling temperature. Default 0."),
          text("image_file",
               "User-supplied probe: a PNG or JPEG file, at most 20 MiB (relative to the "
               "configuration's directory)."),
          url("image_url",
              "User-supplied probe whose image the gateway fetches (media: remote_url)."),
          text("prompt", "The question of a user-supplied probe."),
          map("expect", expect, "The right answer of a user-supplied probe."),
      }};
  return t;
}

const table& expect() {
  static const table t{
      "expect",
      "A right answer: pattern and/or words; replaces an inherited one as a whole.",
      {
          text("pattern", "ECMAScript regular expression, matched case-insensitively.")
              .needed_unless("words"),
          list("words", "Any of these words is a right answer.")
              .at_least(1)
              .needed_unless("pattern"),
      }};
  return t;
}

const table& checks() {
  static const table t{
      "checks",
      "How a reply is judged besides its answer.",
      {
          integer("min_image_tokens",
                  0,
                  1'000'000,
                  "Prompt tokens an image must add over the text-only baseline. Default 50."),
          boolean("require_usage", "A reply without usage fails. Default false."),
          list("no_image_phrases",
               "Phrases meaning \"I got no image\"; replaces the built-in list."),
          list("refusal_phrases", "Phrases meaning a refusal; replaces the built-in list."),
          list("extra_no_image_phrases", "Appended to no_image_phrases."),
          list("extra_refusal_phrases", "Appended to refusal_phrases."),
          text("expect_model",
               "The served model that fits the route: a name prefix, re:<regex>, or off. "
               "Default: the route's model, matched tolerantly."),
      }};
  return t;
}

const table& price() {
  static const table t{
      "price",
      "USD per million tokens.",
      {
          number("input_per_million", 0, 1e6, "0..1000000 USD", "USD per million prompt tokens."),
          number(
              "output_per_million", 0, 1e6, "0..1000000 USD", "USD per million completion tokens."),
      }};
  return t;
}

}  // namespace visionwatch::config_fields
