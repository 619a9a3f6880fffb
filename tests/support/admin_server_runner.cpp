#include "tests/support/admin_server_runner.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <future>
#include <stdexcept>

namespace visionwatch::test {

namespace {
// Generous bounds for work that normally takes milliseconds; hitting one is a failure.
constexpr auto marshal_timeout = std::chrono::seconds(10);
}  // namespace

admin_server_runner::admin_server_runner(admin_server_options options, admin_router router) {
  server_.emplace(io_.get_executor(), std::move(options), std::move(router));
  server_->start();
  port_ = server_->port();
  thread_ = std::thread([this] { io_.run(); });
}

admin_server_runner::~admin_server_runner() {
  try {
    if (!stopped_) {
      stop(std::chrono::milliseconds(1000));
    }
  } catch (const std::exception&) {
    // Destructors must not throw; io_.stop() below ends the thread regardless.
  }
  // Every coroutine has finished after stop(), except bounded leftovers (lingering closes);
  // they are abandoned rather than waited for.
  io_.stop();
  thread_.join();
  server_.reset();
}

admin_server_stats admin_server_runner::stats() {
  std::promise<admin_server_stats> promise;
  auto future = promise.get_future();
  net::post(io_, [&] { promise.set_value(server_->stats()); });
  if (future.wait_for(marshal_timeout) != std::future_status::ready) {
    throw std::runtime_error("admin_server_runner: io thread did not answer");
  }
  return future.get();
}

void admin_server_runner::stop(std::chrono::milliseconds grace) {
  stopped_ = true;
  auto future = net::co_spawn(io_, server_->stop(grace), net::use_future);
  if (future.wait_for(grace + marshal_timeout) != std::future_status::ready) {
    throw std::runtime_error("admin_server_runner: stop() did not return");
  }
  future.get();
}

}  // namespace visionwatch::test
