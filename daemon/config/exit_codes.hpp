#pragma once
/// Exit codes shared by every command (documented in the README). They live in the config room,
/// the bottom of daemon/, so that every room that returns an exit code can include them.

namespace visionwatch {

/// Exit codes shared by every subcommand (documented in the README).
inline constexpr int exit_ok = 0;
inline constexpr int exit_failed = 1;    ///< `check`: at least one route failed
inline constexpr int exit_config = 2;    ///< the configuration is invalid or unreadable
inline constexpr int exit_usage = 64;    ///< bad command line (EX_USAGE)
inline constexpr int exit_runtime = 70;  ///< internal or environment error (EX_SOFTWARE)

}  // namespace visionwatch
