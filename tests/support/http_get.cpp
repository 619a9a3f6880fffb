#include "tests/support/http_get.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "probes/http_client.hpp"

namespace visionwatch::test {

get_result http_get(const std::string& url, std::chrono::milliseconds timeout) {
  net::io_context ioc;
  client_options opts;
  opts.use_env_proxy = false;
  http_client client(ioc.get_executor(), opts);
  http_request req;
  req.method = "GET";
  req.url = url;
  req.timeout = timeout;
  get_result out;
  net::co_spawn(ioc, client.send(std::move(req)), [&](std::exception_ptr e, http_result r) {
    if (e) {
      std::rethrow_exception(e);
    }
    if (!r.ok()) {
      out.error = std::string(to_string(*r.transport_error)) + ": " + r.reason;
      return;
    }
    out.status = r.status;
    out.body = std::move(r.body);
  });
  ioc.run();
  return out;
}

}  // namespace visionwatch::test
