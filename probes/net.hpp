#pragma once
/// Namespace aliases and the completion-token policy shared by every Asio/Beast user.
/// Expected network outcomes are values: awaited operations use `use_nothrow` and return
/// (error_code, ...) tuples; exceptions are for bugs and start-up.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace boost::beast {}
namespace boost::beast::http {}
namespace boost::asio::ssl {}

namespace visionwatch {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;

inline constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);
}  // namespace visionwatch
