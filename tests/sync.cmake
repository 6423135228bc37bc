# Sync, timer and context tests (the sync/time work). Each runs at
# GORO_MAXPROCS=1 and 2 (tests/CMakeLists.txt).
goro_test(sync_mutex SOURCES sync_mutex.c TIMEOUT 60)
goro_test(sync_rwmutex SOURCES sync_rwmutex.c TIMEOUT 60)
goro_test(sync_once SOURCES sync_once.c TIMEOUT 60)
goro_test(sync_cond SOURCES sync_cond.c TIMEOUT 60)
goro_test(sync_wg SOURCES sync_wg.c TIMEOUT 60)
goro_test(sync_fatal SOURCES sync_fatal.c TIMEOUT 60)
if(GORO_SANITIZE STREQUAL "thread")
  # Deadlock detection compares the process's threads with the runtime's
  # own, and ThreadSanitizer adds a thread of its own: no report then.
  target_compile_definitions(test_sync_fatal PRIVATE SYNC_FATAL_NO_DEADLOCK=1)
endif()
goro_test(time_sleep SOURCES time_sleep.c TIMEOUT 60)
goro_test(time_after SOURCES time_after.c TIMEOUT 60)
goro_test(time_timer SOURCES time_timer.c TIMEOUT 60)
goro_test(time_many SOURCES time_many.c TIMEOUT 120)

# Not a test: the sync/time work's measuring program (tests/sync_perf.sh,
# docs/sync.md, docs/timers.md).
add_executable(sync_perf sync_perf.c)
target_link_libraries(sync_perf PRIVATE goro_static)
goro_test(ctx_tree SOURCES ctx_tree.c TIMEOUT 60)
goro_test(sync_sema SOURCES sync_sema.c TIMEOUT 60)
goro_test(sync_group SOURCES sync_group.c TIMEOUT 60)
goro_test(sync_threads SOURCES sync_threads.c TIMEOUT 60)
