// SPDX-License-Identifier: GPL-2.0
/*
 * The series' KUnit test of the memory map of ZONE_DEVICE sub-sections (memmap_subsection),
 * loaded as a module, and what it leaves behind: nr_memmap_pages in /proc/vmstat must be back
 * to its value before the test, and no memblock region may keep the UNUSED_VMEMMAP mark.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hp.h"

#define SUITE "memmap_subsection"
#define FAILSLAB "/sys/kernel/debug/failslab"

static long long memmap_pages_before;
static int marks_before;

static bool kunit_suite_passes(void)
{
	int err, cases, failed;
	bool fail_alloc;

	memmap_pages_before = vmstat_value("nr_memmap_pages");
	marks_before = unused_vmemmap_marks();
	CHECK(memmap_pages_before >= 0, "no nr_memmap_pages in /proc/vmstat");
	/*
	 * memblock_failure_keeps_page fails each slab allocation of a re-add in turn (fail-nth,
	 * set by the test on its own task): failslab must count GFP_KERNEL ones; by probability
	 * it never fails.
	 */
	fail_alloc = !write_file(FAILSLAB "/ignore-gfp-wait", "N") &&
		     !write_file(FAILSLAB "/verbose", "2");
	note("failslab for fail-nth: %s", fail_alloc ? "set up" : "not available");
	err = load_module("memmap_subsection_kunit");
	write_file(FAILSLAB "/ignore-gfp-wait", "Y");
	CHECK(!err, "loading memmap_subsection_kunit.ko: %s", strerror(-err));
	CHECK(kunit_suite_results(SUITE, &cases, &failed),
	      "no KUnit results for " SUITE " (CONFIG_KUNIT_DEBUGFS?)");
	/* 5 with the series (with failslab); the baseline's out-of-tree build has the first 3 */
	CHECK(cases == 3 || cases == 5, "the suite reported %d cases, not 3 or 5", cases);
	CHECK(!failed, "%d of the suite's cases failed or were skipped", failed);
	return true;
}

static bool memmap_pages_back(void)
{
	long long after = vmstat_value("nr_memmap_pages");

	note("nr_memmap_pages: %lld before the test, %lld after", memmap_pages_before, after);
	CHECK(after == memmap_pages_before, "the test's memory map was not all freed");
	return true;
}

static bool no_unused_vmemmap_marks_left(void)
{
	int after = unused_vmemmap_marks();

	note("UNUSED_VMEMMAP regions in /sys/kernel/debug/memblock/reserved: %d before, %d after",
	     marks_before, after);
	CHECK(after == marks_before, "marks of the test's ranges are left in memblock");
	return true;
}

int main(void)
{
	static const struct hp_case cases[] = {
		{ "kunit_suite_passes", kunit_suite_passes },
		{ "memmap_pages_back", memmap_pages_back },
		{ "no_unused_vmemmap_marks_left", no_unused_vmemmap_marks_left },
	};

	return hp_run(cases, 3);
}
