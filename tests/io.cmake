# I/O tests and examples (the I/O work: netpoller, I/O API, examples).
# Each test runs at GORO_MAXPROCS=1 and 2 (tests/CMakeLists.txt).

goro_test(io_echo SOURCES io_echo.c TIMEOUT 60)
goro_test(io_deadline SOURCES io_deadline.c TIMEOUT 60)
goro_test(io_peer SOURCES io_peer.c TIMEOUT 60)
goro_test(io_close SOURCES io_close.c TIMEOUT 60)
goro_test(io_emfile SOURCES io_emfile.c TIMEOUT 60)
goro_test(io_deadlock SOURCES io_deadlock.c TIMEOUT 60)
goro_test(io_file SOURCES io_file.c TIMEOUT 60)
goro_test(io_misc SOURCES io_misc.c TIMEOUT 60)

# ---- the examples (examples/*.c), built here and run in their self-checking
# modes at GORO_MAXPROCS=1 and 2. The HTTP ones need http_parser (Debian's
# libhttp-parser-dev); without it they are skipped at configure time.
find_path(GORO_HTTP_PARSER_INCLUDE http_parser.h)
find_library(GORO_HTTP_PARSER_LIB http_parser)

function(goro_io_example name)
  cmake_parse_arguments(E "" "" "ARGS;LIBS;INCLUDES" ${ARGN})
  add_executable(example_${name} ${CMAKE_SOURCE_DIR}/examples/${name}.c)
  target_link_libraries(example_${name} PRIVATE goro_static ${E_LIBS})
  if(E_INCLUDES)
    target_include_directories(example_${name} PRIVATE ${E_INCLUDES})
  endif()
  target_compile_options(example_${name} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  foreach(p 1 2)
    add_test(NAME example_${name}/p${p} COMMAND example_${name} ${E_ARGS})
    set_tests_properties(example_${name}/p${p} PROPERTIES TIMEOUT 60
      ENVIRONMENT "GORO_MAXPROCS=${p}")
  endforeach()
endfunction()

goro_io_example(echo ARGS --selftest 200)
goro_io_example(pipeline ARGS 100000 4)
if(GORO_HTTP_PARSER_INCLUDE AND GORO_HTTP_PARSER_LIB)
  goro_io_example(http_hello ARGS --selftest
    LIBS ${GORO_HTTP_PARSER_LIB} INCLUDES ${GORO_HTTP_PARSER_INCLUDE})
  goro_io_example(crawler ARGS 300 8
    LIBS ${GORO_HTTP_PARSER_LIB} INCLUDES ${GORO_HTTP_PARSER_INCLUDE})
else()
  message(STATUS "goro: http_parser.h / libhttp_parser not found: the "
                 "http_hello and crawler examples are not built "
                 "(apt-get install libhttp-parser-dev)")
endif()
