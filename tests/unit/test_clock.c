/*
 * test_clock.c - util/clock.c: the helpers agree with clock_gettime, the
 * monotonic clock does not go back, units are right.
 */
#include <criterion/criterion.h>
#include <time.h>

#include "util/clock.h"

static int64_t raw_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

Test(clock, agrees_with_clock_gettime)
{
	int64_t a = raw_ns(CLOCK_MONOTONIC), b = ot_clock_ns(CLOCK_MONOTONIC),
		c = raw_ns(CLOCK_MONOTONIC);

	cr_assert(a <= b && b <= c);
	a = raw_ns(CLOCK_REALTIME) / 1000000000;
	cr_assert_leq((int64_t)ot_clock_s(CLOCK_REALTIME) - a, 1);
	a = raw_ns(CLOCK_MONOTONIC) / 1000000;
	b = ot_mono_ms();
	cr_assert(b >= a && b - a < 1000, "%lld vs %lld", (long long)b, (long long)a);
	a = raw_ns(CLOCK_MONOTONIC) / 1000;
	b = ot_mono_us();
	cr_assert(b >= a && b - a < 1000000);
}

Test(clock, monotonic_and_sleeps_count)
{
	int64_t t0 = ot_mono_us(), t1;
	double s0 = ot_clock_s(CLOCK_MONOTONIC);

	nanosleep(&(struct timespec){0, 20 * 1000000}, NULL);
	t1 = ot_mono_us();
	cr_assert_geq(t1 - t0, 20000);
	cr_assert_geq(ot_clock_s(CLOCK_MONOTONIC) - s0, 0.020);
	cr_assert_gt(ot_clock_ns(CLOCK_PROCESS_CPUTIME_ID), 0);
	cr_assert_eq(ot_clock_ns((clockid_t)-12345), 0, "an unknown clock reads 0");
}
