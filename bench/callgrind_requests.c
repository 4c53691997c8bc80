/* Valgrind client requests for bench/instructions.py: callgrind counts only the requests
   between zero() and dump(). Outside valgrind these are a few no-op instructions. */
#include <valgrind/callgrind.h>

void bench_zero(void) { CALLGRIND_ZERO_STATS; }

void bench_dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
