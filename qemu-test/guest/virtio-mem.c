// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mem, the hot-(un)plug path of arm64 VMs without ACPI DIMMs (Kata, Firecracker,
 * cloud-hypervisor): on a DT-booted guest the host sets the requested size of a virtio-mem-pci
 * device ("vmem-size vm0 SIZE") and the guest's driver plugs or unplugs memory in its own units,
 * adding and removing whole memory blocks as it goes. The driver owns these blocks: the
 * series' sysfs "remove" must refuse them, and a user's "offline" must not confuse the driver.
 *
 * Cases: the boot state (nothing plugged, auto_online_blocks = online_movable); the sizes the
 * driver chose; a plug of 1 GiB (blocks online movable, MemTotal up by exactly 1 GiB, one
 * "System RAM (virtio_mem)" line); "remove" refusing the blocks (EPERM, nothing changed;
 * skipped on the baseline, which has no such file); a user's offline (allowed, the memory stays
 * plugged, the next unplug takes it first); a pattern surviving an unplug to half; an unplug to
 * 0 (the boot state again); grow/shrink cycles without drift (VMEM_CYCLES, VMEM_MIN_BLOCKS,
 * VMEM_SLAB_BOUND_KB).
 *
 * The driver's unit comes from the page size: a subblock of max(device block, pageblock) when
 * that is smaller than a memory block (SBM: 2 MiB with 4K pages, 32 MiB with 16K), otherwise a
 * "big block" of max(device block, memory block) (BBM: 512 MiB with 64K pages, where a pageblock
 * is a memory block). Every size this test asks for is a multiple of that unit: the driver never
 * plugs part of one, and a request between two units is never reached.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hp.h"

#define DEVICE_ID "vm0"		/* the -device virtio-mem-pci id= of the scenario */
#define DRIVER_DIR "/sys/bus/virtio/drivers/virtio_mem"
#define VMEM_RAM "System RAM (virtio_mem)"
/* how long the driver may take to add or remove blocks after the host's size moved */
#define SETTLE_MS 30000
#define SEED 0x76697274696fULL
#define KPF_DIRTY 4			/* /proc/kpageflags */

static struct mem_snapshot boot;
static uint64_t bs, page;
static char vdev[32];			/* virtioN: the device, also its /proc/iomem line */
static uint64_t dev_start, dev_size;	/* the device's region */
static uint64_t dev_block, unit;	/* device block size; what the driver plugs at a time */
static uint64_t chunk;			/* max(unit, memory block) */
static uint64_t plug_size;
static bool sbm;
static int cycles = 20;			/* VMEM_CYCLES= in the environment */
static int min_blocks = 200;		/* VMEM_MIN_BLOCKS= */
static long long slab_bound_kb = -1;	/* VMEM_SLAB_BOUND_KB=; see cycles_without_drift() */

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* The first line of /proc/iomem named exactly @name, at any depth. */
static bool iomem_find(const char *name, uint64_t *start, uint64_t *end)
{
	char *buf = read_file("/proc/iomem"), *line, *save, *colon;
	bool found = false;

	for (line = strtok_r(buf, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		colon = strstr(line, " : ");
		found = colon && !strcmp(colon + 3, name) &&
			sscanf(line, " %" SCNx64 "-%" SCNx64, start, end) == 2;
	}
	free(buf);
	if (found)
		(*end)++;
	return found;
}

/* Bytes of the "System RAM (virtio_mem)" lines in the device's region, and how many lines. */
static uint64_t vmem_iomem_bytes(int *lines)
{
	char *buf = read_file("/proc/iomem"), *line, *save, *colon;
	uint64_t bytes = 0, s, e;

	*lines = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		colon = strstr(line, " : ");
		if (colon && !strcmp(colon + 3, VMEM_RAM) &&
		    sscanf(line, " %" SCNx64 "-%" SCNx64, &s, &e) == 2 &&
		    s >= dev_start && e < dev_start + dev_size) {
			bytes += e + 1 - s;
			(*lines)++;
		}
	}
	free(buf);
	return bytes;
}

/* Memory blocks in the device's region: how many exist, how many are online. */
static int region_blocks(int *online)
{
	int present = 0;

	*online = 0;
	for (uint64_t a = dev_start; a < dev_start + dev_size; a += bs) {
		const char *st = block_state(a / bs);

		present += !!st;
		*online += st && !strcmp(st, "online");
	}
	return present;
}

static long long expected_memtotal_kb(uint64_t plugged, uint64_t offline)
{
	return boot.memtotal_kb + (long long)((plugged - offline) / 1024);
}

/*
 * The host's size reaches the request when the driver has (un)plugged the memory with the
 * device; it adds and onlines, or offlines and removes, the blocks around that. Wait for the
 * guest's view: MemTotal grown by exactly the plugged size (the memmap of hot-plugged memory
 * comes from boot memory, and the unplugged parts of a block are never counted), one memory
 * block per started memory block of plugged memory, all of them online (a block's state
 * changes after its pages were counted), and as much System RAM in /proc/iomem (removal drops
 * the blocks' sysfs devices before it tears down the mapping and releases the resource).
 */
static bool wait_settled(uint64_t plugged)
{
	long long want_kb = expected_memtotal_kb(plugged, 0), kb = 0;
	int want_blocks = (plugged + bs - 1) / bs, blocks = 0, online = 0, lines;
	uint64_t ram = 0;

	for (int ms = 0; ms <= SETTLE_MS; ms += 20) {
		kb = meminfo_kb("MemTotal");
		blocks = region_blocks(&online);
		ram = vmem_iomem_bytes(&lines);
		if (kb == want_kb && blocks == want_blocks && online == want_blocks &&
		    ram == want_blocks * bs)
			return true;
		usleep(20 * 1000);
	}
	note("not settled at %" PRIu64 " MiB plugged after %d s: MemTotal %lld kB, expected %lld "
	     "kB; %d blocks in the region, %d online, expected %d; %" PRIu64 " MiB of %s",
	     plugged / MiB, SETTLE_MS / 1000, kb, want_kb, blocks, online, want_blocks,
	     ram / MiB, VMEM_RAM);
	return false;
}

/* Ask the host for @size bytes; true once the host and the guest got there. */
static bool resize(uint64_t size)
{
	char reply[256];

	if (!host_request(reply, sizeof(reply), "vmem-size %s %" PRIu64, DEVICE_ID, size)) {
		note("host: %s", reply);
		return false;
	}
	return wait_settled(size);
}

/* Every block of [start, end) online in ZONE_MOVABLE. */
static bool online_movable(uint64_t start, uint64_t end)
{
	for (uint64_t nr = start / bs; nr < end / bs; nr++) {
		const char *st = block_state(nr);

		CHECK(st && !strcmp(st, "online"), "memory%" PRIu64 " is %s", nr,
		      st ? st : "absent");
		CHECK(!strcmp(valid_zones(nr), "Movable"), "memory%" PRIu64 " zone '%s'", nr,
		      valid_zones(nr));
	}
	return true;
}

static bool find_device(void)
{
	DIR *dir = opendir(DRIVER_DIR);
	struct dirent *de;

	vdev[0] = '\0';
	while (dir && (de = readdir(dir)))
		if (!strncmp(de->d_name, "virtio", 6) && !vdev[0])
			snprintf(vdev, sizeof(vdev), "%.31s", de->d_name);
	if (dir)
		closedir(dir);
	return vdev[0];
}

/* "Page block order" of /proc/pagetypeinfo, as bytes. */
static uint64_t pageblock_bytes(void)
{
	char *text = read_file("/proc/pagetypeinfo"), *p;
	uint64_t bytes = 0;

	p = text ? strstr(text, "Pages per block:") : NULL;
	if (p)
		bytes = strtoull(p + 16, NULL, 10) * page;
	free(text);
	return bytes;
}

static bool boot_state(void)
{
	uint64_t s, e;
	int lines, online, err;
	char *mode;

	snapshot_take(&boot);
	bs = memory_block_size();
	page = sysconf(_SC_PAGESIZE);
	CHECK(bs, "no %s/block_size_bytes", MEMORY_SYSFS);
	CHECK(find_device(), "no device bound to %s: is there a virtio-mem-pci in qemu_args?",
	      DRIVER_DIR);
	CHECK(iomem_find(vdev, &dev_start, &s), "no /proc/iomem line '%s'", vdev);
	dev_size = s - dev_start;
	CHECK(region_blocks(&online) == 0, "memory blocks in %s's region before any plug", vdev);
	CHECK(vmem_iomem_bytes(&lines) == 0, "%s lines before any plug", VMEM_RAM);
	/* With the default (offline) the driver adds one block and waits until it is online. */
	err = write_file(MEMORY_SYSFS "/auto_online_blocks", "online_movable");
	CHECK(!err, "auto_online_blocks: %s", strerror(-err));
	mode = read_file(MEMORY_SYSFS "/auto_online_blocks");
	CHECK(mode && !strcmp(mode, "online_movable\n"), "auto_online_blocks is %s", mode);
	free(mode);
	e = dev_start + dev_size;
	note("boot: MemTotal %lld kB, memory block %" PRIu64 " MiB, page %" PRIu64 " KiB; %s: "
	     "region [0x%" PRIx64 "-0x%" PRIx64 "] (%" PRIu64 " MiB), nothing plugged",
	     boot.memtotal_kb, bs / MiB, page / 1024, vdev, dev_start, e - 1, dev_size / MiB);
	return true;
}

/*
 * What the driver logged at probe against what it must have chosen: SBM with subblocks of
 * max(device block, pageblock) if that is below a memory block, else BBM with big blocks of
 * max(device block, memory block). The pageblock is min(PMD, MAX_PAGE_ORDER): 2 MiB (4K),
 * 32 MiB (16K), 512 MiB (64K).
 */
static bool block_sizes(void)
{
	uint64_t pageblock = pageblock_bytes(), logged_bs = 0, want;

	CHECK(pageblock, "no 'Pages per block' in /proc/pagetypeinfo");
	CHECK(dmesg_hex("device block size: 0x", &dev_block), "no 'device block size' in dmesg");
	CHECK(dmesg_hex("memory block size: 0x", &logged_bs) && logged_bs == bs,
	      "driver's memory block size 0x%" PRIx64 ", sysfs 0x%" PRIx64, logged_bs, bs);
	want = pageblock > dev_block ? pageblock : dev_block;
	sbm = dmesg_hex("subblock size: 0x", &unit);
	if (sbm) {
		CHECK(unit == want && unit < bs, "subblock 0x%" PRIx64 ", expected 0x%" PRIx64,
		      unit, want);
	} else {
		CHECK(dmesg_hex("big block size: 0x", &unit),
		      "neither subblock nor big block size in dmesg");
		CHECK(want >= bs && unit == (dev_block > bs ? dev_block : bs),
		      "big block 0x%" PRIx64 " (device block 0x%" PRIx64 ", pageblock 0x%"
		      PRIx64 ")", unit, dev_block, pageblock);
	}
	CHECK(!(dev_start % unit) && !(dev_size % unit) && !(dev_start % bs),
	      "region [0x%" PRIx64 ", +0x%" PRIx64 ") not aligned to the unit/memory block",
	      dev_start, dev_size);
	chunk = unit > bs ? unit : bs;
	/* 1 GiB, or two units where a unit is larger; half of it is a whole number of units. */
	plug_size = 2 * unit > 1024 * MiB ? 2 * unit : 1024 * MiB;
	CHECK(plug_size <= dev_size, "region of %" PRIu64 " MiB below the %" PRIu64 " MiB to plug",
	      dev_size / MiB, plug_size / MiB);
	note("device block %" PRIu64 " KiB, pageblock %" PRIu64 " KiB, memory block %" PRIu64
	     " MiB: %s, %s %" PRIu64 " KiB", dev_block / 1024, pageblock / 1024, bs / MiB,
	     sbm ? "SBM" : "BBM", sbm ? "subblock" : "big block", unit / 1024);
	return true;
}

static bool plug(void)
{
	uint64_t end = dev_start + plug_size, s = 0, e = 0;
	long long memmap = vmstat_value("nr_memmap_pages");
	double t0 = now_s();
	int lines = 0;

	CHECK(resize(plug_size), "plug %" PRIu64 " MiB", plug_size / MiB);
	memmap = vmstat_value("nr_memmap_pages") - memmap;
	/* allocated from boot memory: not in MemTotal, which holds exactly what was plugged */
	CHECK(memmap > 0, "nr_memmap_pages did not grow");
	CHECK(online_movable(dev_start, end), "plugged blocks");
	CHECK(meminfo_kb("MemTotal") == expected_memtotal_kb(plug_size, 0),
	      "MemTotal %lld kB, expected %lld kB", meminfo_kb("MemTotal"),
	      expected_memtotal_kb(plug_size, 0));
	/* The driver merges its blocks' resources: one line under the device's. */
	CHECK(iomem_find(VMEM_RAM, &s, &e) && s == dev_start && e == end &&
	      vmem_iomem_bytes(&lines) == plug_size && lines == 1,
	      "/proc/iomem: '%s' [0x%" PRIx64 "-0x%" PRIx64 "], %d lines", VMEM_RAM, s, e - 1,
	      lines);
	note("plugged %" PRIu64 " MiB in %.1f s: memory%" PRIu64 "..memory%" PRIu64
	     " online movable, MemTotal %lld -> %lld kB (+%" PRIu64 " MiB exactly), memmap +%lld "
	     "pages (from boot memory), /proc/iomem [0x%" PRIx64 "-0x%" PRIx64 "] %s",
	     plug_size / MiB, now_s() - t0, dev_start / bs, end / bs - 1, boot.memtotal_kb,
	     meminfo_kb("MemTotal"), plug_size / MiB, memmap, s, e - 1, VMEM_RAM);
	return true;
}

/* The series' "remove" leaves memory that a driver owns to the driver: EPERM, nothing changed. */
static bool remove_refused(void)
{
	bool same_one, same_all;
	int one, all;

	if (access(MEMORY_SYSFS "/remove", F_OK)) {
		hp_skip("no %s/remove (the baseline has none on arm64)", MEMORY_SYSFS);
		return true;
	}
	one = remove_range_unchanged(dev_start, bs, &same_one);
	all = remove_range_unchanged(dev_start, plug_size, &same_all);
	CHECK(one == -EPERM, "remove of online memory%" PRIu64 ": %s", dev_start / bs,
	      strerror(-one));
	CHECK(all == -EPERM, "remove of the plugged range: %s", strerror(-all));
	CHECK(same_one && same_all, "a refused remove changed the memory state");
	note("remove of memory%" PRIu64 " and of all %" PRIu64 " MiB: EPERM, nothing changed",
	     dev_start / bs, plug_size / MiB);
	return true;
}

/*
 * A user may offline a driver's block: the kernel allows it, the driver counts it as offline
 * and keeps it plugged (the host's size does not move), neither re-onlines nor removes it by
 * itself, and on the next unplug request takes offline memory first (highest plugged memory
 * otherwise). "remove" still refuses it; the user may online it again.
 */
static bool user_offline(void)
{
	uint64_t top = dev_start + plug_size - bs;
	char reply[256];
	int err, lines;
	bool same;

	for (uint64_t a = dev_start; a < dev_start + chunk; a += bs) {
		err = set_block_state(a / bs, "offline");
		CHECK(!err, "offline memory%" PRIu64 ": %s", a / bs, strerror(-err));
	}
	CHECK(meminfo_kb("MemTotal") == expected_memtotal_kb(plug_size, chunk),
	      "MemTotal %lld kB after offlining %" PRIu64 " MiB", meminfo_kb("MemTotal"),
	      chunk / MiB);
	/* The same size again: answered at once, as the device still has it all plugged. */
	CHECK(host_request(reply, sizeof(reply), "vmem-size %s %" PRIu64, DEVICE_ID, plug_size),
	      "host: %s", reply);
	sleep(2);
	for (uint64_t a = dev_start; a < dev_start + chunk; a += bs)
		CHECK(block_state(a / bs) && !strcmp(block_state(a / bs), "offline"),
		      "memory%" PRIu64 " is %s 2 s after the offline", a / bs,
		      block_state(a / bs) ? block_state(a / bs) : "gone");
	CHECK(vmem_iomem_bytes(&lines) == plug_size, "offline blocks left /proc/iomem");
	if (!access(MEMORY_SYSFS "/remove", F_OK)) {
		err = remove_range_unchanged(dev_start, chunk, &same);
		CHECK(err == -EPERM, "remove of offline memory%" PRIu64 ": %s", dev_start / bs,
		      strerror(-err));
		CHECK(same, "a refused remove changed the memory state");
	}
	/* The user can put it back, and take it again. */
	CHECK(!set_range_state(dev_start, dev_start + chunk, bs, "online_movable") &&
	      online_movable(dev_start, dev_start + chunk), "re-online of the offline blocks");
	CHECK(meminfo_kb("MemTotal") == expected_memtotal_kb(plug_size, 0),
	      "MemTotal %lld kB after the re-online", meminfo_kb("MemTotal"));
	CHECK(!set_range_state(dev_start, dev_start + chunk, bs, "offline"), "second offline");
	/* One unit less: the offline blocks go, not the top one; MemTotal does not move. */
	CHECK(resize(plug_size - chunk), "unplug of %" PRIu64 " MiB", chunk / MiB);
	for (uint64_t a = dev_start; a < dev_start + chunk; a += bs)
		CHECK(!block_state(a / bs), "offline memory%" PRIu64 " still there", a / bs);
	CHECK(block_state(top / bs), "memory%" PRIu64 " went instead", top / bs);
	CHECK(online_movable(dev_start + chunk, dev_start + plug_size), "blocks left");
	note("user offline of memory%" PRIu64 "..memory%" PRIu64 ": allowed, kept plugged 2 s "
	     "(host size unchanged), remove: %s, online and offline again allowed; unplug of %"
	     PRIu64 " MiB took them, not the top block; MemTotal %lld kB", dev_start / bs,
	     (dev_start + chunk) / bs - 1,
	     access(MEMORY_SYSFS "/remove", F_OK) ? "no file" : "EPERM", chunk / MiB,
	     meminfo_kb("MemTotal"));
	/* The freed range is plugged again first, so the plugged memory is one range again. */
	CHECK(resize(plug_size), "plug back to %" PRIu64 " MiB", plug_size / MiB);
	CHECK(online_movable(dev_start, dev_start + plug_size), "blocks after the plug back");
	return true;
}

/*
 * A pattern, most of it in the plugged memory (movable allocations prefer ZONE_MOVABLE), is
 * intact after an unplug of half of it: the driver migrated what was in the unplugged part.
 */
static bool data_survives_partial_unplug(void)
{
	uint64_t half = plug_size / 2, data_size = plug_size / 4 * 3, *data;
	long before[64] = { 0 }, moved = 0, in_region, left;
	int nr_blocks = plug_size / bs, gone = 0;
	double t0;
	size_t bad;

	CHECK(nr_blocks <= 64, "%d blocks", nr_blocks);
	data = mmap(NULL, data_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(data != MAP_FAILED, "mmap %" PRIu64 " MiB", data_size / MiB);
	pattern_fill(data, data_size, SEED);
	in_region = pages_in_range(data, data_size, dev_start, dev_start + plug_size);
	CHECK(in_region >= 0, "cannot read /proc/self/pagemap");
	CHECK(in_region * page >= data_size / 2,
	      "only %ld pages of the pattern in the plugged memory", in_region);
	for (int i = 0; i < nr_blocks; i++)
		before[i] = pages_in_range(data, data_size, dev_start + i * bs,
					   dev_start + (i + 1) * bs);
	t0 = now_s();
	CHECK(resize(half), "unplug to %" PRIu64 " MiB", half / MiB);
	for (int i = 0; i < nr_blocks; i++) {
		if (block_state((dev_start + i * bs) / bs))
			continue;
		gone++;
		moved += before[i];
		CHECK(pages_in_range(data, data_size, dev_start + i * bs,
				     dev_start + (i + 1) * bs) == 0,
		      "pattern pages in removed memory%" PRIu64, (dev_start + i * bs) / bs);
	}
	CHECK(gone == (int)((plug_size - half) / bs), "%d blocks removed", gone);
	CHECK(moved > 0, "no page of the pattern was in the unplugged half: nothing migrated");
	bad = pattern_check(data, data_size, SEED);
	left = pages_in_range(data, data_size, dev_start, dev_start + plug_size);
	munmap(data, data_size);
	CHECK(bad == 0, "%zu words of the pattern changed", bad);
	CHECK(meminfo_kb("MemTotal") == expected_memtotal_kb(half, 0), "MemTotal %lld kB",
	      meminfo_kb("MemTotal"));
	note("%" PRIu64 " MiB pattern, %ld pages in the plugged memory; unplug to %" PRIu64
	     " MiB in %.1f s removed %d blocks, migrating %ld pages; pattern intact, %ld pages "
	     "still in the device, MemTotal %lld kB", data_size / MiB, in_region, half / MiB,
	     now_s() - t0, gone, moved, left, meminfo_kb("MemTotal"));
	return true;
}

static bool unplug_to_zero(void)
{
	struct mem_snapshot now;
	bool same;

	CHECK(resize(0), "unplug to 0");
	snapshot_take(&now);
	same = snapshot_same(&boot, &now);
	note("unplugged to 0: MemTotal %lld kB (boot %lld kB), blocks and /proc/iomem %s",
	     now.memtotal_kb, boot.memtotal_kb, same ? "as at boot" : "differ");
	snapshot_free(&now);
	CHECK(same, "memory state differs from boot");
	return true;
}

/*
 * Plug half a new block, then the rest of it. Onlining the block kept its unplugged subblocks
 * back, never onlined and marked PG_dirty; the second request clears the mark and hands them to
 * generic_online_page(), whose freeing no longer walks the tail pages of a fresh chunk (patch
 * 34) and so would leave a mark it missed. None of the newly plugged pages may read as dirty in
 * /proc/kpageflags (free pages never do; the only allocations in the second half are the few
 * made between the plug and the read, and few of those are dirty). SBM only: with BBM (64K
 * pages) a block is plugged whole.
 */
static bool grow_into_partial_block(void)
{
	uint64_t first = bs / 2 / unit * unit, start = dev_start + first, *flags;
	size_t n = (bs - first) / page, dirty = 0;
	bool read;

	if (!sbm) {
		hp_skip("BBM: a block is plugged whole, never in part");
		return true;
	}
	CHECK(first > 0, "a block of %" PRIu64 " MiB holds one subblock", bs / MiB);
	CHECK(resize(first), "plug %" PRIu64 " MiB", first / MiB);
	CHECK(resize(bs), "plug the rest of the block");
	flags = malloc(n * sizeof(*flags));
	read = flags && kpageflags(start / page, flags, n);
	for (size_t i = 0; read && i < n; i++)
		dirty += flags[i] >> KPF_DIRTY & 1;
	free(flags);
	CHECK(read, "cannot read /proc/kpageflags");
	CHECK(dirty <= n / 64, "%zu of the %zu pages plugged second are dirty", dirty, n);
	CHECK(resize(0), "unplug to 0");
	note("plugged %" PRIu64 " MiB of a block, then the other %" PRIu64 " MiB: %zu of its %zu "
	     "pages dirty", first / MiB, (bs - first) / MiB, dirty, n);
	return true;
}

struct vmem_reading {
	long long memtotal_kb, sunreclaim_kb, memmap;
	int blocks;
};

static void take_vmem_reading(struct vmem_reading *r)
{
	int online;

	/* dentries and inodes of the blocks' sysfs files, and the per-cpu counter deltas */
	write_file("/proc/sys/vm/drop_caches", "3");
	write_file("/proc/sys/vm/stat_refresh", "1");
	r->memtotal_kb = meminfo_kb("MemTotal");
	r->sunreclaim_kb = meminfo_kb("SUnreclaim");
	r->memmap = vmstat_value("nr_memmap_pages");
	r->blocks = region_blocks(&online);
}

/* x * unit for a pseudo-random x in [lo, hi] (the same sequence every run) */
static uint64_t pick(uint64_t lo, uint64_t hi)
{
	static uint64_t state = SEED;

	state = state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (lo + (state >> 33) % (hi - lo + 1)) * unit;
}

/*
 * Grow to a random size, shrink to a random smaller one, then to 0: @cycles times, and on until
 * @min_blocks blocks were added and removed (64K pages: 4 blocks in the region, ~2.6 a cycle).
 * Sizes are whole units, most of them leaving a block partly plugged (SBM). At 0 after every
 * cycle MemTotal, the blocks and nr_memmap_pages must be exactly as before the first.
 * SUnreclaim (after drop_caches) at 0 steps between two or three levels a slab apart (measured:
 * -4 or +28..+40 KiB with 4K pages, -32..0 with 16K, -64..0 with 64K): the lowest reading of the
 * last quarter of the cycles may be at most max(64 KiB, 2 pages) above the first reading. A leak
 * lifts every later reading: a forgotten kfree() of the 1 KiB struct memory_block of each
 * removed block adds 150 KiB or more by the last quarter of 200 removals, past the bound.
 */
static bool cycles_without_drift(void)
{
	uint64_t units = dev_size / unit, hi, lo;
	long long bound = slab_bound_kb, rise_max = 0, floor_kb = -1, sunreclaim[1000];
	struct vmem_reading first, r;
	double t0 = now_s();
	int i, n, removed = 0;

	if (bound < 0)
		bound = 2 * page / 1024 > 64 ? 2 * page / 1024 : 64;
	take_vmem_reading(&first);
	r = first;
	CHECK(first.memmap >= 0, "no nr_memmap_pages in /proc/vmstat");
	for (i = 1; i <= cycles || removed < min_blocks; i++) {
		CHECK(i <= 1000, "%d blocks removed in %d cycles", removed, i - 1);
		hi = pick(1, units);
		lo = pick(0, hi / unit - 1);
		CHECK(resize(hi), "cycle %d: grow to %" PRIu64 " MiB", i, hi / MiB);
		CHECK(online_movable(dev_start, dev_start + (hi + bs - 1) / bs * bs),
		      "cycle %d", i);
		CHECK(resize(lo), "cycle %d: shrink to %" PRIu64 " MiB", i, lo / MiB);
		CHECK(resize(0), "cycle %d: shrink to 0", i);
		removed += (hi + bs - 1) / bs;
		take_vmem_reading(&r);
		sunreclaim[i - 1] = r.sunreclaim_kb;
		if (r.sunreclaim_kb - first.sunreclaim_kb > rise_max)
			rise_max = r.sunreclaim_kb - first.sunreclaim_kb;
		note("cycle %d: 0 -> %" PRIu64 " -> %" PRIu64 " -> 0 MiB: MemTotal %lld kB, "
		     "blocks %d, nr_memmap_pages %lld, SUnreclaim %lld kB (%+lld)", i, hi / MiB,
		     lo / MiB, r.memtotal_kb, r.blocks, r.memmap, r.sunreclaim_kb,
		     r.sunreclaim_kb - first.sunreclaim_kb);
		CHECK(r.memtotal_kb == first.memtotal_kb && r.blocks == first.blocks &&
		      r.memmap == first.memmap, "cycle %d: drift: MemTotal %lld/%lld kB, "
		      "blocks %d/%d, nr_memmap_pages %lld/%lld", i, r.memtotal_kb,
		      first.memtotal_kb, r.blocks, first.blocks, r.memmap, first.memmap);
	}
	n = i - 1;
	for (i = n - (n + 3) / 4; i < n; i++)
		if (floor_kb < 0 || sunreclaim[i] < floor_kb)
			floor_kb = sunreclaim[i];
	if (floor_kb < 0)
		floor_kb = first.sunreclaim_kb;
	note("%d cycles in %.1f s (%.2f s each), %d blocks added and removed: MemTotal, blocks, "
	     "nr_memmap_pages unchanged; SUnreclaim %lld kB at first, highest %+lld, lowest of the "
	     "last %d cycles %+lld (bound %lld kB)", n, now_s() - t0, (now_s() - t0) / (n ? n : 1),
	     removed, first.sunreclaim_kb, rise_max, (n + 3) / 4, floor_kb - first.sunreclaim_kb,
	     bound);
	CHECK(floor_kb - first.sunreclaim_kb <= bound,
	      "SUnreclaim %lld kB or more above its start in the last %d cycles (bound %lld kB)",
	      floor_kb - first.sunreclaim_kb, (n + 3) / 4, bound);
	return true;
}

int main(void)
{
	static const struct hp_case cases[] = {
		{ "boot_state", boot_state },
		{ "block_sizes", block_sizes },
		{ "plug", plug },
		{ "remove_refused", remove_refused },
		{ "user_offline", user_offline },
		{ "data_survives_partial_unplug", data_survives_partial_unplug },
		{ "unplug_to_zero", unplug_to_zero },
		{ "grow_into_partial_block", grow_into_partial_block },
		{ "cycles_without_drift", cycles_without_drift },
	};

	cycles = env_int("VMEM_CYCLES", cycles);
	min_blocks = env_int("VMEM_MIN_BLOCKS", min_blocks);
	if (getenv("VMEM_SLAB_BOUND_KB"))
		slab_bound_kb = atoll(getenv("VMEM_SLAB_BOUND_KB"));
	return hp_run(cases, sizeof(cases) / sizeof(cases[0]));
}
