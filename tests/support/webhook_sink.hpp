#pragma once
/// A fake webhook receiver for end-to-end alerting tests: a sim_gateway on loopback that records
/// every request (target, headers, body, the status it answered) and answers 200, or another
/// status while told to (a receiver outage). Thread-safe: the server thread records, the test
/// thread reads snapshots and waits for requests with deadlines.

#include <atomic>
#include <boost/core/noncopyable.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/sim/sim_gateway.hpp"
#include "probes/http_types.hpp"

namespace visionwatch::test {

/// One request the sink received.
struct sink_request {
  std::string method;
  std::string target;
  header_list headers;  ///< names lower-cased
  std::string body;
  unsigned answered = 0;  ///< the status the sink replied with
  std::chrono::steady_clock::time_point at;

  [[nodiscard]] std::string header(std::string_view lower_name) const;
};

class webhook_sink : boost::noncopyable {
 public:
  /// Starts serving on 127.0.0.1:0.
  webhook_sink();
  ~webhook_sink();

  /// "http://127.0.0.1:PORT/hook".
  std::string url() const;
  /// The status every following request gets (200 by default; 503 simulates an outage).
  void answer_with(unsigned status) { status_ = status; }

  std::vector<sink_request> requests() const;
  /// The requests answered 2xx (the deliveries the receiver accepted).
  std::vector<sink_request> delivered() const;
  std::size_t count() const;

  /// Waits until `pred(requests())` holds, checking it at every request that arrives, or until
  /// `deadline` passes; the last check runs after the deadline so a late success still counts.
  bool wait_for(const std::function<bool(const std::vector<sink_request>&)>& pred,
                std::chrono::steady_clock::time_point deadline) const;

 private:
  response_plan handle(const received_request& req);

  std::atomic<unsigned> status_{200};
  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::vector<sink_request> requests_;
  sim_gateway server_;
};

}  // namespace visionwatch::test
