# visionwatch_embed_file(TARGET <lib> FILE <path> SYMBOL <name>)
# Turns a binary file into a C++ byte array at configure time, exposed as
#   extern const unsigned char <name>[]; extern const std::size_t <name>_size;
function(visionwatch_embed_file)
  cmake_parse_arguments(E "" "TARGET;FILE;SYMBOL" "" ${ARGN})
  if(NOT EXISTS "${E_FILE}")
    message(FATAL_ERROR "embed: ${E_FILE} not found (run scripts/install-deps)")
  endif()
  set(out "${CMAKE_CURRENT_BINARY_DIR}/embedded_${E_SYMBOL}.cpp")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${E_FILE}")
  if(NOT EXISTS "${out}" OR "${E_FILE}" IS_NEWER_THAN "${out}")
    file(READ "${E_FILE}" hex HEX)
    string(LENGTH "${hex}" hex_len)
    math(EXPR size "${hex_len} / 2")
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
    string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
    file(WRITE "${out}" "// Generated from ${E_FILE}; do not edit.\n#include <cstddef>\n"
         "extern const unsigned char ${E_SYMBOL}[];\nextern const std::size_t ${E_SYMBOL}_size;\n"
         "alignas(16) const unsigned char ${E_SYMBOL}[] = {\n${bytes}};\n"
         "const std::size_t ${E_SYMBOL}_size = ${size};\n")
  endif()
  target_sources(${E_TARGET} PRIVATE "${out}")
endfunction()
