// SPDX-License-Identifier: GPL-2.0
/*
 * memunmap_pages() kills the pagemap's reference count, waits until no CPU can take a new
 * reference and until the last one is dropped, and only then unmaps the pages. The series
 * waits for an expedited grace period there instead of a normal one (percpu_ref_kill_expedited);
 * these cases check that the wait still holds, through the harness module memmap_bench:
 * - pin_across_unmap: a reference held across the unmap keeps it waiting until it is dropped,
 *   and no new reference is granted once the kill has begun;
 * - release_after_readers: while another CPU stays in an RCU read-side section that saw the
 *   reference live (where percpu_ref_tryget_live() could still take one), the pagemap is not
 *   released: a kill that collects the counts without waiting for a grace period
 *   (patches/broken/percpu-kill-no-grace-period.diff) releases it at once;
 * - hammer: a thread per CPU takes and drops references to every range, and to the one being
 *   unmapped between any two, while all of them are unmapped, in rounds (up to 64, for about
 *   20 s): no unmap may return while the hammer holds a reference to its range, and a
 *   reference count gone wrong warns or oopses in dmesg. A stress test: a kill without the
 *   grace period trips it only if a CPU stalls between reading the reference's mode and
 *   counting itself in, a window of a few instructions (it did not in 2048 unmaps).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hp.h"

#define CTL "/sys/kernel/debug/memmap_bench"
#define RANGE_SIZE (2 * MiB)
#define PIN_HOLD_MS 300
#define READER_HOLD_MS 200
#define HAMMER_RANGES 32
#define HAMMER_ROUNDS 64
#define HAMMER_SECONDS 20

struct status {
	int pin_killed, pin_refused, unmap_after_drop, reader_live, reader_saw_release;
	long hammer_refs, held_after_unmap;
};

static bool read_status(struct status *st)
{
	char *s = read_file(CTL);
	int n;

	CHECK(s, "reading %s: %s", CTL, strerror(errno));
	n = sscanf(s, "pin_killed=%d pin_refused=%d unmap_after_drop=%d hammer_refs=%ld "
		   "held_after_unmap=%ld reader_live=%d reader_saw_release=%d", &st->pin_killed,
		   &st->pin_refused, &st->unmap_after_drop, &st->hammer_refs,
		   &st->held_after_unmap, &st->reader_live, &st->reader_saw_release);
	free(s);
	CHECK(n == 7, "%s: unexpected status", CTL);
	return true;
}

/* Writes CMD and checks that it succeeded; its time in ms in *ms if not NULL. */
static bool ctl(const char *cmd, double *ms)
{
	int err;
	double t = write_file_ms(CTL, cmd, &err);

	CHECK(!err, "writing \"%s\": %s", cmd, strerror(-err));
	if (ms)
		*ms = t;
	return true;
}

static bool load(void)
{
	int err = load_module("memmap_bench");

	CHECK(!err, "loading memmap_bench.ko: %s", strerror(-err));
	return true;
}

static bool pin_across_unmap(void)
{
	char cmd[64];
	double pinned_ms, free_ms;
	struct status st;

	if (!ctl("map 16 2097152", NULL))
		return false;
	snprintf(cmd, sizeof(cmd), "pin 5 %d", PIN_HOLD_MS);
	if (!ctl(cmd, NULL) || !ctl("unmap 5 100", &pinned_ms) || !read_status(&st))
		return false;
	if (!ctl("unmap 6 100", &free_ms) || !ctl("unmap 0 1", NULL))
		return false;
	note("memunmap pinned_ms=%.1f hold_ms=%d unpinned_ms=%.2f", pinned_ms, PIN_HOLD_MS,
	     free_ms);
	CHECK(st.pin_killed, "the pagemap was not killed within 10 s of the unmap's start");
	CHECK(st.pin_refused, "a new reference was granted after the kill");
	CHECK(st.unmap_after_drop, "the unmap returned while a reference was held");
	CHECK(pinned_ms >= PIN_HOLD_MS, "the unmap took %.1f ms, less than the pin's %d ms",
	      pinned_ms, PIN_HOLD_MS);
	return true;
}

static bool release_after_readers(void)
{
	char cmd[64];
	struct status st;
	double ms;
	int i;

	if (!ctl("map 16 2097152", NULL))
		return false;
	for (i = 0; i < 3; i++) {
		snprintf(cmd, sizeof(cmd), "reader %d %d", i, READER_HOLD_MS);
		if (!ctl(cmd, &ms) || !read_status(&st))
			return false;
		note("memunmap under a reader: %.1f ms, reader_live=%d reader_saw_release=%d", ms,
		     st.reader_live, st.reader_saw_release);
		CHECK(st.reader_live, "the reader did not see range %d's reference live", i);
		CHECK(!st.reader_saw_release,
		      "range %d was released inside a read-side section that saw it live", i);
	}
	return ctl("unmap 0 1", NULL);
}

static bool hammer(void)
{
	double ms, total_ms = 0;
	struct timespec t0;
	struct status st;
	char cmd[64];
	int round;

	snprintf(cmd, sizeof(cmd), "map %d %lu", HAMMER_RANGES, RANGE_SIZE);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (round = 0; round < HAMMER_ROUNDS && seconds_since(&t0) < HAMMER_SECONDS; round++) {
		if (!ctl(cmd, NULL) || !ctl("hammer 1 0", NULL))
			return false;
		/* the last unmap stops the hammer before the ranges' memory is freed */
		if (!ctl("unmap 1 2", &ms))
			return false;
		total_ms += ms;
		if (!ctl("unmap 0 2", &ms) || !read_status(&st))
			return false;
		total_ms += ms;
		CHECK(st.hammer_refs > 0, "round %d: the hammer got no reference", round);
		CHECK(st.held_after_unmap == 0,
		      "round %d: %ld unmaps returned while the hammer held a reference", round,
		      st.held_after_unmap);
	}
	note("memunmap hammer rounds=%d ranges=%d unmap_ms_per_range=%.2f last_refs=%ld", round,
	     HAMMER_RANGES, total_ms / (round * HAMMER_RANGES), st.hammer_refs);
	CHECK(dmesg_count("percpu ref") == 0, "a pagemap's count went wrong: see dmesg");
	return true;
}

int main(void)
{
	static const struct hp_case cases[] = {
		{ "load_memmap_bench", load },
		{ "pin_across_unmap", pin_across_unmap },
		{ "release_after_readers", release_after_readers },
		{ "hammer", hammer },
	};

	return hp_run(cases, 4);
}
