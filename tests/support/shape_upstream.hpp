#pragma once
/// A fake upstream that breaks for one probe shape only, for the shapes tests: it loses the
/// image of every request whose question refers to an earlier turn (shape history, whose
/// question carries shape_history_prefix), as gateways and agents that strip images from older
/// turns do, and answers every other request as a healthy model.

#include <memory>
#include <string>

#include "daemon/sim/sim_model.hpp"
#include "probes/probe_shape.hpp"
#include "tests/support/fake_upstream.hpp"

namespace visionwatch::test {

/// The handler: drops_image_says_so for a request with an image and the history prefix,
/// healthy for the rest (control requests included). Runs on the gateway's thread only.
inline sim_gateway::handler drops_earlier_turn_images() {
  auto model = std::make_shared<sim_model>();
  return [model](const received_request& req) {
    const auto chat = parse_chat_request(req);
    const bool earlier =
        chat && chat->image_url && chat->prompt.find(shape_history_prefix) != std::string::npos;
    return model->respond(req,
                          earlier ? sim_behaviour::drops_image_says_so : sim_behaviour::healthy);
  };
}

}  // namespace visionwatch::test
