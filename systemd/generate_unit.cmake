# Writes visionwatch.service from visionwatch.service.in with ExecStart in the given bin directory.
# Used by the install rule (at install time, so `cmake --install --prefix X` gets X/bin, not the
# configure-time prefix) and by the tests (with the build tree's binary), so both produce the unit
# the same way. Script mode:
#   cmake -DVISIONWATCH_UNIT_TEMPLATE=... -DVISIONWATCH_UNIT_OUTPUT=... \
#         -DVISIONWATCH_UNIT_PREFIX=/usr -DVISIONWATCH_UNIT_BINDIR=bin -P generate_unit.cmake
foreach(var VISIONWATCH_UNIT_TEMPLATE VISIONWATCH_UNIT_OUTPUT VISIONWATCH_UNIT_PREFIX
            VISIONWATCH_UNIT_BINDIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "generate_unit.cmake: ${var} is not set")
  endif()
endforeach()

if(IS_ABSOLUTE "${VISIONWATCH_UNIT_BINDIR}")
  set(_vw_bindir "${VISIONWATCH_UNIT_BINDIR}")
else()
  set(_vw_bindir "${VISIONWATCH_UNIT_PREFIX}/${VISIONWATCH_UNIT_BINDIR}")
endif()
if(NOT IS_ABSOLUTE "${_vw_bindir}")
  message(FATAL_ERROR "generate_unit.cmake: ExecStart needs an absolute path, got '${_vw_bindir}'")
endif()
cmake_path(NORMAL_PATH _vw_bindir)
# systemd splits ExecStart on whitespace; a quoted path would work but none of ours need one.
if(_vw_bindir MATCHES "[ \t\"'\\\\]")
  message(FATAL_ERROR "generate_unit.cmake: bin directory '${_vw_bindir}' contains a space or quote")
endif()
string(REGEX REPLACE "/$" "" VISIONWATCH_UNIT_BINDIR "${_vw_bindir}")
configure_file("${VISIONWATCH_UNIT_TEMPLATE}" "${VISIONWATCH_UNIT_OUTPUT}" @ONLY)
