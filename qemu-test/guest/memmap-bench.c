// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, device memory: map 1000 ranges of 2 MiB through the harness module memmap_bench,
 * unmap every second one, then the rest; times each step and counts the memblock regions marked
 * UNUSED_VMEMMAP against the vmemmap pages that are partly used at that point.
 * Layouts: "spaced" (one range per vmemmap page's worth of memory, so ranges share no page;
 * both kernels) and "adjacent" (ranges share vmemmap pages with 16K and 64K pages; the
 * baseline only with 4K pages, since it unmaps struct pages in use otherwise).
 * Notes: "bench memmap layout=L map_ms=.. unmap_odd_ms=.. unmap_even_ms=.. ...", and the time of
 * a grace period, normal and expedited ("bench memmap gp_ms=.. gp_expedited_ms=..").
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hp.h"

#define NR_RANGES 1000
#define RANGE_SIZE (2 * MiB)
#define STRUCT_PAGE 64
#define CTL "/sys/kernel/debug/memmap_bench"

static long page_size;

/* vmemmap pages that hold struct pages of mapped ranges and also unused ones. */
static long partial_pages(uint64_t stride, const bool *mapped)
{
	uint64_t memmap_per_range = RANGE_SIZE / page_size * STRUCT_PAGE;
	uint64_t pages = (NR_RANGES * stride / page_size * STRUCT_PAGE) / page_size + 1;
	uint64_t *used = calloc(pages, sizeof(*used)), i, p;
	long partial = 0;

	for (i = 0; i < NR_RANGES; i++) {
		uint64_t start = i * stride / page_size * STRUCT_PAGE, end = start + memmap_per_range;

		if (!mapped[i])
			continue;
		for (p = start / page_size; p * page_size < end; p++) {
			uint64_t lo = p * page_size > start ? p * page_size : start;
			uint64_t hi = (p + 1) * page_size < end ? (p + 1) * page_size : end;

			used[p] += hi - lo;
		}
	}
	for (p = 0; p < pages; p++)
		partial += used[p] && used[p] < (uint64_t)page_size;
	free(used);
	return partial;
}

static bool run_layout(const char *layout, uint64_t stride)
{
	bool mapped[NR_RANGES];
	double map_ms, odd_ms, even_ms;
	int err, i, marks_mapped, marks_half, marks_end;
	long partial_mapped, partial_half;
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "map %d %llu", NR_RANGES, (unsigned long long)stride);
	map_ms = write_file_ms(CTL, cmd, &err);
	CHECK(!err, "%s: %s", cmd, strerror(-err));
	for (i = 0; i < NR_RANGES; i++)
		mapped[i] = true;
	marks_mapped = unused_vmemmap_marks();
	partial_mapped = partial_pages(stride, mapped);
	odd_ms = write_file_ms(CTL, "unmap 1 2", &err);
	CHECK(!err, "unmap 1 2: %s", strerror(-err));
	for (i = 1; i < NR_RANGES; i += 2)
		mapped[i] = false;
	marks_half = unused_vmemmap_marks();
	partial_half = partial_pages(stride, mapped);
	even_ms = write_file_ms(CTL, "unmap 0 2", &err);
	CHECK(!err, "unmap 0 2: %s", strerror(-err));
	marks_end = unused_vmemmap_marks();
	note("bench memmap layout=%s page_kib=%ld map_ms=%.1f unmap_odd_ms=%.1f unmap_even_ms=%.1f "
	     "marks_mapped=%d partial_mapped=%ld marks_half=%d partial_half=%ld marks_end=%d",
	     layout, page_size / 1024, map_ms, odd_ms, even_ms, marks_mapped, partial_mapped,
	     marks_half, partial_half, marks_end);
	CHECK(marks_end == 0, "%d UNUSED_VMEMMAP regions left after the last unmap", marks_end);
	return true;
}

static bool spaced(void)
{
	uint64_t per_page = (uint64_t)page_size / STRUCT_PAGE * page_size;

	return run_layout("spaced", per_page > RANGE_SIZE ? per_page : RANGE_SIZE);
}

static bool adjacent(void)
{
	/* The series adds the remove file; the baseline frees struct pages in use here. */
	if (page_size != 4096 && access(MEMORY_SYSFS "/remove", F_OK)) {
		hp_skip("the baseline unmaps struct pages in use with %ld KiB pages",
			page_size / 1024);
		return true;
	}
	return run_layout("adjacent", RANGE_SIZE);
}

/* What the unmaps wait for: a grace period, normal and expedited, in this guest. */
static bool grace_periods(void)
{
	double normal_ms, expedited_ms;
	int err;

	normal_ms = write_file_ms(CTL, "gp 100 0", &err);
	CHECK(!err, "gp 100 0: %s", strerror(-err));
	expedited_ms = write_file_ms(CTL, "gp 100 1", &err);
	CHECK(!err, "gp 100 1: %s", strerror(-err));
	note("bench memmap gp_ms=%.2f gp_expedited_ms=%.3f", normal_ms / 100, expedited_ms / 100);
	return true;
}

static bool load(void)
{
	int err = load_module("memmap_bench");

	page_size = sysconf(_SC_PAGESIZE);
	CHECK(!err, "loading memmap_bench.ko: %s", strerror(-err));
	return true;
}

int main(void)
{
	static const struct hp_case cases[] = {
		{ "load_memmap_bench", load },
		{ "spaced", spaced },
		{ "adjacent", adjacent },
		{ "grace_periods", grace_periods },
	};

	return hp_run(cases, 4);
}
