// Debian's libbenchmark-dev ships no benchmark_main.pc, so the binary brings its own main.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
