/*
 * clock.c - reading the clocks (contract in clock.h).
 */
#include "util/clock.h"

int64_t ot_clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) < 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double ot_clock_s(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) < 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t ot_mono_ms(void)
{
	return ot_clock_ns(CLOCK_MONOTONIC) / 1000000;
}

int64_t ot_mono_us(void)
{
	return ot_clock_ns(CLOCK_MONOTONIC) / 1000;
}
