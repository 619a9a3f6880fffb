#pragma once
/// A tiny synchronous GET through visionwatch's own http_client on a private io_context, for
/// fetching a URL (any host, http or https) from a test thread. For raw bytes and malformed
/// input on loopback, use raw_http_client instead.

#include <chrono>
#include <string>

namespace visionwatch::test {

struct get_result {
  unsigned status = 0;  ///< 0 on a transport failure
  std::string body;
  std::string error;  ///< transport failure reason
};

get_result http_get(const std::string& url,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace visionwatch::test
