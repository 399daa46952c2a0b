// SPDX-License-Identifier: GPL-2.0
/*
 * Removal of boot memory (DT boot, movablecore= puts the top of RAM in ZONE_MOVABLE; the 1 GiB
 * extents that hold boot-time allocations, such as the memmap, cannot go offline and are skipped).
 *
 * Without memory_hotplug.remove_boot_memory (and on the baseline kernel) boot memory cannot be
 * offlined. (kexec is loaded only where it must be refused: with 4K pages and 52-bit VAs, a
 * kexec_load that 6.12.117 accepts oopses in trans_pgd_create_copy(), code the series does not
 * touch.) With it, a 1 GiB extent of boot memory is removed: first one block of it, which must
 * be refused where a PUD or CONT_PMD leaf of the linear map covers the extent (rodata=off, 4K and
 * 16K pages) and succeed where the linear map uses pages (rodata=full) or the leaf is the block
 * (64K: a PMD is 512 MiB); then the rest. Every removal is checked against the page tables: the
 * linear map loses exactly the removed memory, the vmemmap exactly the freed memmap, and MemTotal
 * grows by exactly the boot-time page-table and memmap pages that were freed. Then a memory
 * workload runs, kexec is refused, and the extent goes through 410 probe/online/offline/remove
 * cycles (BOOTMEM_CYCLES; BOOTMEM_CYCLE_MIB cycles only the start of the extent) without drift
 * and without a page going missing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hp.h"

#define EXTENT_SIZE (1024 * MiB)
#define SEED 0x626f6f746d656dULL

static uint64_t bs, page;
static int page_shift;
static bool allowed, rodata_off, leaf_covers_blocks;
static uint64_t extents[8], extent;	/* 1 GiB extents of movable boot memory; the one used */
static int nr_extents;
static uint64_t mixed_block;		/* movable, in a 1 GiB extent with kernel-zone memory */
static uint64_t removed_until;		/* [extent, removed_until) is gone */
static int cycles = 410;		/* BOOTMEM_CYCLES= in the environment */
static int warmup_cycles = 10;		/* BOOTMEM_WARMUP= */
static uint64_t cycle_size = EXTENT_SIZE;	/* BOOTMEM_CYCLE_MIB=: cycle only the start of the extent */

/* Table pages that a removal freed: it only unmaps (pass 1 refuses a split), so no table is new. */
static long tables_freed(const struct region_map *before, const struct region_map *after)
{
	return pgtable_pages(before) - pgtable_pages(after);
}

struct accounts {
	long long memtotal_kb, memmap_boot, memmap;
	struct pgtables pt;
};

static bool accounts_take(struct accounts *a)
{
	a->memtotal_kb = meminfo_kb("MemTotal");
	a->memmap_boot = vmstat_value("nr_memmap_boot_pages");
	a->memmap = vmstat_value("nr_memmap_pages");
	return pgtables_read(&a->pt);
}

/*
 * A removal of @size bytes accounted exactly: the linear map lost @size, the vmemmap lost the
 * memmap pages that vmstat stopped counting, and MemTotal grew by the boot-time (memblock)
 * pages that were freed, i.e. the boot memmap and every page-table page the removal emptied
 * (all boot-time here: nothing was added to the extent before).
 */
static bool removal_accounted(const struct accounts *b, const struct accounts *a, uint64_t size)
{
	long long memmap_freed = (b->memmap_boot - a->memmap_boot) + (b->memmap - a->memmap);
	long long tables = tables_freed(&b->pt.linear, &a->pt.linear) +
			   tables_freed(&b->pt.vmemmap, &a->pt.vmemmap);
	long long gained = (a->memtotal_kb - b->memtotal_kb) * 1024 / (long long)page;

	note("linear map -%" PRIu64 " MiB, vmemmap -%" PRIu64 " KiB, memmap pages freed %lld "
	     "(boot %lld), page-table pages freed %lld, MemTotal +%lld pages",
	     (b->pt.linear.bytes - a->pt.linear.bytes) / MiB,
	     (b->pt.vmemmap.bytes - a->pt.vmemmap.bytes) / 1024, memmap_freed,
	     b->memmap_boot - a->memmap_boot, tables, gained);
	CHECK(b->pt.linear.bytes - a->pt.linear.bytes == size,
	      "linear map shrank by %" PRIu64 " bytes, removed %" PRIu64,
	      b->pt.linear.bytes - a->pt.linear.bytes, size);
	CHECK(b->pt.vmemmap.bytes - a->pt.vmemmap.bytes == (uint64_t)memmap_freed * page,
	      "vmemmap shrank by %" PRIu64 " bytes, memmap freed %lld pages",
	      b->pt.vmemmap.bytes - a->pt.vmemmap.bytes, memmap_freed);
	CHECK(memmap_freed > 0, "no memmap was freed");
	CHECK(gained == b->memmap_boot - a->memmap_boot + tables,
	      "MemTotal grew by %lld pages, expected %lld boot memmap + %lld page-table pages",
	      gained, b->memmap_boot - a->memmap_boot, tables);
	return true;
}

/* kexec_load(2) of one page; 0 or -errno. An image that loads is unloaded again. */
static int kexec_load_page(void)
{
	struct { const void *buf; size_t bufsz; uint64_t mem; size_t memsz; } seg;
	static char image[65536];
	long ret;

	seg.buf = image;
	seg.bufsz = page;
	seg.mem = 0x50000000;	/* boot RAM, below ZONE_MOVABLE */
	seg.memsz = page;
	ret = syscall(SYS_kexec_load, seg.mem, 1UL, &seg, 0UL);
	if (ret)
		return -errno;
	syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL);
	return 0;
}

/*
 * Does the linear map have a leaf larger than @size: a PUD (4K pages: 1 GiB) or a contiguous
 * range of PMDs (16 of 2 MiB with 4K pages, 32 of 32 MiB with 16K, 32 of 512 MiB with 64K)?
 * rodata=off uses them where memory allows; rodata=full and debug_pagealloc do not.
 */
static bool linear_map_has_leaves_over(uint64_t size)
{
	uint64_t pmd_size = 1ULL << (2 * page_shift - 3);
	uint64_t cont_pmd_size = (page == 4096 ? 16 : 32) * pmd_size;
	struct pgtables pt;
	bool over = false;

	if (!pgtables_read(&pt))
		return false;
	for (int i = 0; i < pt.linear.nr; i++)
		over |= pt.linear.m[i].level == 2 ||
			(pt.linear.m[i].level == 3 && pt.linear.m[i].cont && cont_pmd_size > size);
	pgtables_free(&pt);
	return over;
}

static bool find_boot_memory(void)
{
	char *cmdline = read_file("/proc/cmdline"), *sw = read_file(REMOVE_BOOT_MEMORY);

	bs = memory_block_size();
	page = sysconf(_SC_PAGESIZE);
	page_shift = __builtin_ctzll(page);
	allowed = sw && sw[0] == 'Y';
	rodata_off = cmdline && strstr(cmdline, "rodata=off");
	free(cmdline);
	free(sw);
	CHECK(access(PTDUMP, R_OK) == 0, "no %s", PTDUMP);
	leaf_covers_blocks = linear_map_has_leaves_over(bs);

	for (uint64_t a = 0; a < 64ULL << 30; a += EXTENT_SIZE) {
		uint64_t first_movable = 0;
		int movable = 0, present = 0;

		for (uint64_t b = a; b < a + EXTENT_SIZE; b += bs) {
			if (!block_state(b / bs))
				continue;
			present++;
			if (strcmp(valid_zones(b / bs), "Movable"))
				continue;
			movable++;
			first_movable = first_movable ? first_movable : b;
		}
		if (movable == (int)(EXTENT_SIZE / bs) &&
		    nr_extents < (int)(sizeof(extents) / sizeof(extents[0])))
			extents[nr_extents++] = a;
		/* the kernel image is mapped apart: its gigabyte is not one leaf */
		else if (movable && movable < present && !mixed_block &&
			 !iomem_overlaps(a, a + EXTENT_SIZE, "Kernel "))
			mixed_block = first_movable;
	}
	note("%" PRIu64 "K pages, %" PRIu64 " MiB blocks, %s (linear map leaves %s the block size), "
	     "remove_boot_memory %s; "
	     "%d movable 1 GiB extent(s), first at 0x%" PRIx64 "; mixed block 0x%" PRIx64,
	     page / 1024, bs / MiB, rodata_off ? "rodata=off" : "rodata=full",
	     leaf_covers_blocks ? "over" : "up to",
	     allowed ? "on" : "off", nr_extents, nr_extents ? extents[0] : 0, mixed_block);
	CHECK(nr_extents, "no 1 GiB extent of boot memory is in ZONE_MOVABLE: boot with movablecore=");
	return true;
}

static bool default_refuses_boot_memory(void)
{
	struct mem_snapshot before, after;
	uint64_t block = extents[0];
	char text[32];
	int err, ok;

	if (allowed) {
		hp_skip("remove_boot_memory is on");
		return true;
	}
	snapshot_take(&before);
	err = set_block_state(block / bs, "offline");
	CHECK(err == -EPERM, "offline of boot block 0x%" PRIx64 ": %s, expected %s", block,
	      err ? strerror(-err) : "success", strerror(EPERM));
	note("offline of movable boot block 0x%" PRIx64 " -> %s", block, strerror(EPERM));
	if (!access(MEMORY_SYSFS "/remove", W_OK)) {
		snprintf(text, sizeof(text), "0x%" PRIx64, block);
		err = write_file(MEMORY_SYSFS "/remove", text);
		CHECK(err == -EPERM, "remove of boot block: %s, expected %s",
		      err ? strerror(-err) : "success", strerror(EPERM));
		note("remove of it -> %s", strerror(EPERM));
	}
	snapshot_take(&after);
	ok = snapshot_same(&before, &after);
	snapshot_free(&before);
	snapshot_free(&after);
	CHECK(ok, "a refused request changed the system");
	return true;
}

/* After a removal of boot memory, a kexec kernel would be handed firmware's memory map with it. */
static bool kexec_refused(void)
{
	int before = dmesg_count("Can't load a kexec kernel: boot memory was removed"), err;

	if (!allowed) {
		hp_skip("remove_boot_memory is off");
		return true;
	}
	err = kexec_load_page();
	CHECK(err == -EBUSY, "kexec_load: %s, expected %s", err ? strerror(-err) : "success",
	      strerror(EBUSY));
	CHECK(dmesg_count("Can't load a kexec kernel: boot memory was removed") == before + 1,
	      "no kernel log line for the refusal");
	note("kexec_load -> %s, logged", strerror(EBUSY));
	return true;
}

static bool offline_refused_in_kernel_leaf(void)
{
	const char *line = "offlining refused: a ";
	int before = dmesg_count(line), err;

	if (!allowed || !mixed_block) {
		hp_skip(!allowed ? "remove_boot_memory is off" : "no movable block beside kernel memory");
		return true;
	}
	err = set_block_state(mixed_block / bs, "offline");
	if (leaf_covers_blocks) {
		CHECK(err == -EBUSY, "offline of 0x%" PRIx64 ": %s, expected %s", mixed_block,
		      err ? strerror(-err) : "success", strerror(EBUSY));
		CHECK(dmesg_count(line) == before + 1, "no kernel log line says why");
		note("offline of 0x%" PRIx64 ", whose leaf also maps kernel memory -> %s",
		     mixed_block, strerror(EBUSY));
	} else {
		CHECK(!err, "offline of 0x%" PRIx64 ": %s", mixed_block, strerror(-err));
		CHECK(!set_block_state(mixed_block / bs, "online_movable"), "online it again");
		note("offline of 0x%" PRIx64 " (no leaf covers more than the block): ok, online again",
		     mixed_block);
	}
	return true;
}

/* Notes the memblock reservations in [start, end): what keeps boot memory from going offline. */
static void note_memblock_reserved(uint64_t start, uint64_t end)
{
	char *buf = read_file("/sys/kernel/debug/memblock/reserved"), *line, *save;

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		uint64_t s, e;

		if (sscanf(line, " %*[^:]: %" SCNx64 "..%" SCNx64, &s, &e) == 2 && s < end &&
		    e >= start)
			note("  memblock reserved %s", line);
	}
	free(buf);
}

/* Offlines a whole extent of movable boot memory; some may hold boot-time allocations. */
static bool offline_an_extent(void)
{
	if (!allowed) {
		hp_skip("remove_boot_memory is off");
		return true;
	}
	for (int i = 0; i < nr_extents; i++) {
		uint64_t a = extents[i];
		int err = set_range_state(a, a + EXTENT_SIZE, bs, "offline");

		if (!err) {
			extent = removed_until = a;
			note("extent [0x%" PRIx64 "-0x%" PRIx64 ") offline", a, a + EXTENT_SIZE);
			return true;
		}
		note("extent 0x%" PRIx64 " does not go offline (%s); trying the next", a,
		     strerror(-err));
		note_memblock_reserved(a, a + EXTENT_SIZE);
		set_range_state(a, a + EXTENT_SIZE, bs, "online_movable");
	}
	CHECK(false, "no movable extent went offline");
}

static bool remove_one_block_of_extent(void)
{
	const char *line = "cannot be removed alone: a ";
	struct mem_snapshot snap_before, snap_after;
	struct accounts b, a;
	int before = dmesg_count(line), err;
	bool same;
	char text[32];

	if (!extent) {
		hp_skip("no extent offline");
		return true;
	}
	CHECK(accounts_take(&b), "reading %s", PTDUMP);
	snapshot_take(&snap_before);
	snprintf(text, sizeof(text), "0x%" PRIx64, extent);
	err = write_file(MEMORY_SYSFS "/remove", text);
	CHECK(accounts_take(&a), "reading %s", PTDUMP);
	snapshot_take(&snap_after);
	same = leaf_covers_blocks && snapshot_same(&snap_before, &snap_after);
	snapshot_free(&snap_before);
	snapshot_free(&snap_after);
	if (leaf_covers_blocks) {
		CHECK(err == -EBUSY, "remove of one block inside a leaf: %s, expected %s",
		      err ? strerror(-err) : "success", strerror(EBUSY));
		CHECK(dmesg_count(line) == before + 1, "no kernel log line says why");
		CHECK(same && a.pt.linear.bytes == b.pt.linear.bytes &&
		      a.pt.vmemmap.bytes == b.pt.vmemmap.bytes, "the refused removal changed things");
		note("remove of block 0x%" PRIx64 " inside a 1 GiB leaf -> %s, nothing changed",
		     extent, strerror(EBUSY));
	} else {
		CHECK(!err, "remove of block 0x%" PRIx64 ": %s", extent, strerror(-err));
		CHECK(!block_state(extent / bs), "the block is still there");
		CHECK(removal_accounted(&b, &a, bs), "accounting");
		removed_until = extent + bs;
		note("remove of block 0x%" PRIx64 ": ok", extent);
	}
	pgtables_free(&b.pt);
	pgtables_free(&a.pt);
	return true;
}

static bool remove_rest_of_extent(void)
{
	uint64_t end = extent + EXTENT_SIZE;
	struct accounts b, a;
	int err;

	if (!extent) {
		hp_skip("no extent offline");
		return true;
	}
	CHECK(accounts_take(&b), "reading %s", PTDUMP);
	err = remove_range(removed_until, end - removed_until);
	CHECK(!err, "remove of [0x%" PRIx64 "-0x%" PRIx64 "): %s", removed_until, end,
	      strerror(-err));
	CHECK(accounts_take(&a), "reading %s", PTDUMP);
	for (uint64_t blk = extent; blk < end; blk += bs)
		CHECK(!block_state(blk / bs), "memory%" PRIu64 " is still there", blk / bs);
	CHECK(!iomem_overlaps(extent, end, "System RAM"),
	      "/proc/iomem still has System RAM in the extent");
	CHECK(removal_accounted(&b, &a, end - removed_until), "accounting");
	note("remove of [0x%" PRIx64 "-0x%" PRIx64 ") in one request: ok", removed_until, end);
	removed_until = end;
	pgtables_free(&b.pt);
	pgtables_free(&a.pt);
	return true;
}

static bool workload_after_removal(void)
{
	size_t bytes = (size_t)meminfo_kb("MemAvailable") * 1024 / 2 & ~(page - 1);

	bytes = bytes < 2048 * MiB ? bytes : 2048 * MiB;	/* TCG fills ~200 MiB/s */
	uint64_t *buf;
	size_t bad;

	if (!extent) {
		hp_skip("nothing removed");
		return true;
	}
	buf = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED, "mmap of %zu bytes", bytes);
	pattern_fill(buf, bytes, SEED);
	bad = pattern_check(buf, bytes, SEED);
	munmap(buf, bytes);
	CHECK(!bad, "%zu words differ", bad);
	note("filled and checked %zu MiB (half of MemAvailable, at most 2 GiB)", bytes / MiB);
	return true;
}

static bool cycle_once(void)
{
	char text[32];

	for (uint64_t a = extent; a < extent + cycle_size; a += bs) {
		snprintf(text, sizeof(text), "0x%" PRIx64, a);
		CHECK(!write_file(MEMORY_SYSFS "/probe", text), "probe %s", text);
		CHECK(!set_block_state(a / bs, "online_movable"), "online_movable %s", text);
	}
	CHECK(!set_range_state(extent, extent + cycle_size, bs, "offline"), "offline");
	CHECK(!remove_range(extent, cycle_size), "remove");
	return true;
}

/*
 * The extent goes through probe/online/offline/remove cycles: MemTotal, the memmap and the kernel
 * mappings must come back exactly, and no page may leak. The pages no counter accounts for, read
 * after every measured cycle (after draining), sit at a level that moves by up to ~40 pages either
 * way a few times a run, whatever its length: a bound on two readings cannot see a page leaked
 * every few cycles, and flakes (the old bound of 32 pages between the first and the last reading
 * failed a correct debug kernel once at 33). A leak keeps growing: the check fails when the
 * least-squares trend of the series rises by a tenth of the measured cycles in pages over the run
 * and the median of each quarter of the run is at least an 80th of them above the one before.
 * One page leaked every 4th cycle: a trend of a quarter of the cycles, quarters a 16th apart.
 */
static bool cycles_without_drift(void)
{
	int measured = cycles - warmup_cycles;
	struct accounts first, last;
	struct timespec t0, t1;
	struct reading r;
	struct drift d;
	long long *y;

	if (removed_until != extent + EXTENT_SIZE || !extent) {
		hp_skip("the extent was not removed");
		return true;
	}
	y = calloc(measured, sizeof(*y));
	CHECK(y, "calloc");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* The first cycles make one-time allocations (slab caches, per-cpu lists): warm up. */
	for (int i = 1; i <= warmup_cycles; i++)
		CHECK(cycle_once(), "cycle %d", i);
	drop_caches();
	CHECK(accounts_take(&first), "reading %s", PTDUMP);
	for (int i = 0; i < measured; i++) {
		CHECK(cycle_once(), "cycle %d", warmup_cycles + 1 + i);
		drop_caches();
		take_reading(&r);
		y[i] = r.unaccounted;
		note("cycle %d: unaccounted %lld (%+lld): free %lld, per-cpu %lld, slab %lld, "
		     "user %lld, kernel %lld, stack depot %lld", warmup_cycles + 1 + i,
		     r.unaccounted, y[i] - y[0], r.free, r.pcp, r.slab, r.user, r.kernel, r.depot);
	}
	CHECK(accounts_take(&last), "reading %s", PTDUMP);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	drift_judge(y, measured, &d);
	note("%d probe/online/offline/remove cycles of %" PRIu64 " MiB of the extent in %.1f s; "
	     "over the last %d: MemTotal %lld -> %lld kB, nr_memmap_pages %lld -> %lld; pages no "
	     "counter accounts for: trend %+.1f over the run (fails at +%d), medians of the quarters "
	     "%+lld %+lld %+lld %+lld (fail if each is %d above the one before)",
	     cycles, cycle_size / MiB,
	     (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, measured,
	     first.memtotal_kb, last.memtotal_kb, first.memmap, last.memmap, d.rise, measured / 10,
	     d.quarter[0], d.quarter[1], d.quarter[2], d.quarter[3], measured / 80);
	free(y);
	CHECK(first.memtotal_kb == last.memtotal_kb, "MemTotal drifted");
	CHECK(first.memmap == last.memmap, "memmap pages drifted");
	CHECK(first.pt.linear.bytes == last.pt.linear.bytes &&
	      first.pt.vmemmap.bytes == last.pt.vmemmap.bytes, "kernel mappings drifted");
	/* Below 200 cycles the noise is as large as the thresholds: no verdict, not a coin toss. */
	if (!d.judged)
		note("%d measured cycles: too few to judge a trend (200 at least)", measured);
	else
		CHECK(!d.leaking,
		      "pages go missing cycle after cycle: %.2f a cycle, one every %.1f cycles",
		      d.rise / (measured - 1), (measured - 1) / d.rise);
	pgtables_free(&first.pt);
	pgtables_free(&last.pt);
	return true;
}

int main(void)
{
	const char *env_cycles = getenv("BOOTMEM_CYCLES"), *env_warmup = getenv("BOOTMEM_WARMUP");
	static const struct hp_case cases[] = {
		{ "find_boot_memory", find_boot_memory },
		{ "default_refuses_boot_memory", default_refuses_boot_memory },
		{ "offline_refused_in_kernel_leaf", offline_refused_in_kernel_leaf },
		{ "offline_an_extent", offline_an_extent },
		{ "remove_one_block_of_extent", remove_one_block_of_extent },
		{ "remove_rest_of_extent", remove_rest_of_extent },
		{ "workload_after_removal", workload_after_removal },
		{ "kexec_refused", kexec_refused },
		{ "cycles_without_drift", cycles_without_drift },
	};

	if (env_warmup && atoi(env_warmup) >= 0)
		warmup_cycles = atoi(env_warmup);
	if (env_cycles && atoi(env_cycles) > warmup_cycles + 1)
		cycles = atoi(env_cycles);
	if (getenv("BOOTMEM_CYCLE_MIB") && atoi(getenv("BOOTMEM_CYCLE_MIB")) > 0 &&
	    atoi(getenv("BOOTMEM_CYCLE_MIB")) * MiB < EXTENT_SIZE)
		cycle_size = atoi(getenv("BOOTMEM_CYCLE_MIB")) * MiB;
	return hp_run(cases, sizeof(cases) / sizeof(cases[0]));
}
