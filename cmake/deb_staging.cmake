# CPACK_PRE_BUILD_SCRIPTS of cmake/packaging.cmake: turns CPack's staging tree (a `cmake --install`
# with DESTDIR, prefix /usr) into the Debian layout before the .deb is made from it. Only CPack
# runs this, so `cmake --install` keeps its own layout (/usr/lib/systemd/system, *.yaml.example).
set(_root "${CPACK_TEMPORARY_INSTALL_DIRECTORY}")
if(NOT IS_DIRECTORY "${_root}/usr/bin")
  message(FATAL_ERROR "deb_staging.cmake: no staging tree at '${_root}'")
endif()

# The unit: Debian 12 packages ship units in /lib/systemd/system (usrmerge has not moved them yet).
set(_unit_from "${_root}/usr/lib/systemd/system/visionwatch.service")
set(_unit_to "${_root}/lib/systemd/system/visionwatch.service")
if(NOT EXISTS "${_unit_from}")
  message(FATAL_ERROR "deb_staging.cmake: the install rules wrote no ${_unit_from}")
endif()
file(READ "${_unit_from}" _unit)
if(NOT _unit MATCHES "\nExecStart=/usr/bin/visionwatch ")
  message(FATAL_ERROR "deb_staging.cmake: the staged unit does not run /usr/bin/visionwatch")
endif()
file(MAKE_DIRECTORY "${_root}/lib/systemd/system")
file(RENAME "${_unit_from}" "${_unit_to}")
foreach(dir usr/lib/systemd/system usr/lib/systemd usr/lib)
  file(GLOB _left "${_root}/${dir}/*")
  if(NOT _left)
    file(REMOVE_RECURSE "${_root}/${dir}")
  endif()
endforeach()

# The configuration: the annotated example becomes the conffile itself (DEBIAN/conffiles).
set(_conf "${_root}/etc/visionwatch")
if(NOT EXISTS "${_conf}/visionwatch.yaml.example")
  message(FATAL_ERROR "deb_staging.cmake: no ${_conf}/visionwatch.yaml.example was installed")
endif()
file(RENAME "${_conf}/visionwatch.yaml.example" "${_conf}/visionwatch.yaml")
# Its editor modeline points at the schema the package installs, not at the source tree's docs/.
file(READ "${_conf}/visionwatch.yaml" _yaml)
string(REPLACE "$schema=../docs/visionwatch.schema.json"
               "$schema=/usr/share/visionwatch/visionwatch.schema.json" _yaml "${_yaml}")
file(WRITE "${_conf}/visionwatch.yaml" "${_yaml}")
# Everything under /etc is a conffile (Debian Policy 10.7.2): dpkg keeps the admin's edits.
file(GLOB_RECURSE _etc LIST_DIRECTORIES false RELATIVE "${_root}" "${_root}/etc/*")
list(SORT _etc)
list(TRANSFORM _etc PREPEND "/")
list(JOIN _etc "\n" _conffiles)
file(WRITE "${CPACK_VISIONWATCH_CONFFILES}" "${_conffiles}\n")

# Debian's documentation files.
set(_doc "${_root}/usr/share/doc/${CPACK_PACKAGE_NAME}")
file(MAKE_DIRECTORY "${_doc}")
string(TIMESTAMP _year "%Y" UTC)
# TODO(lead): the project has no licence yet; name it here (a DEP-5 short name and its text).
file(WRITE "${_doc}/copyright" "\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: visionwatch
Upstream-Contact: ${CPACK_PACKAGE_CONTACT}

Files: *
Copyright: ${_year} ${CPACK_PACKAGE_VENDOR}
License: proprietary
 All rights reserved. No licence to copy, modify or redistribute this software has been granted
 yet; ask the maintainers named above.
")
# A native package's Debian changelog is changelog.gz, compressed with gzip -9n (Policy 12.7).
# SOURCE_DATE_EPOCH, when set, fixes the date (reproducible builds).
string(TIMESTAMP _date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE "${_doc}/changelog" "\
${CPACK_PACKAGE_NAME} (${CPACK_PACKAGE_VERSION}) unstable; urgency=medium

  * Built from the visionwatch sources with scripts/package. The project's
    own changelog is the Changelog section of README.md.

 -- ${CPACK_PACKAGE_CONTACT}  ${_date}
")

# A short man page: what the commands are and where the files and the real documentation live.
set(_man "${_root}/usr/share/man/man1")
file(MAKE_DIRECTORY "${_man}")
file(WRITE "${_man}/visionwatch.1" [[
.TH VISIONWATCH 1 "" "visionwatch @VERSION@" "User Commands"
.SH NAME
visionwatch \- probes LLM vision routes and proves the model saw the image
.SH SYNOPSIS
.B visionwatch
[\fB\-\-log\-level\fR \fIlevel\fR] [\fB\-\-log\-format\fR \fBtext\fR|\fBjson\fR]
\fIcommand\fR [\fIoptions\fR]
.SH DESCRIPTION
For every configured route (gateway, model, API flavour) visionwatch keeps sending a fresh,
seeded image challenge whose answer it knows, and checks that the answer is right, that the model
did not claim there was no image and that the usage fields show an image was processed. It exports
Prometheus metrics, serves a status page and a JSON API, and sends alerts.
.SH COMMANDS
.TP
.B run \-\-config \fIfile\fR
Run the daemon (the systemd unit \fBvisionwatch.service\fR does this).
.TP
.B validate \-c \fIfile\fR
Check a configuration file and report every error; exit 0 when valid, 2 when not.
.TP
.B check
Probe every route N times now and print a scorecard (exit 0 only if all pass).
.TP
.B demo
Run the daemon against a built-in simulated gateway (no API key needed).
.TP
.B challenge
Draw one image challenge and print its seed, question and answer.
.PP
\fBvisionwatch\fR \fIcommand\fR \fB\-\-help\fR lists a command's options.
.SH FILES
.TP
.I /etc/visionwatch/visionwatch.yaml
The configuration read by the systemd unit.
.TP
.I /var/lib/visionwatch
State (alert state, media) when run by systemd.
.TP
.I /usr/share/visionwatch
The Grafana dashboard and the Prometheus rules.
.SH SEE ALSO
.BR systemctl (1),
.I /usr/share/doc/visionwatch/README.md
and the files in
.IR /usr/share/doc/visionwatch/docs .
]])
file(READ "${_man}/visionwatch.1" _page)
string(REPLACE "@VERSION@" "${CPACK_PACKAGE_VERSION}" _page "${_page}")
file(WRITE "${_man}/visionwatch.1" "${_page}")

foreach(file "${_doc}/changelog" "${_man}/visionwatch.1")
  execute_process(COMMAND gzip -9nf "${file}" RESULT_VARIABLE _gzip)
  if(NOT _gzip EQUAL 0)
    message(FATAL_ERROR "deb_staging.cmake: gzip -9n ${file} failed: ${_gzip}")
  endif()
endforeach()

# Directories (CPack's, and this script's) and the files this script wrote got the umask's
# permissions; a package needs 0755 and 0644 whatever the umask of whoever builds it.
file(CHMOD_RECURSE "${_root}"
     DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                           WORLD_READ WORLD_EXECUTE)
foreach(file "${_unit_to}" "${_doc}/copyright" "${_doc}/changelog.gz" "${_man}/visionwatch.1.gz")
  file(CHMOD "${file}" FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()
