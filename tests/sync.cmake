# Sync, timer and context tests (the sync/time work). Each runs at
# GORO_MAXPROCS=1 and 2 (tests/CMakeLists.txt).
goro_test(sync_mutex SOURCES sync_mutex.c TIMEOUT 60)
goro_test(sync_rwmutex SOURCES sync_rwmutex.c TIMEOUT 60)
goro_test(sync_once SOURCES sync_once.c TIMEOUT 60)
goro_test(sync_cond SOURCES sync_cond.c TIMEOUT 60)
goro_test(sync_wg SOURCES sync_wg.c TIMEOUT 60)
goro_test(sync_fatal SOURCES sync_fatal.c TIMEOUT 60)
