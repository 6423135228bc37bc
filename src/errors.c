/* errors.c: goro_strerror, one table for every value the API returns. */
#include <errno.h>
#include <string.h>

#include "../include/goro.h"

/* Not const or pure: the empty asm with a memory clobber keeps even a
 * link-time optimiser from merging two calls across a goroutine switch. */
__attribute__((noinline)) int *goro_errno_location(void) {
  __asm__ __volatile__("" ::: "memory");
  return &(*__errno_location());
}

const char *goro_strerror(int err) {
  switch (err) {
  case 0:
    return "success";
  case -EINVAL:
    return "invalid argument";
  case -ENOMEM:
    return "out of memory";
  case -EAGAIN:
    return "resource temporarily unavailable (would block, or a limit was hit)";
  case -EPIPE:
    return "broken pipe (channel closed)";
  case -ETIMEDOUT:
    return "deadline exceeded";
  case -ECANCELED:
    return "canceled";
  default:
    break;
  }
  if (err < 0 && err > -4096)
    return strerror(-err);
  return err > 0 ? "success" : "unknown error";
}
