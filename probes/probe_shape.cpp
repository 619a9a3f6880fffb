#include "probes/probe_shape.hpp"

#include <string>

#include "probes/adapter.hpp"
#include "probes/challenge.hpp"

namespace visionwatch {

void apply_shape(probe_shape shape, probe_request& request) {
  switch (shape) {
    case probe_shape::system:
      request.system_prompt = shape_system_prompt;
      break;
    case probe_shape::tools:
      request.declare_tool = true;
      break;
    case probe_shape::history:
      request.earlier = earlier_turn{std::string(shape_history_question),
                                     std::string(shape_history_reply)};
      request.prompt.insert(0, shape_history_prefix);
      break;
    case probe_shape::plain:
    case probe_shape::jpeg:
    case probe_shape::webp:
    case probe_shape::gif:
    case probe_shape::rgba:
    case probe_shape::large:
      break;
  }
}

void apply_shape(probe_shape shape, challenge_options& options) {
  switch (shape) {
    case probe_shape::jpeg:
      options.format = image_format::jpeg;
      break;
    case probe_shape::webp:
      options.format = image_format::webp;
      break;
    case probe_shape::gif:
      options.format = image_format::gif;
      break;
    case probe_shape::rgba:
      options.transparent = true;
      break;
    case probe_shape::large:
      options.large = true;
      break;
    case probe_shape::plain:
    case probe_shape::system:
    case probe_shape::tools:
    case probe_shape::history:
      break;
  }
}

}  // namespace visionwatch
