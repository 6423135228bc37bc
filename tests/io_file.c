/* io_file.c: regular files go through io_uring or the thread pool (the
 * test runs itself again with GORO_IO_URING=0 to cover the pool), from
 * goroutines and from a plain thread: 64 goroutines pwrite their own
 * blocks of one file, others read them back with pread, goro_read follows
 * the file position, readv/writev scatter and gather, from goroutines and from a thread. */
#include <goro.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/uio.h>

#include "io_fork.h"

#define BLOCK 8192
#define NBLOCK 64

static int fd;
static goro_wg wg = GORO_WG_INIT;
static int bad;

static uint8_t byte_at(int64_t off) { return (uint8_t)(off * 2654435761u >> 13); }

static void writer(void *arg) {
  int i = (int)(intptr_t)arg;
  uint8_t buf[BLOCK];
  for (int k = 0; k < BLOCK; k++)
    buf[k] = byte_at((int64_t)i * BLOCK + k);
  if (goro_pwrite(fd, buf, BLOCK, (int64_t)i * BLOCK) != BLOCK)
    bad = 1;
  goro_wg_done(&wg);
}

static void reader(void *arg) {
  int i = (int)(intptr_t)arg;
  uint8_t buf[BLOCK];
  if (goro_pread(fd, buf, BLOCK, (int64_t)i * BLOCK) != BLOCK)
    bad = 1;
  for (int k = 0; k < BLOCK; k++)
    if (buf[k] != byte_at((int64_t)i * BLOCK + k))
      bad = 1;
  goro_wg_done(&wg);
}

static void *thread_fn(void *arg) {
  uint8_t buf[BLOCK];
  for (int i = 0; i < NBLOCK; i++) {
    if (goro_pread(fd, buf, BLOCK, (int64_t)i * BLOCK) != BLOCK)
      bad = 1;
    if (buf[7] != byte_at((int64_t)i * BLOCK + 7))
      bad = 1;
  }
  return NULL;
}

static void test_main(void *arg) {
  char path[] = "/tmp/goro-io-file-XXXXXX";
  fd = mkstemp(path);
  CHECK(fd >= 0);
  unlink(path);

  goro_wg_add(&wg, NBLOCK);
  for (int i = 0; i < NBLOCK; i++)
    goro_go(writer, (void *)(intptr_t)i);
  goro_wg_wait(&wg);
  CHECK(!bad);

  goro_wg_add(&wg, NBLOCK);
  for (int i = 0; i < NBLOCK; i++)
    goro_go(reader, (void *)(intptr_t)i);
  goro_wg_wait(&wg);
  CHECK(!bad);

  /* goro_read follows and advances the file position. */
  CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
  uint8_t buf[3 * BLOCK];
  int64_t got = 0;
  while (got < (int64_t)sizeof(buf)) {
    int64_t r = goro_read(fd, buf + got, sizeof(buf) - (size_t)got);
    CHECK(r > 0);
    got += r;
  }
  for (int k = 0; k < (int)sizeof(buf); k++)
    CHECK_EQ(buf[k], byte_at(k));
  CHECK_EQ(lseek(fd, 0, SEEK_CUR), 3 * BLOCK);
  /* End of file. */
  CHECK_EQ(lseek(fd, 0, SEEK_END), NBLOCK * BLOCK);
  CHECK_EQ(goro_read(fd, buf, 10), 0);

  /* writev / readv at the position. */
  char a[] = "hello, ", b[] = "files";
  struct iovec wv[2] = {{a, 7}, {b, 5}};
  CHECK_EQ(goro_writev(fd, wv, 2), 12);
  CHECK_EQ(lseek(fd, NBLOCK * BLOCK, SEEK_SET), NBLOCK * BLOCK);
  char x[5], y[7];
  struct iovec rv[2] = {{x, 5}, {y, 7}};
  CHECK_EQ(goro_readv(fd, rv, 2), 12);
  CHECK(memcmp(x, "hello", 5) == 0 && memcmp(y, ", files", 7) == 0);

  /* goro_write appends at the position; wait_fd says ready. */
  CHECK_EQ(goro_write(fd, "!", 1), 1);
  CHECK_EQ(goro_wait_fd(fd, GORO_READABLE | GORO_WRITABLE, GORO_NO_DEADLINE),
           GORO_READABLE | GORO_WRITABLE);

  /* A plain thread reads the same file (it simply blocks). */
  pthread_t th;
  CHECK_EQ(pthread_create(&th, NULL, thread_fn, NULL), 0);
  pthread_join(th, NULL);
  CHECK(!bad);

  /* Bad arguments and a bad fd. */
  CHECK_EQ(goro_pread(fd, buf, 1, -1), -EINVAL);
  CHECK_EQ(goro_close(fd), 0);
  CHECK_EQ(goro_pread(fd, buf, 1, 0), -EBADF);

  /* A read-only fd refuses writes with the system call's error. */
  int ro = open("/dev/null", O_RDONLY);
  int rf = open("/proc/self/exe", O_RDONLY);
  CHECK(ro >= 0 && rf >= 0);
  CHECK_EQ(goro_write(rf, "x", 1), -EBADF);
  CHECK(goro_read(rf, buf, 4) == 4 && memcmp(buf, "\177ELF", 4) == 0);
  goro_close(rf);
  goro_close(ro);
}

static int run(void *arg) {
  CHECK_EQ(goro_run(test_main, NULL), 0);
  printf("io_file ok (%s)\n", (const char *)arg);
  return 0;
}

int main(void) {
  /* The thread pool, in a forked child (the variables are read when the
   * runtime starts its file I/O), then the default (io_uring if the kernel
   * allows it) here. */
  static char out[1 << 14];
  setenv("GORO_IO_URING", "0", 1);
  setenv("GORO_IO_THREADS", "2", 1);
  int st = forked(run, "pool", out, sizeof(out));
  if (st != 0) {
    fprintf(stderr, "pool run: status %d\n%s\n", st, out);
    return 1;
  }
  unsetenv("GORO_IO_URING");
  unsetenv("GORO_IO_THREADS");
  return run("default");
}
