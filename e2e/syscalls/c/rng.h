/*
 * A seeded xorshift64 generator for the fuzzing probes: the same sequence
 * natively and in a sandbox. Seed rng_state (not 0) before the first call.
 */
#include <stdint.h>

static uint64_t rng_state = 1;

static uint64_t rng_next(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}
