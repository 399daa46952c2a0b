// SPDX-License-Identifier: GPL-2.0
/*
 * 256 ACPI DIMM cycles in one boot, as tp-qemu's hotplug_memory_repeat does: the host adds a
 * pc-dimm (sizes from a mixed sequence of 128 MiB to 1 GiB, multiples of the block size), the
 * guest onlines it movable, writes a pattern that lands in it, offlines it (the pattern
 * migrates out intact) and the host removes it (ACPI eject). Every cycle is checked exactly
 * (blocks, /proc/iomem, MemTotal and nr_memmap_pages move by the DIMM and its memory map); at
 * the end MemTotal, the blocks, /proc/iomem, nr_memmap_pages and the kernel's page tables
 * (ptdump) are back at their start values, and the pages no counter accounts for, SUnreclaim
 * and PageTables, read after every cycle, do not grow (see "Leak checks" in
 * Documentation/testing.md). DIMM_CYCLES sets the count; the time per cycle is noted.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hp.h"

#define PATTERN_SIZE (32 * MiB)
#define SEED 0x64696d6d72ULL

static uint64_t bs, page, sizes[8];
static int nr_sizes, cycles = 256, warmup = 10;
static struct hp_state start;

static bool start_state(void)
{
	/* 1, 5, 3, 8, 2, 7, 4, 6 (x 128 MiB): each size after a different one */
	static const int mixed[] = { 1, 5, 3, 8, 2, 7, 4, 6 };
	char text[128];
	int len = 0;

	bs = memory_block_size();
	page = sysconf(_SC_PAGESIZE);
	CHECK(bs, "no block_size_bytes");
	for (int i = 0; i < 8; i++)
		if (mixed[i] * 128 * MiB % bs == 0)
			sizes[nr_sizes++] = mixed[i] * 128 * MiB;
	for (int i = 0; i < nr_sizes; i++)
		len += snprintf(text + len, sizeof(text) - len, " %" PRIu64, sizes[i] / MiB);
	CHECK(hp_state_take(&start), "reading %s", PTDUMP);
	note("%" PRIu64 "K pages, %" PRIu64 " MiB blocks; DIMM sizes in turn (MiB):%s; start: "
	     "MemTotal %lld kB, nr_memmap_pages %lld, page-table pages %ld linear map + %ld vmemmap",
	     page / 1024, bs / MiB, text, start.snap.memtotal_kb, start.memmap, start.pt_pages[0],
	     start.pt_pages[1]);
	return true;
}

static bool dimm_cycle(int i)
{
	uint64_t size = sizes[i % nr_sizes], addr, end;
	long long memmap = size / page * 64 / page;	/* sizeof(struct page) == 64 */
	long long online_kb = (size - size / bs * block_memmap_on_memory_bytes()) / 1024;
	long in_dimm, pages = PATTERN_SIZE / page;
	char reply[256];
	uint64_t *data;
	size_t bad;

	CHECK(host_request(reply, sizeof(reply), "dimm-add rep%d %" PRIu64, i, size),
	      "host: %s", reply);
	CHECK(sscanf(reply, "ok addr=%" SCNx64, &addr) == 1, "reply '%s'", reply);
	end = addr + size;
	CHECK(wait_blocks(addr, end, true, 20000), "blocks of rep%d not all present after 20 s", i);
	CHECK(iomem_has(addr, end, "System RAM"), "no System RAM line for rep%d", i);
	CHECK(vmstat_value("nr_memmap_pages") == start.memmap + memmap,
	      "nr_memmap_pages %lld, expected %lld + %lld", vmstat_value("nr_memmap_pages"),
	      start.memmap, memmap);
	for (uint64_t nr = addr / bs; nr < end / bs; nr++) {
		CHECK(!strcmp(block_state(nr), "offline"), "memory%" PRIu64 " is %s", nr,
		      block_state(nr));
		CHECK(!set_block_state(nr, "online_movable"), "online_movable memory%" PRIu64, nr);
		CHECK(!strcmp(valid_zones(nr), "Movable"), "memory%" PRIu64 " zone %s", nr,
		      valid_zones(nr));
	}
	CHECK(meminfo_kb("MemTotal") == start.snap.memtotal_kb + online_kb,
	      "MemTotal %lld kB, expected %lld + %lld", meminfo_kb("MemTotal"), start.snap.memtotal_kb,
	      online_kb);

	/* movable allocations prefer ZONE_MOVABLE: the pattern lands in the DIMM */
	data = mmap(NULL, PATTERN_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(data != MAP_FAILED, "mmap");
	pattern_fill(data, PATTERN_SIZE, SEED ^ i);
	in_dimm = pages_in_range(data, PATTERN_SIZE, addr, end);
	CHECK(in_dimm >= pages / 2, "%ld of %ld pattern pages in rep%d", in_dimm, pages, i);
	CHECK(!set_range_state(addr, end, bs, "offline"), "offline rep%d", i);
	CHECK(!pages_in_range(data, PATTERN_SIZE, addr, end), "pattern still in rep%d", i);
	bad = pattern_check(data, PATTERN_SIZE, SEED ^ i);
	CHECK(!bad, "%zu words of the pattern changed by the migration", bad);
	munmap(data, PATTERN_SIZE);
	CHECK(meminfo_kb("MemTotal") == start.snap.memtotal_kb, "MemTotal %lld kB after the offline",
	      meminfo_kb("MemTotal"));

	CHECK(host_request(reply, sizeof(reply), "dimm-del rep%d", i), "host: %s", reply);
	/*
	 * The host's reply comes at _EJ0; the guest's eject then reads the slot's _STA and sends
	 * _OST. A DIMM added before that lands in the same slot: the eject sees it present ("Eject
	 * incomplete") and the baseline loses its device check.
	 */
	CHECK(wait_workqueue_idle("kacpi_hotplug", 20000), "the guest's eject of rep%d goes on",
	      i);
	CHECK(wait_blocks(addr, end, false, 20000), "blocks of rep%d still there", i);
	CHECK(!iomem_overlaps(addr, end, ""), "rep%d still in /proc/iomem", i);
	CHECK(vmstat_value("nr_memmap_pages") == start.memmap, "nr_memmap_pages %lld, start %lld",
	      vmstat_value("nr_memmap_pages"), start.memmap);
	return true;
}

static bool cycles_then_start_state(void)
{
	double *seconds = calloc(cycles, sizeof(double));
	struct cycle_readings c;

	cycle_readings_init(&c, cycles);
	for (int i = 0; i < cycles; i++) {
		struct timespec t0;
		struct reading r;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK(dimm_cycle(i), "cycle %d (%" PRIu64 " MiB)", i + 1, sizes[i % nr_sizes] / MiB);
		seconds[i] = seconds_since(&t0);
		if (i < warmup)	/* one-time allocations (slab caches, per-cpu lists) */
			continue;
		cycle_readings_take(&c, &r);
		note("cycle %d (%" PRIu64 " MiB): %.3f s; unaccounted %lld (%+lld), SUnreclaim %lld, "
		     "PageTables %lld, free %lld, per-cpu %lld", i + 1, sizes[i % nr_sizes] / MiB,
		     seconds[i], r.unaccounted, r.unaccounted - c.unaccounted[0],
		     r.slab_unreclaimable, r.pagetables, r.free, r.pcp);
	}
	return cycles_verdict("dimm-add/online/pattern/offline/dimm-del cycles", seconds, cycles, &c, &start);
}

int main(void)
{
	static const struct hp_case cases[] = {
		{ "start_state", start_state },
		{ "cycles_then_start_state", cycles_then_start_state },
	};
	cycles = env_int("DIMM_CYCLES", cycles);
	if (cycles < 2)
		return 2;
	warmup = cycles / 10 < 10 ? cycles / 10 : 10;
	return hp_run(cases, sizeof(cases) / sizeof(cases[0]));
}
