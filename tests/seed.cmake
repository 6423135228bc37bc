# The deterministic mode's explorer (docs/reliability.md): each program
# re-executes itself once per seed with GORO_SEED=k (one thread, a random
# but replayable order of goroutines, select cases and preemptions),
# checks each protocol's invariants, prints every failing seed with the
# command that replays it, and checks that a seed replays the same event
# log. SEED_COUNT=n sets the seeds per protocol (default 2000).
foreach(t seed_chan seed_select seed_sync)
  add_executable(test_${t} ${t}.c)
  target_link_libraries(test_${t} PRIVATE goro_static)
  target_compile_options(test_${t} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  add_test(NAME ${t} COMMAND test_${t})
  set_tests_properties(${t} PROPERTIES TIMEOUT 600)
endforeach()
