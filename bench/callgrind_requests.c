/* Valgrind client requests for bench/instructions.py: callgrind instruments only from
   start() to stop() (it runs the rest about ten times faster, without counting) and counts
   only the requests between zero() and dump(). Outside valgrind these are a few no-op
   instructions. */
#include <valgrind/callgrind.h>

void bench_start(void) { CALLGRIND_START_INSTRUMENTATION; }

void bench_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; }

void bench_zero(void) { CALLGRIND_ZERO_STATS; }

void bench_dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
