// What an image probe keeps while its request is in flight (issue 14: 10,000 hanging probes).
// prepare_probe draws, encodes and builds the request; after the request is handed to the
// client, the prepared probe must hold no copy of the encoded image.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include "daemon/runtime/probe_runner.hpp"
#include "tests/runtime/probe_job_support.hpp"

namespace {

using namespace visionwatch;

/// Bytes the prepared probe's own strings hold (not counting the request).
std::size_t held_besides_request(const prepared_probe& p) {
  std::size_t n = p.result.expected.capacity() + p.result.route.capacity() +
                  p.expect.answer.capacity() + p.sent_key.capacity() + p.signature.capacity();
  for (const auto& t : p.media_tokens) {
    n += t.capacity();
  }
  return n;
}

TEST_SUITE("unit") {
  TEST_CASE("a prepared digits probe holds its image only in the request body") {
    const auto cfg = test::make_config("http://127.0.0.1:9", "");
    net::io_context io;
    const probe_job job = test::first_route_job(io, cfg, 7);
    prepared_probe p = prepare_probe(job);
    CHECK(p.request.body.find("base64,") != std::string::npos);
    CHECK(p.request.body.size() > 1000);  // the encoded PNG is in the body
    CHECK(held_besides_request(p) < 256);

    // Handing the request to the client leaves the probe without the image.
    const http_request sent = std::move(p.request);
    CHECK(sent.body.size() > 1000);
    CHECK(held_besides_request(p) < 256);
    CHECK(p.request.body.empty());
  }
}

}  // namespace
