# The race-detection contract (docs/reliability.md): Go's race detector
# cases for channels, select and sync, each a program that races or does
# not. Only meaningful under ThreadSanitizer, so only in that build
# (-DGORO_SANITIZE=thread). Each test binary runs every case in its own
# child process under several schedules (GORO_MAXPROCS=1, 2 and a few
# GORO_SEED values) with TSAN_OPTIONS=exitcode=0 halt_on_error=0
# report_signal_unsafe=0, and counts the verdicts (race_harness.h).
if(GORO_SANITIZE STREQUAL "thread")
  foreach(t race_chan race_sync)
    add_executable(test_${t} ${t}.c)
    target_link_libraries(test_${t} PRIVATE goro_static ${CMAKE_DL_LIBS})
    target_compile_options(test_${t} PRIVATE -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)
    add_test(NAME ${t} COMMAND test_${t})
    set_tests_properties(${t} PROPERTIES TIMEOUT 600)
  endforeach()
endif()
