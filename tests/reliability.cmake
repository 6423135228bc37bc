# Reliability (docs/reliability.md): the soak's short run, fault injection
# and fork. The long soak is scripts/soak.sh.

# The soak: 5 s at GORO_MAXPROCS=1 and 2; every message accounted for,
# memory flat.
add_executable(test_soak soak.c)
target_link_libraries(test_soak PRIVATE goro_static)
target_compile_options(test_soak PRIVATE -Wall -Wextra -Wno-unused-parameter)
foreach(p 1 2)
  add_test(NAME soak/p${p} COMMAND test_soak 5)
  set_tests_properties(soak/p${p} PROPERTIES TIMEOUT 180
    ENVIRONMENT "GORO_MAXPROCS=${p}")
endforeach()

# Fault injection: GORO_FAULT=malloc|mmap|thread:N for N = 1.. in child
# processes (the test sets GORO_SEED / GORO_MAXPROCS for them itself).
add_executable(test_fault fault.c)
target_link_libraries(test_fault PRIVATE goro_static)
target_compile_options(test_fault PRIVATE -Wall -Wextra -Wno-unused-parameter)
add_test(NAME fault COMMAND test_fault)
set_tests_properties(fault PROPERTIES TIMEOUT 600)

# fork + exec works; the runtime in a forked child without exec is fatal.
goro_test(fork TIMEOUT 60)

# LeakSanitizer scans the used part of live goroutine stacks, and only that.
if(GORO_SANITIZE STREQUAL "address")
  goro_test(lsan_roots TIMEOUT 120)
endif()
