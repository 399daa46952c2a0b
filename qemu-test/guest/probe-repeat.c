// SPDX-License-Identifier: GPL-2.0
/*
 * Probe/remove cycles of one block of memory that mem= hid from the kernel (DT boot): probe,
 * online movable, a pattern written into the block, offline (the pattern migrates out intact),
 * remove; 1000 times (PROBE_CYCLES). Every cycle is checked exactly (the block and its
 * /proc/iomem line come and go, MemTotal and nr_memmap_pages move by the block and its memory
 * map); at the end MemTotal, the blocks, /proc/iomem, nr_memmap_pages and the kernel's page
 * tables (ptdump) are back at their start values, and no page goes missing cycle after cycle:
 * the pages no counter accounts for, SUnreclaim and PageTables are read after every cycle and
 * judged by their trend (see "Leak checks" in Documentation/testing.md).
 *
 * Where the memory map goes: with memory_hotplug.memmap_on_memory=1 probe lets the kernel put a
 * block's memmap in the block itself (altmap), as for an ACPI DIMM, where it is a whole number
 * of PMDs (4K pages). Each cycle checks the placement that applies: the block's first pages are
 * its memmap (self-hosted, never in the buddy) and MemTotal grows by the block less them, or
 * the block is all memory and its memmap came from free memory elsewhere.
 * PROBE_MEMMAP_ON_MEMORY=1 asserts that the parameter is on (scenario probe-memmap-on-memory).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hp.h"

#define PATTERN_SIZE (8 * MiB)	/* fits in any block; TCG fills it in ~40 ms */
#define SEED 0x70726f6265ULL
/* /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h, linux/kernel-page-flags.h) */
#define KPF_BUDDY 10
#define KPF_OWNER_PRIVATE 37	/* PG_owner_priv_1: PG_vmemmap_self_hosted on these pages */

static uint64_t bs, page, addr;
static long block_memmap_pages;		/* the memmap of one block, in pages */
static long memmap_in_block;		/* of which the block carries itself (altmap) */
static int cycles = 1000, warmup = 10;
static struct hp_state start;
static bool found;

/* The end of System RAM in /proc/iomem, rounded up to a block. */
static uint64_t after_system_ram(void)
{
	char *buf = read_file("/proc/iomem"), *line, *save;
	uint64_t end = 0;

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		uint64_t s, e;

		if (line[0] != ' ' && strstr(line, " : System RAM") &&
		    sscanf(line, "%" SCNx64 "-%" SCNx64, &s, &e) == 2 && e + 1 > end)
			end = e + 1;
	}
	free(buf);
	return (end + bs - 1) / bs * bs;
}

static uint64_t be_cells(const unsigned char *p, int cells)
{
	uint64_t v = 0;

	for (int i = 0; i < cells * 4; i++)
		v = v << 8 | p[i];
	return v;
}

/* Is [start, end) memory that the device tree describes (not just a hole mem= skipped)? */
static bool in_device_tree_memory(uint64_t start, uint64_t end)
{
	unsigned char cells[4], reg[256];
	int ac = 2, sc = 2, fd;
	bool in = false;
	char path[256];
	ssize_t n;

	fd = open("/proc/device-tree/#address-cells", O_RDONLY);
	if (fd >= 0 && read(fd, cells, 4) == 4)
		ac = be_cells(cells, 1);
	if (fd >= 0)
		close(fd);
	fd = open("/proc/device-tree/#size-cells", O_RDONLY);
	if (fd >= 0 && read(fd, cells, 4) == 4)
		sc = be_cells(cells, 1);
	if (fd >= 0)
		close(fd);
	for (uint64_t base = 0; base < 1ULL << 40 && !in; base += 1ULL << 30) {
		snprintf(path, sizeof(path), "/proc/device-tree/memory@%" PRIx64 "/reg", base);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, reg, sizeof(reg));
		close(fd);
		for (ssize_t off = 0; off + (ac + sc) * 4 <= n; off += (ac + sc) * 4) {
			uint64_t s = be_cells(reg + off, ac), size = be_cells(reg + off + ac * 4, sc);

			in |= s <= start && end <= s + size;
		}
	}
	return in;
}

/* The kpageflags of @n pages from @pfn: how many are free (buddy) and self-hosted memmap. */
static bool page_flags(uint64_t pfn, long n, long *buddy, long *self_hosted)
{
	uint64_t *flags = malloc(n * sizeof(*flags));
	int fd = open("/proc/kpageflags", O_RDONLY);
	bool ok = fd >= 0 && pread(fd, flags, n * 8, pfn * 8) == n * 8;

	*buddy = *self_hosted = 0;
	for (long i = 0; ok && i < n; i++) {
		*buddy += flags[i] >> KPF_BUDDY & 1;
		*self_hosted += (flags[i] >> KPF_OWNER_PRIVATE & 1) && !(flags[i] >> KPF_BUDDY & 1);
	}
	if (fd >= 0)
		close(fd);
	free(flags);
	return ok;
}

static bool find_hidden_block(void)
{
	const char *want_on = getenv("PROBE_MEMMAP_ON_MEMORY");
	char *param = read_file("/sys/module/memory_hotplug/parameters/memmap_on_memory");
	const char *env = getenv("PROBE_ADDR");

	if (access(MEMORY_SYSFS "/probe", W_OK) || access(MEMORY_SYSFS "/remove", W_OK)) {
		hp_skip("no %s/probe or remove (arm64 without the series has neither)", MEMORY_SYSFS);
		free(param);
		return true;
	}
	bs = memory_block_size();
	page = sysconf(_SC_PAGESIZE);
	CHECK(bs, "no block_size_bytes");
	addr = env ? strtoull(env, NULL, 0) : after_system_ram();
	block_memmap_pages = block_memmap_bytes() / page;
	memmap_in_block = block_memmap_on_memory_bytes() / page;
	note("%" PRIu64 "K pages, %" PRIu64 " MiB blocks, a block's memmap %ld pages; "
	     "memmap_on_memory %.*s: %s", page / 1024, bs / MiB, block_memmap_pages,
	     param ? (int)strcspn(param, "\n") : 1, param ? param : "?",
	     memmap_in_block ? "the memmap goes in the block (a whole PMD)" :
	     param && param[0] == 'Y' ? "a block's memmap is not a whole PMD: it stays in "
					"ordinary memory" : "the memmap stays in ordinary memory");
	if (want_on && atoi(want_on))
		CHECK(param && param[0] == 'Y', "this scenario needs memory_hotplug.memmap_on_memory=1");
	free(param);
	CHECK(addr && addr % bs == 0, "0x%" PRIx64 " is not block aligned", addr);
	CHECK(!block_state(addr / bs), "memory%" PRIu64 " exists already", addr / bs);
	CHECK(!iomem_overlaps(addr, addr + bs, ""), "0x%" PRIx64 " is in /proc/iomem", addr);
	CHECK(in_device_tree_memory(addr, addr + bs),
	      "[0x%" PRIx64 "-0x%" PRIx64 ") is not memory in the device tree: boot with mem=",
	      addr, addr + bs);
	CHECK(hp_state_take(&start), "reading %s", PTDUMP);
	note("block memory%" PRIu64 " at 0x%" PRIx64 " (hidden by mem=); start: MemTotal %lld kB, "
	     "nr_memmap_pages %lld, page-table pages %ld linear map + %ld vmemmap", addr / bs,
	     addr, start.snap.memtotal_kb, start.memmap, start.pt_pages[0], start.pt_pages[1]);
	found = true;
	return true;
}

static bool probe_block(void)
{
	char text[32];
	int err;

	snprintf(text, sizeof(text), "0x%" PRIx64, addr);
	err = write_file(MEMORY_SYSFS "/probe", text);
	CHECK(!err, "probe %s: %s", text, strerror(-err));
	CHECK(block_state(addr / bs) && !strcmp(block_state(addr / bs), "offline"),
	      "memory%" PRIu64 " is %s after the probe", addr / bs,
	      block_state(addr / bs) ?: "missing");
	CHECK(iomem_has(addr, addr + bs, "System RAM"), "no System RAM line for the block");
	CHECK(vmstat_value("nr_memmap_pages") == start.memmap + block_memmap_pages,
	      "nr_memmap_pages %lld, expected %lld + %ld", vmstat_value("nr_memmap_pages"),
	      start.memmap, block_memmap_pages);
	return true;
}

/* Online movable: MemTotal grows by the block less the memmap it carries, which is not free. */
static bool online_block(void)
{
	long long want = start.snap.memtotal_kb + (long long)(bs / 1024) -
			 memmap_in_block * (long long)page / 1024;
	long buddy, self_hosted;
	int err;

	err = set_block_state(addr / bs, "online_movable");
	CHECK(!err, "online_movable: %s", strerror(-err));
	CHECK(!strcmp(valid_zones(addr / bs), "Movable"), "zone %s", valid_zones(addr / bs));
	CHECK(meminfo_kb("MemTotal") == want, "MemTotal %lld kB, expected %lld kB (block %" PRIu64
	      " MiB less %ld memmap pages in it)", meminfo_kb("MemTotal"), want, bs / MiB,
	      memmap_in_block);
	CHECK(page_flags(addr / page, block_memmap_pages, &buddy, &self_hosted),
	      "reading /proc/kpageflags");
	if (memmap_in_block)
		CHECK(self_hosted == memmap_in_block && !buddy,
		      "first %ld pages of the block: %ld self-hosted memmap, %ld free: expected all "
		      "memmap", block_memmap_pages, self_hosted, buddy);
	else
		CHECK(!self_hosted && buddy > block_memmap_pages / 2,
		      "first %ld pages of the block: %ld self-hosted memmap, %ld free: expected free "
		      "memory", block_memmap_pages, self_hosted, buddy);
	return true;
}

/* A pattern in the block (movable allocations prefer ZONE_MOVABLE), migrated out by the offline. */
static bool offline_with_pattern(uint64_t seed)
{
	uint64_t *data = mmap(NULL, PATTERN_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long in_block, pages = PATTERN_SIZE / page;
	size_t bad;
	int err;

	CHECK(data != MAP_FAILED, "mmap");
	pattern_fill(data, PATTERN_SIZE, seed);
	in_block = pages_in_range(data, PATTERN_SIZE, addr, addr + bs);
	CHECK(in_block >= pages / 2, "%ld of %ld pattern pages in the block", in_block, pages);
	err = set_block_state(addr / bs, "offline");
	CHECK(!err, "offline: %s", strerror(-err));
	CHECK(!pages_in_range(data, PATTERN_SIZE, addr, addr + bs), "pattern still in the block");
	bad = pattern_check(data, PATTERN_SIZE, seed);
	CHECK(!bad, "%zu words of the pattern changed by the migration", bad);
	munmap(data, PATTERN_SIZE);
	CHECK(meminfo_kb("MemTotal") == start.snap.memtotal_kb, "MemTotal %lld kB after the offline",
	      meminfo_kb("MemTotal"));
	return true;
}

static bool remove_block(void)
{
	int err = remove_range(addr, bs);

	CHECK(!err, "remove: %s", strerror(-err));
	CHECK(!block_state(addr / bs), "memory%" PRIu64 " still there", addr / bs);
	CHECK(!iomem_overlaps(addr, addr + bs, ""), "the block is still in /proc/iomem");
	CHECK(vmstat_value("nr_memmap_pages") == start.memmap, "nr_memmap_pages %lld, start %lld",
	      vmstat_value("nr_memmap_pages"), start.memmap);
	return true;
}

static bool cycle_once(int i)
{
	return probe_block() && online_block() && offline_with_pattern(SEED ^ i) && remove_block();
}

/*
 * One cycle in detail: where the memory map is. The probe takes the memmap pages from free
 * memory, or (memmap in the block) next to nothing; the first pages of the online block are its
 * memmap (self-hosted, never free) or free memory (online_block() checks the page flags).
 * Free memory also moves with what others allocate and free meanwhile (once in CI, 3851 pages
 * came free during a 64K probe), so the probe is measured up to three times: a wrong placement
 * fails all three.
 */
static bool memmap_placement(void)
{
	const int tries = 3;
	long long used;
	bool as_expected = false;

	if (!found) {
		hp_skip("no probe");
		return true;
	}
	for (int i = 0; i < tries && !as_expected; i++) {
		struct reading before, after;

		if (i)
			CHECK(remove_block(), "remove before measuring again");
		drop_caches();
		take_reading(&before);
		CHECK(probe_block(), "probe");
		take_reading(&after);
		used = before.free + before.pcp - after.free - after.pcp;
		note("probe: nr_memmap_pages +%ld, free memory -%lld pages", block_memmap_pages, used);
		/* half: 64K has 8 memmap pages, a page freed elsewhere must not fail it */
		as_expected = memmap_in_block ? used < block_memmap_pages / 2 :
						used >= block_memmap_pages / 2;
	}
	if (memmap_in_block)
		CHECK(as_expected, "the probe took %lld free pages: its %ld memmap pages did not come "
		      "from the block", used, block_memmap_pages);
	else
		CHECK(as_expected, "the probe took %lld free pages, not its %ld memmap pages", used,
		      block_memmap_pages);
	CHECK(online_block(), "online");
	note("online movable: MemTotal +%lld kB (block %" PRIu64 " kB, %ld memmap pages in it); "
	     "first %ld pages of the block: %s", meminfo_kb("MemTotal") - start.snap.memtotal_kb,
	     bs / 1024, memmap_in_block, block_memmap_pages,
	     memmap_in_block ? "self-hosted memmap, not in the buddy" : "free memory");
	CHECK(offline_with_pattern(SEED), "offline");
	CHECK(remove_block(), "remove");
	note("offline and remove: MemTotal %lld kB, nr_memmap_pages %lld: back at the start",
	     meminfo_kb("MemTotal"), vmstat_value("nr_memmap_pages"));
	return true;
}

static bool cycles_then_start_state(void)
{
	double *seconds = calloc(cycles, sizeof(double));
	struct cycle_readings c;

	if (!found) {
		hp_skip("no probe");
		return true;
	}
	cycle_readings_init(&c, cycles);
	for (int i = 0; i < cycles; i++) {
		struct timespec t0;
		struct reading r;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK(cycle_once(i), "cycle %d", i + 1);
		seconds[i] = seconds_since(&t0);
		if (i < warmup)	/* one-time allocations (slab caches, per-cpu lists) */
			continue;
		cycle_readings_take(&c, &r);
		note("cycle %d: %.3f s; unaccounted %lld (%+lld), SUnreclaim %lld, PageTables %lld, "
		     "free %lld, per-cpu %lld", i + 1, seconds[i], r.unaccounted,
		     r.unaccounted - c.unaccounted[0], r.slab_unreclaimable, r.pagetables, r.free,
		     r.pcp);
	}
	return cycles_verdict("probe/online/pattern/offline/remove cycles", seconds, cycles, &c, &start);
}

int main(void)
{
	static const struct hp_case cases[] = {
		{ "find_hidden_block", find_hidden_block },
		{ "memmap_placement", memmap_placement },
		{ "cycles_then_start_state", cycles_then_start_state },
	};
	cycles = env_int("PROBE_CYCLES", cycles);
	if (cycles < 2)
		return 2;
	warmup = cycles / 10 < 10 ? cycles / 10 : 10;
	return hp_run(cases, sizeof(cases) / sizeof(cases[0]));
}
