#pragma once
/// Namespace aliases and the completion-token policy shared by every Asio/Beast user.
/// Expected network outcomes are values: awaited operations use `use_nothrow` and return
/// (error_code, ...) tuples; exceptions are for bugs and start-up.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

namespace boost::beast {}
namespace boost::beast::http {}
namespace boost::asio::ssl {}

namespace visionwatch {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;

inline constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);

/// Completion handler for `co_spawn`ed work whose failure is a bug: rethrows it out of
/// `io_context::run()` instead of dropping it (a `co_spawn` completion must check `e` first).
inline void rethrow_on_error(std::exception_ptr e) {
  if (e) {
    std::rethrow_exception(e);
  }
}
}  // namespace visionwatch
