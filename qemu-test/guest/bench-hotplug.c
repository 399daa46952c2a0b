// SPDX-License-Identifier: GPL-2.0
/*
 * make bench BENCH=latency, guest side: hot-plug latency against the size, per path, beside
 * its floor, the pre-faulted memset of the memory map of that size, timed in this guest.
 *   BENCH_PATH=dimm:  ACPI DIMM; add = dimm-add until every block is online (auto online:
 *                     memhp_default_state on the command line; manual: the test onlines them
 *                     movable), remove = dimm-del until the host saw the DIMM deleted (auto:
 *                     the kernel's eject offlines the blocks; manual: the test offlines them
 *                     first)
 *   BENCH_PATH=probe: add = probe every block of the range (auto online), remove = offline
 *                     every block + one write of "START,SIZE" to remove
 *   BENCH_PATH=vmem:  virtio-mem device vm0; add = the host's request of the size until
 *                     MemTotal has grown by it (the driver plugs and onlines), remove = the
 *                     request of 0 until MemTotal is back (the driver offlines and unplugs)
 *   BENCH_PATH=bootmem: boot memory (movablecore=, memory_hotplug.remove_boot_memory=1);
 *                     remove as probe does, of an extent no round has used (a range probed
 *                     back is hot-added memory, no longer boot memory), from the top down and
 *                     clear of memblock's reservations; add = probe it back, as probe does.
 *                     BENCH_REQUIRE_INSIDE=1: fail unless a removal after the first add back
 *                     was inside ZONE_MOVABLE's span (a hole in a zone not known contiguous)
 *   BENCH_SIZES: MiB, comma separated; BENCH_ROUNDS: rounds per size; BENCH_SETTLE_MS (100):
 *   the pause before each add and each remove, so that each starts on a quiet system as a
 *   real resize does (back to back, one operation finds the hot-plug lock's RCU state still
 *   warm from the one before: 6.12 then skips the grace period it otherwise pays)
 *   BENCH_DATA_MIB: before each timed removal, fill this much anonymous memory with a
 *                     pattern (user memory lands in the hot-added ZONE_MOVABLE first), check
 *                     it after; notes the pages of it in the range and the pages migrated
 *   BENCH_OFFLINE_ORDER=up: offline the blocks from the bottom (default: down, from the
 *                     top, as the kernel's eject and virtio-mem do: new memory is handed out
 *                     from its bottom, and from there each offline would move it up a block)
 *   BENCH_PROFILE=1: first (after a warm-up round) one add and one remove of
 *                     BENCH_PROFILE_MIB (1024) under the function_graph tracer (a -bench
 *                     kernel), dumped as "# P|" lines for latency-report.py --profile; boot
 *                     memory: the removal of an extent, then its add back
 * One "# bench latency ..." line per round, "# bench floor ..." per size, "# bench ping ..."
 * (the host round trip the dimm path's times include); scripts/bench-report.py reads them.
 * Each round also checks its outcome: MemTotal grew by the size, then is back, and the blocks
 * are gone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "hp.h"

#define STRUCT_PAGE_BYTES 64
#define MAX_SIZES 16
#define DATA_SEED 0xbe9c4da7aULL
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t bs, page_size, probe_base, boot_cursor;
static uint64_t sizes[MAX_SIZES];
static int nr_sizes, rounds, settle_ms;
static const char *path;
static bool auto_online, offline_up, bootmem;
static const char *linear;	/* how the linear map is mapped: "pages" (rodata=full), "blocks" */
static size_t data_bytes;

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static bool all_online(uint64_t start, uint64_t end)
{
	for (uint64_t nr = start / bs; nr < end / bs; nr++) {
		const char *state = block_state(nr);

		if (!state || strcmp(state, "online"))
			return false;
	}
	return true;
}

static bool wait_online(uint64_t start, uint64_t end, int timeout_ms)
{
	double deadline = now_ms() + timeout_ms;

	while (!all_online(start, end)) {
		if (now_ms() > deadline)
			return false;
		usleep(200);
	}
	return true;
}

static bool wait_memtotal(long long kb, int timeout_ms)
{
	double deadline = now_ms() + timeout_ms;

	while (meminfo_kb("MemTotal") != kb) {
		if (now_ms() > deadline)
			return false;
		usleep(200);
	}
	return true;
}

/* Where the driver put its memory: the first "System RAM (virtio_mem)" line, or 0. */
static uint64_t vmem_start(void)
{
	char *iomem = read_file("/proc/iomem"), *line = iomem ? strstr(iomem, "(virtio_mem)") : NULL;
	uint64_t start = 0;

	while (line && line > iomem && line[-1] != '\n')
		line--;
	if (line)
		sscanf(line, " %" SCNx64, &start);
	free(iomem);
	return start;
}

/* Adds @size through the path (probe, bootmem: at @at), onlined; returns its start, 0 on failure. */
static uint64_t add(uint64_t size, int id, uint64_t at)
{
	char reply[256];
	uint64_t start;

	if (!strcmp(path, "vmem")) {
		long long want = meminfo_kb("MemTotal") + (long long)(size / 1024);

		CHECK(host_request(reply, sizeof(reply), "vmem-size vm0 %" PRIu64, size),
		      "host: %s", reply);
		CHECK(wait_memtotal(want, 20000), "MemTotal %lld kB, not %lld, after 20 s",
		      meminfo_kb("MemTotal"), want);
		return vmem_start();
	}
	if (!strcmp(path, "dimm")) {
		CHECK(host_request(reply, sizeof(reply), "dimm-add b%d %" PRIu64, id, size),
		      "host: %s", reply);
		CHECK(sscanf(reply, "ok addr=%" SCNx64, &start) == 1, "reply '%s'", reply);
	} else {
		start = at;
		for (uint64_t a = start; a < start + size; a += bs) {
			char text[32];
			int err;

			snprintf(text, sizeof(text), "0x%" PRIx64, a);
			err = write_file(MEMORY_SYSFS "/probe", text);
			CHECK(!err, "probe %s: %s", text, strerror(-err));
		}
	}
	if (!auto_online) {
		CHECK(wait_blocks(start, start + size, true, 20000), "blocks did not appear");
		CHECK(!set_range_state(start, start + size, bs, "online_movable"), "online_movable");
	}
	CHECK(wait_online(start, start + size, 20000), "blocks not all online after 20 s");
	return start;
}

static bool del(uint64_t start, uint64_t size, int id)
{
	char reply[256];
	int err;

	if (!strcmp(path, "vmem")) {
		long long want = meminfo_kb("MemTotal") - (long long)(size / 1024);

		CHECK(host_request(reply, sizeof(reply), "vmem-size vm0 0"), "host: %s", reply);
		CHECK(wait_memtotal(want, 20000), "MemTotal %lld kB, not %lld, after 20 s",
		      meminfo_kb("MemTotal"), want);
		CHECK(wait_blocks(start, start + size, false, 20000), "blocks still there");
		/* the resource goes last, after the blocks */
		for (double end = now_ms() + 20000; iomem_overlaps(start, start + size, "System RAM");
		     usleep(200))
			CHECK(now_ms() < end, "System RAM still in /proc/iomem after 20 s");
		return true;
	}

	for (uint64_t i = 0; (strcmp(path, "dimm") || !auto_online) && i < size / bs; i++) {
		uint64_t nr = (start + (offline_up ? i * bs : size - (i + 1) * bs)) / bs;

		err = set_block_state(nr, "offline");
		CHECK(!err, "offline memory%" PRIu64 ": %s", nr, strerror(-err));
	}
	if (!strcmp(path, "dimm")) {
		CHECK(host_request(reply, sizeof(reply), "dimm-del b%d", id), "host: %s", reply);
		CHECK(wait_blocks(start, start + size, false, 20000), "blocks still there");
	} else {
		err = remove_range(start, size);
		CHECK(!err, "remove: %s", strerror(-err));
	}
	return true;
}

static bool floor_ms(uint64_t size, double *median)
{
	size_t bytes = size / page_size * STRUCT_PAGE_BYTES;
	double t[rounds];
	char *buf;

	buf = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		   -1, 0);
	CHECK(buf != MAP_FAILED, "mmap %zu bytes", bytes);
	memset(buf, 1, bytes);
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ms();

		memset(buf, r, bytes);
		t[r] = now_ms() - t0;
		note("bench floor size_mib=%" PRIu64 " round=%d ms=%.3f", size / MiB, r + 1, t[r]);
	}
	munmap(buf, bytes);
	qsort(t, rounds, sizeof(t[0]), cmp_double);
	*median = t[rounds / 2];
	return true;
}

static bool ping(void)
{
	char reply[64];
	double t[9];

	if (strcmp(path, "dimm"))
		return true;
	for (int r = 0; r < 9; r++) {
		double t0 = now_ms();

		CHECK(host_request(reply, sizeof(reply), "ping"), "host: %s", reply);
		t[r] = now_ms() - t0;
	}
	qsort(t, 9, sizeof(t[0]), cmp_double);
	note("bench ping ms=%.3f min=%.3f max=%.3f", t[4], t[0], t[8]);
	return true;
}

/* BENCH_DATA_MIB of a pattern, for a removal to migrate; NULL without. */
static uint64_t *data_fill(void)
{
	uint64_t *data;

	if (!data_bytes)
		return NULL;
	data = mmap(NULL, data_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (data == MAP_FAILED)
		return NULL;
	pattern_fill(data, data_bytes, DATA_SEED);
	return data;
}

static bool data_intact(uint64_t *data)
{
	size_t bad = pattern_check(data, data_bytes, DATA_SEED);

	munmap(data, data_bytes);
	CHECK(!bad, "%zu words of the pattern changed by the removal", bad);
	return true;
}

/*
 * The highest extent of @size below boot_cursor whose blocks are all boot memory, online
 * movable and clear of memblock's reservations (the boot memory map and page tables sit at the
 * top of memory); moves the cursor to it. 0 when none is left.
 */
static uint64_t boot_extent(uint64_t size)
{
	for (uint64_t a = boot_cursor; a >= size + bs; a -= bs) {
		uint64_t start = a - size;
		bool ok = !memblock_reserved_overlaps(start, a);

		for (uint64_t b = start; b < a && ok; b += bs) {
			const char *state = block_state(b / bs);

			ok = state && !strcmp(state, "online") && !strcmp(valid_zones(b / bs), "Movable");
		}
		if (ok) {
			boot_cursor = start;
			return start;
		}
	}
	return 0;
}

/*
 * Whether [start, end) lies inside ZONE_MOVABLE's span, clear of its edges: its removal leaves
 * a hole in the zone.
 */
static bool inside_movable_span(uint64_t start, uint64_t end)
{
	char *info = read_file("/proc/zoneinfo"), *zone = info ? strstr(info, "zone  Movable") : NULL;
	char *spanned = zone ? strstr(zone, "spanned") : NULL;
	char *first = zone ? strstr(zone, "start_pfn:") : NULL;
	uint64_t pfn = 0, pages = 0;

	if (spanned)
		sscanf(spanned, "spanned %" SCNu64, &pages);
	if (first)
		sscanf(first, "start_pfn: %" SCNu64, &pfn);
	free(info);
	return pages && start / page_size > pfn && end / page_size < pfn + pages;
}

static bool timed_add(uint64_t size, int id, uint64_t *start, double *ms)
{
	long long total = meminfo_kb("MemTotal");
	double t0;

	drop_caches();
	usleep(settle_ms * 1000);
	t0 = now_ms();
	*start = add(size, id, bootmem ? *start : probe_base);
	*ms = now_ms() - t0;
	CHECK(*start, "add of %" PRIu64 " MiB", size / MiB);
	CHECK(meminfo_kb("MemTotal") == total + (long long)(size / 1024),
	      "MemTotal %lld kB, expected %lld + %" PRIu64, meminfo_kb("MemTotal"), total,
	      size / 1024);
	return true;
}

static bool timed_remove(uint64_t start, uint64_t size, int id, int round, double *ms)
{
	long long total = meminfo_kb("MemTotal"), migrated, gone;
	uint64_t *data = data_fill();
	long in_range;
	double t0;

	CHECK(data || !data_bytes, "mmap of %zu bytes of data", data_bytes);
	in_range = data ? pages_in_range(data, data_bytes, start, start + size) : 0;
	migrated = vmstat_value("pgmigrate_success");
	if (bootmem)
		drop_caches();
	usleep(settle_ms * 1000);
	t0 = now_ms();
	CHECK(del(start, size, id), "remove of %" PRIu64 " MiB", size / MiB);
	*ms = now_ms() - t0;
	migrated = vmstat_value("pgmigrate_success") - migrated;
	if (data) {
		CHECK(data_intact(data), "data");
		note("bench data path=%s size_mib=%" PRIu64 " round=%d data_mib=%zu "
		     "in_range_pages=%ld migrated_pages=%lld order=%s", path, size / MiB, round + 1,
		     data_bytes / MiB, in_range, migrated,
		     !strcmp(path, "dimm") && auto_online ? "eject" : offline_up ? "up" : "down");
	}
	gone = total - meminfo_kb("MemTotal");
	/* boot memory hands its memory map and page tables (1/64 and 1/512 of it) back */
	CHECK(gone == (long long)(size / 1024) ||
	      (bootmem && gone < (long long)(size / 1024) && gone > (long long)(size / 1024 / 32 * 31)),
	      "MemTotal fell by %lld kB, not %" PRIu64, gone, size / 1024);
	/* virtio-mem's device region stays; its System RAM lines go */
	CHECK(!iomem_overlaps(start, start + size, "System RAM"), "still in /proc/iomem");
	return true;
}

static bool latency(void)
{
	int id = 0, inside = 0;

	CHECK(ping(), "host round trip");
	for (int i = 0; i < nr_sizes; i++) {
		uint64_t size = sizes[i];
		double floor;

		CHECK(floor_ms(size, &floor), "floor");
		for (int r = 0; r < rounds; r++, id++) {
			double add_ms, remove_ms;
			uint64_t start = 0;

			if (bootmem) {
				start = boot_extent(size);
				CHECK(start, "no %" PRIu64 " MiB of movable boot memory left below 0x%"
				      PRIx64, size / MiB, boot_cursor);
				/* after the first add back the zone has not been found contiguous */
				inside += id && inside_movable_span(start, start + size);
			} else {
				CHECK(timed_add(size, id, &start, &add_ms), "round %d", r + 1);
			}
			CHECK(timed_remove(start, size, id, r, &remove_ms), "round %d", r + 1);
			if (bootmem)
				CHECK(timed_add(size, id, &start, &add_ms), "round %d", r + 1);
			note("bench latency path=%s online=%s linear=%s size_mib=%" PRIu64 " round=%d "
			     "add_ms=%.3f remove_ms=%.3f floor_ms=%.3f", path,
			     auto_online ? "auto" : "manual", linear, size / MiB, r + 1, add_ms,
			     remove_ms, floor);
		}
	}
	if (bootmem)
		note("%d of %d removals of boot memory were inside ZONE_MOVABLE after an add", inside,
		     id - 1);
	CHECK(!bootmem || inside || !env_int("BENCH_REQUIRE_INSIDE", 0),
	      "no removal was inside ZONE_MOVABLE's span after an add");
	return true;
}

#define TRACING "/sys/kernel/tracing"

/*
 * Traced alone (set_ftrace_filter, or BENCH_PROFILE_FUNCS): nothing else pays for the tracer,
 * so their times are close to untraced ones. BENCH_PROFILE_ROOTS instead traces everything
 * below its functions, to BENCH_PROFILE_DEPTH (12), slower but complete.
 */
static const char *const profile_funcs[] = {
	"acpi_memory_device_add", "__add_memory", "arch_add_memory", "__add_pages",
	"create_memory_block_devices", "memory_subsys_online", "percpu_down_write",
	"online_pages", "move_pfn_range_to_zone", "memmap_init_range", "online_pages_range",
	"undo_isolate_page_range", "build_all_zonelists", "init_per_zone_wmark_min",
	"memory_notify", "memory_subsys_offline", "offline_pages", "lru_cache_disable",
	"start_isolate_page_range", "do_migrate_range", "test_pages_isolated",
	"remove_pfn_range_from_zone", "zone_pcp_disable", "__remove_memory",
	"arch_check_remove_memory", "arch_remove_memory", "__remove_pages",
	"remove_memory_block_devices", "memblock_remove", "release_mem_region_adjustable",
	"acpi_scan_hot_remove",
};

static bool trace_list(const char *file, const char *env, const char *const *names, size_t n)
{
	char *list = getenv(env) ? strdup(getenv(env)) : NULL, *name, *save;

	if (write_file(TRACING "/tracing_on", "0"))
		return false;
	/* appended (no O_TRUNC); a function a kernel lacks (inlined, not built) is noted */
	for (name = list ? strtok_r(list, ",", &save) : NULL; name; name = strtok_r(NULL, ",", &save))
		if (write_file(file, name))
			note("profile: no %s to trace", name);
	for (size_t i = 0; !list && i < n; i++)
		if (write_file(file, names[i]))
			note("profile: no %s to trace", names[i]);
	free(list);
	return true;
}

static bool trace_setup(void)
{
	bool roots = getenv("BENCH_PROFILE_ROOTS");
	char depth[16];

	snprintf(depth, sizeof(depth), "%d", roots ? env_int("BENCH_PROFILE_DEPTH", 12) : 0);
	if (access(TRACING "/trace", W_OK) && mount("tracefs", TRACING, "tracefs", 0, NULL))
		return false;
	if (roots ? !trace_list(TRACING "/set_graph_function", "BENCH_PROFILE_ROOTS", NULL, 0) :
		    !trace_list(TRACING "/set_ftrace_filter", "BENCH_PROFILE_FUNCS", profile_funcs,
				ARRAY_SIZE(profile_funcs)))
		return false;
	return !write_file(TRACING "/buffer_size_kb", "16384") &&
	       !write_file(TRACING "/max_graph_depth", depth) &&
	       !write_file(TRACING "/current_tracer", "function_graph") &&
	       !write_file(TRACING "/options/funcgraph-tail", "1") &&
	       !write_file(TRACING "/options/funcgraph-proc", "1");
}

static void trace_on(void)
{
	/* only an open with O_TRUNC empties the buffer */
	close(open(TRACING "/trace", O_WRONLY | O_TRUNC));
	write_file(TRACING "/tracing_on", "1");
}

static void trace_dump(const char *what)
{
	char *buf, *line, *save;

	write_file(TRACING "/tracing_on", "0");
	buf = read_file(TRACING "/trace");
	printf("# P|begin %s\n", what);
	for (line = buf ? strtok_r(buf, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
		if (line[0] != '#')
			printf("# P|%s\n", line);
	printf("# P|end %s\n", what);
	fflush(stdout);
	free(buf);
}

/* How the memory map is mapped: a slow memmap_init_range() may be a TLB story. */
static void note_vmemmap_leaves(void)
{
	uint64_t bytes[5] = { 0 };
	struct pgtables pt;

	if (!pgtables_read(&pt))
		return;
	for (int i = 0; i < pt.vmemmap.nr; i++)
		bytes[pt.vmemmap.m[i].level] += pt.vmemmap.m[i].end - pt.vmemmap.m[i].start;
	note("profile: vmemmap mapped by PUD %" PRIu64 " KiB, PMD %" PRIu64 " KiB, PTE %" PRIu64
	     " KiB", bytes[2] / 1024, bytes[3] / 1024, bytes[4] / 1024);
	pgtables_free(&pt);
}

static bool profile(void)
{
	uint64_t size = (uint64_t)env_int("BENCH_PROFILE_MIB", 1024) * MiB, start;
	long long migrated;

	if (!path || !env_int("BENCH_PROFILE", 0))
		return true;
	CHECK(trace_setup(), "function_graph tracer: is this a -bench kernel?");
	if (bootmem) {
		/* boot memory goes once: the removal of a fresh extent, then its add back */
		start = boot_extent(size);
		CHECK(start, "no %" PRIu64 " MiB of movable boot memory", size / MiB);
		drop_caches();
		trace_on();
		CHECK(del(start, size, 1000), "profiled remove");
		trace_dump("remove");
		trace_on();
		CHECK(add(size, 1000, start), "profiled add");
		trace_dump("add");
		write_file(TRACING "/current_tracer", "nop");
		return true;
	}
	/* a warm-up round: the timed rounds reuse guest memory the host has backed already */
	start = add(size, 999, probe_base);
	CHECK(start && del(start, size, 999), "warm-up round");
	drop_caches();
	trace_on();
	start = add(size, 1000, probe_base);
	trace_dump("add");
	CHECK(start, "profiled add");
	note_vmemmap_leaves();
	drop_caches();
	migrated = vmstat_value("pgmigrate_success");
	trace_on();
	CHECK(del(start, size, 1000), "profiled remove");
	trace_dump("remove");
	note("profile: the remove migrated %lld pages", vmstat_value("pgmigrate_success") - migrated);
	write_file(TRACING "/current_tracer", "nop");
	return true;
}

/*
 * rodata=full (Debian's default) and debug_pagealloc map the linear map with pages, hot-added
 * memory too: 512 page tables per GiB to write and to free (4K pages), where blocks need none.
 */
static const char *linear_map_leaves(void)
{
	uint64_t in_pages = 0;
	struct pgtables pt;

	if (!pgtables_read(&pt))
		return "unknown";
	/* by bytes: the kernel image's alias keeps its blocks either way */
	for (int i = 0; i < pt.linear.nr; i++)
		if (pt.linear.m[i].level == 4)
			in_pages += pt.linear.m[i].end - pt.linear.m[i].start;
	pgtables_free(&pt);
	return in_pages > pt.linear.bytes / 2 ? "pages" : "blocks";
}

static bool setup(void)
{
	const char *list = getenv("BENCH_SIZES");
	char *copy, *tok, *save, *policy;

	bs = memory_block_size();
	page_size = sysconf(_SC_PAGESIZE);
	path = getenv("BENCH_PATH") ? getenv("BENCH_PATH") : "dimm";
	rounds = env_int("BENCH_ROUNDS", 5);
	settle_ms = env_int("BENCH_SETTLE_MS", 100);
	CHECK(rounds > 0 && rounds <= 64, "BENCH_ROUNDS=%d", rounds);
	CHECK(!strcmp(path, "dimm") || !strcmp(path, "probe") || !strcmp(path, "vmem") ||
	      !strcmp(path, "bootmem"), "BENCH_PATH=%s", path);
	bootmem = !strcmp(path, "bootmem");
	policy = read_file(MEMORY_SYSFS "/auto_online_blocks");
	CHECK(policy, "no %s/auto_online_blocks", MEMORY_SYSFS);
	auto_online = strncmp(policy, "offline", 7);
	free(policy);
	data_bytes = (size_t)env_int("BENCH_DATA_MIB", 0) * MiB;
	offline_up = getenv("BENCH_OFFLINE_ORDER") && !strcmp(getenv("BENCH_OFFLINE_ORDER"), "up");
	copy = strdup(list ? list : "128,1024");
	for (tok = strtok_r(copy, ",", &save); tok && nr_sizes < MAX_SIZES;
	     tok = strtok_r(NULL, ",", &save)) {
		sizes[nr_sizes] = strtoull(tok, NULL, 0) * MiB;
		CHECK(sizes[nr_sizes], "size '%s' MiB", tok);
		/* one list for every page size: 64K pages have 512 MiB blocks */
		if (sizes[nr_sizes] % bs) {
			note("size %s MiB: not a multiple of the %" PRIu64 " MiB block, skipped",
			     tok, bs / MiB);
			continue;
		}
		nr_sizes++;
	}
	free(copy);
	CHECK(nr_sizes, "no size in BENCH_SIZES is a multiple of the block size");
	if (!strcmp(path, "probe") || bootmem) {
		char *allowed = read_file(REMOVE_BOOT_MEMORY);

		if (access(MEMORY_SYSFS "/probe", W_OK) || access(MEMORY_SYSFS "/remove", W_OK)) {
			hp_skip("no probe or remove file: this kernel has no probe path");
			path = NULL;
			free(allowed);
			return true;
		}
		CHECK(!bootmem || (allowed && allowed[0] == 'Y'),
		      "boot memory removal is off: boot with memory_hotplug.remove_boot_memory=1");
		free(allowed);
		/* the memory the kernel was told to leave (mem=): right after boot memory */
		probe_base = cmdline_size("mem=") + 0x40000000ULL;
		/* above boot memory's top block */
		for (boot_cursor = 64ULL << 30; boot_cursor > bs && !block_state(boot_cursor / bs - 1);
		     boot_cursor -= bs)
			;
	}
	linear = linear_map_leaves();
	note("bench setup path=%s online=%s linear=%s block_mib=%" PRIu64 " page=%" PRIu64, path,
	     auto_online ? "auto" : "manual", linear, bs / MiB, page_size);
	return true;
}

static bool run(void)
{
	return !path || latency();
}

int main(void)
{
	static const struct hp_case cases[] = {
		{ "setup", setup },
		{ "profile", profile },
		{ "latency", run },
	};

	return hp_run(cases, ARRAY_SIZE(cases));
}
