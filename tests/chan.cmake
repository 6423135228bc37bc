# Channel and select tests (the channels work). Each runs at
# GORO_MAXPROCS=1 and 2 (tests/CMakeLists.txt).

# Not a test: the channel work's measuring program (docs/channels.md).
add_executable(chan_perf chan_perf.c)
target_link_libraries(chan_perf PRIVATE goro_static)

goro_test(chan_sieve SOURCES chan_sieve.c TIMEOUT 60)
goro_test(chan_powser SOURCES chan_powser.c TIMEOUT 60)
goro_test(chan_fifo SOURCES chan_fifo.c TIMEOUT 60)
goro_test(chan_nonblock SOURCES chan_nonblock.c TIMEOUT 60)
goro_test(chan_doubleselect SOURCES chan_doubleselect.c TIMEOUT 60)
goro_test(chan_select SOURCES chan_select.c TIMEOUT 60)
target_link_libraries(test_chan_select PRIVATE m)
goro_test(chan_closed SOURCES chan_closed.c TIMEOUT 60)
goro_test(chan_zerosize SOURCES chan_zerosize.c TIMEOUT 60)
goro_test(chan_stress SOURCES chan_stress.c TIMEOUT 60)
goro_test(chan_threads SOURCES chan_threads.c TIMEOUT 60)
goro_test(chan_fatal SOURCES chan_fatal.c TIMEOUT 60)
