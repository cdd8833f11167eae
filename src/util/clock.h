/*
 * clock.h - reading the clocks: time stamps and intervals for timeouts,
 * progress and benchmarks, as integers or as seconds.
 */
#ifndef OT_UTIL_CLOCK_H
#define OT_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

/* The time of clock id (CLOCK_MONOTONIC, CLOCK_REALTIME,
 * CLOCK_PROCESS_CPUTIME_ID, ...) in nanoseconds; 0 if the clock cannot be
 * read (an unknown id). Never fails otherwise. */
int64_t ot_clock_ns(clockid_t id);

/* The same in seconds, with the nanoseconds as the fraction. */
double ot_clock_s(clockid_t id);

/* CLOCK_MONOTONIC in milliseconds and in microseconds: for timeouts and
 * elapsed times (never goes back, does not count suspend). */
int64_t ot_mono_ms(void);
int64_t ot_mono_us(void);

#endif
