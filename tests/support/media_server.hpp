#pragma once
/// A loopback stand-in for the daemon's GET /media/<token>.<ext> (the admin server serves it in
/// the daemon): looks tokens up in a media_store and answers with the image and its type, for
/// the probe runner's `media: remote_url` tests. The store is single-threaded: run_probe puts an
/// image before it sends the request and removes it after the reply, and the gateway's fetch
/// happens in between on this server's thread, so the exchange itself orders the accesses; the
/// mutex guards what the test reads afterwards.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/runtime/media_store.hpp"
#include "daemon/sim/sim_gateway.hpp"

namespace visionwatch::test {

class media_server {
 public:
  media_server() { server_.start(); }
  media_server(const media_server&) = delete;
  media_server& operator=(const media_server&) = delete;

  [[nodiscard]] const std::shared_ptr<media_store>& store() const { return store_; }
  /// What a route's global.media_base_url says: ".../media/".
  [[nodiscard]] std::string base_url() const { return server_.origin() + "/media/"; }
  [[nodiscard]] std::string origin() const { return server_.origin(); }
  /// Requests answered so far, found or not.
  [[nodiscard]] std::size_t fetches() const {
    const std::lock_guard lock(mutex_);
    return fetches_;
  }
  /// Images published now (read under the server's lock).
  [[nodiscard]] std::size_t published() const {
    const std::lock_guard lock(mutex_);
    return store_->size();
  }
  /// "<target> <content type>" of every image served, in order.
  [[nodiscard]] std::vector<std::string> served() const {
    const std::lock_guard lock(mutex_);
    return served_;
  }

 private:
  response_plan handle(const received_request& req) {
    const std::lock_guard lock(mutex_);
    ++fetches_;
    const std::string_view prefix = "/media/";
    const auto* e = req.target.starts_with(prefix)
                        ? store_->find(std::string_view(req.target).substr(prefix.size()),
                                       media_store::clock::now())
                        : nullptr;
    if (e == nullptr) {
      return response_plan::text(404, "not found");
    }
    served_.push_back(req.target + " " + e->mime);
    response_plan p;
    p.headers.emplace_back("Content-Type", e->mime);
    p.body = e->bytes;
    return p;
  }

  std::shared_ptr<media_store> store_ = std::make_shared<media_store>();
  mutable std::mutex mutex_;
  std::size_t fetches_ = 0;
  std::vector<std::string> served_;
  sim_gateway server_{[this](const received_request& req) { return handle(req); }};
};

}  // namespace visionwatch::test
