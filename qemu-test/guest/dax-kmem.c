// SPDX-License-Identifier: GPL-2.0
/*
 * dax/kmem: persistent memory becomes System RAM and back, as `daxctl reconfigure-device
 * --mode=system-ram` and `--mode=devdax` do, through sysfs alone. The ACPI NVDIMM's namespace
 * becomes a device-dax instance (dax_pmem, device_dax), which kmem then takes: its range, cut to
 * whole memory blocks, is added as "System RAM (kmem)", onlined movable, used, offlined (the data
 * migrates out) and given back to device_dax; MemTotal, the blocks and /proc/iomem must come back
 * exactly, cycle after cycle. Unbinding kmem with memory online keeps the memory for good.
 *
 * The scenario places the NVDIMM so that the device-dax range (the namespace less 2 MiB of info
 * block: mode "ram", the memmap in RAM) starts and ends on a 512 MiB boundary, so kmem takes all
 * of it with 4K, 16K and 64K pages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hp.h"

#define ND_DEVICES "/sys/bus/nd/devices"
#define ND_DRIVERS "/sys/bus/nd/drivers"
#define DAX_DEVICES "/sys/bus/dax/devices"
#define DAX_DRIVERS "/sys/bus/dax/drivers"
#define AUTO_ONLINE MEMORY_SYSFS "/auto_online_blocks"
#define SEED 0x6b6d656d64617800ULL
/* Larger than kmem's memory on 64K (512 MiB a block) and small enough for boot memory alone. */
#define DATA_SIZE (640 * MiB)
#define CYCLE_DATA_SIZE (256 * MiB)
#define DAX_PATTERN_SIZE (32 * MiB)

static struct mem_snapshot boot, devdax;
static uint64_t bs, dax_start, dax_end, kmem_start, kmem_end;
static long long devdax_memmap;
/* the region's seed on the nd bus, and the device-dax instance dax_pmem makes of it */
static char nd_dax[32], dax_dev[32];
static int cycles = 20;			/* DAX_KMEM_CYCLES= in the environment */

/* The driver @dev (a sysfs device directory) is bound to, "" if none; a static buffer. */
static const char *driver_of(const char *dev)
{
	static char name[64];
	char path[256], target[256];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/driver", dev);
	n = readlink(path, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	snprintf(name, sizeof(name), "%s", n > 0 ? basename(target) : "");
	return name;
}

static const char *dax_driver(void)
{
	char dev[128];

	snprintf(dev, sizeof(dev), DAX_DEVICES "/%s", dax_dev);
	return driver_of(dev);
}

/* Writes @value to @dir/@file; 0 or -errno. */
static int write_attr(const char *dir, const char *file, const char *value)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return write_file(path, value);
}

static uint64_t read_u64(const char *path)
{
	char *text = read_file(path);
	uint64_t v = text ? strtoull(text, NULL, 0) : 0;

	free(text);
	return v;
}

/*
 * 0 if /dev/dax0.0 opens, else -errno. The node exists as long as the device does; its cdev,
 * which open() needs, only while device_dax is bound (ENXIO otherwise).
 */
static int open_dax(void)
{
	struct stat st;
	int fd;

	if (stat("/dev/dax0.0", &st) || !S_ISCHR(st.st_mode))
		return -ENOENT;
	fd = open("/dev/dax0.0", O_RDWR);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* A line "start-end : name" of /proc/iomem at any depth. */
static bool iomem_line(uint64_t start, uint64_t end, const char *name)
{
	char *buf = read_file("/proc/iomem"), want[128], *line, *save;
	bool found = false;

	snprintf(want, sizeof(want), "%08" PRIx64 "-%08" PRIx64 " : %s", start, end - 1, name);
	for (line = strtok_r(buf, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save))
		found = !strcmp(line + strspn(line, " "), want);
	free(buf);
	return found;
}

/* Every block of [start, end) is @state (and, if @zone, in it). */
static bool blocks_are(uint64_t start, uint64_t end, const char *state, const char *zone)
{
	for (uint64_t nr = start / bs; nr < end / bs; nr++) {
		const char *st = block_state(nr);

		CHECK(st && !strcmp(st, state), "memory%" PRIu64 " is %s, expected %s", nr,
		      st ? st : "gone", state);
		if (zone)
			CHECK(!strcmp(valid_zones(nr), zone), "memory%" PRIu64 " zone %s, expected %s",
			      nr, valid_zones(nr), zone);
	}
	return true;
}

/*
 * The namespace, in "raw" mode at boot, becomes a device-dax instance as ndctl create-namespace
 * -m devdax does it: the region's dax seed gets a uuid, a mode and the namespace, and dax_pmem
 * binds it. Mode "ram" keeps the memmap in RAM, so the data starts 2 MiB (the info block,
 * aligned to a sub-section) into the namespace with every page size; the page size as alignment
 * is the one every kernel supports, and kmem only takes whole memory blocks anyway.
 */
static bool devdax_from_namespace(void)
{
	char ns[128], seed[128], *text, *uuid, align[32];
	int err;

	/* libnvdimm registers its devices asynchronously */
	for (int ms = 0; ms < 20000 && access(ND_DEVICES "/region0/dax_seed", F_OK); ms += 50)
		usleep(50 * 1000);
	snapshot_take(&boot);
	bs = memory_block_size();
	CHECK(bs, "no %s/block_size_bytes", MEMORY_SYSFS);
	text = read_file(ND_DEVICES "/region0/dax_seed");
	CHECK(text, "no nvdimm region (region0/dax_seed): is the machine nvdimm=on with an nvdimm?");
	snprintf(nd_dax, sizeof(nd_dax), "%.*s", (int)strcspn(text, "\n"), text);
	free(text);
	snprintf(ns, sizeof(ns), ND_DEVICES "/namespace0.0");
	text = read_file(ND_DEVICES "/namespace0.0/mode");
	CHECK(text && !strcmp(text, "raw\n"), "namespace0.0 mode %s, expected raw", text);
	free(text);
	note("boot: MemTotal %lld kB, block size %" PRIu64 " MiB, region0 size %" PRIu64
	     " MiB, namespace0.0 raw (driver '%s'), dax seed %s", boot.memtotal_kb, bs / MiB,
	     read_u64(ND_DEVICES "/region0/size") / MiB, driver_of(ns), nd_dax);
	/* without BLK_DEV_PMEM nothing binds a raw namespace; with it, nd_pmem (/dev/pmem0) has it */
	if (!strcmp(driver_of(ns), "nd_pmem"))
		CHECK(!(err = write_file(ND_DRIVERS "/nd_pmem/unbind", "namespace0.0")),
		      "unbind namespace0.0 from nd_pmem: %s", strerror(-err));
	CHECK(!driver_of(ns)[0], "namespace0.0 bound to %s", driver_of(ns));
	uuid = read_file("/proc/sys/kernel/random/uuid");
	CHECK(uuid, "no /proc/sys/kernel/random/uuid");
	snprintf(seed, sizeof(seed), ND_DEVICES "/%s", nd_dax);
	snprintf(align, sizeof(align), "%ld", sysconf(_SC_PAGESIZE));
	CHECK(!(err = write_attr(seed, "uuid", uuid)), "uuid: %s", strerror(-err));
	free(uuid);
	CHECK(!(err = write_attr(seed, "mode", "ram")), "mode ram: %s", strerror(-err));
	CHECK(!(err = write_attr(seed, "align", align)), "align %s: %s", align, strerror(-err));
	CHECK(!(err = write_attr(seed, "namespace", "namespace0.0")), "namespace: %s",
	      strerror(-err));
	CHECK(!(err = write_file(ND_DRIVERS "/dax_pmem/bind", nd_dax)), "bind %s to dax_pmem: %s",
	      nd_dax, strerror(-err));

	/* dax_pmem made one device-dax instance on the dax bus, which device_dax took. */
	snprintf(dax_dev, sizeof(dax_dev), "dax0.0");
	CHECK(!strcmp(dax_driver(), "device_dax"), "%s bound to '%s'", dax_dev, dax_driver());
	CHECK(!(err = open_dax()), "open /dev/dax0.0: %s", strerror(-err));
	dax_start = read_u64(DAX_DEVICES "/dax0.0/resource");
	dax_end = dax_start + read_u64(DAX_DEVICES "/dax0.0/size");
	CHECK(dax_end > dax_start, "dax0.0 resource/size unreadable");
	CHECK(read_u64(DAX_DEVICES "/dax0.0/target_node") == 0, "target_node is not 0");
	text = read_file(DAX_DEVICES "/dax0.0/memmap_on_memory");
	/* kmem puts the memmap into the memory itself only if asked; MemTotal below relies on it */
	CHECK(text && text[0] == '0', "memmap_on_memory is %s", text ? text : "unreadable");
	free(text);
	CHECK(iomem_line(dax_start, dax_end, "dax0.0"), "no dax0.0 line for [0x%" PRIx64 "-0x%"
	      PRIx64 "] in /proc/iomem", dax_start, dax_end - 1);
	/* What kmem will add: the range cut to whole memory blocks (dax_kmem_range()). */
	kmem_start = (dax_start + bs - 1) / bs * bs;
	kmem_end = dax_end / bs * bs;
	CHECK(kmem_end > kmem_start, "dax0.0 [0x%" PRIx64 "-0x%" PRIx64 "] holds no whole %"
	      PRIu64 " MiB block", dax_start, dax_end - 1, bs / MiB);
	note("devdax: dax0.0 [0x%" PRIx64 "-0x%" PRIx64 "] (%" PRIu64 " MiB, mode ram, align %s): "
	     "kmem takes [0x%" PRIx64 "-0x%" PRIx64 "], %" PRIu64 " blocks, %" PRIu64 " MiB unused",
	     dax_start, dax_end - 1, (dax_end - dax_start) / MiB, align, kmem_start, kmem_end - 1,
	     (kmem_end - kmem_start) / bs, (dax_end - dax_start - (kmem_end - kmem_start)) / MiB);

	snapshot_take(&devdax);
	devdax_memmap = vmstat_value("nr_memmap_pages");
	/* device memory (ZONE_DEVICE) is neither System RAM nor in memory blocks */
	CHECK(devdax.memtotal_kb == boot.memtotal_kb, "MemTotal %lld kB, boot %lld kB",
	      devdax.memtotal_kb, boot.memtotal_kb);
	CHECK(!strcmp(devdax.blocks, boot.blocks), "the memory blocks changed");
	return true;
}

/* device_dax lets go of the device, kmem takes it: the blocks of the kmem range appear. */
static bool to_kmem(const char *how)
{
	int err;

	CHECK(!(err = write_file(DAX_DRIVERS "/device_dax/unbind", dax_dev)),
	      "unbind from device_dax: %s", strerror(-err));
	CHECK((err = open_dax()) == -ENXIO, "open /dev/dax0.0 without device_dax: %s, expected "
	      "ENXIO", strerror(-err));
	CHECK(!(err = write_file(how, dax_dev)), "%s: %s", how, strerror(-err));
	CHECK(!strcmp(dax_driver(), "kmem"), "%s bound to '%s' after %s", dax_dev, dax_driver(),
	      how);
	CHECK(wait_blocks(kmem_start, kmem_end, true, 10000), "kmem's blocks are not all there");
	CHECK(iomem_line(kmem_start, kmem_end, "System RAM (kmem)"),
	      "no 'System RAM (kmem)' line for [0x%" PRIx64 "-0x%" PRIx64 "]", kmem_start,
	      kmem_end - 1);
	return true;
}

/*
 * kmem adds the range offline (CONFIG_MHP_DEFAULT_ONLINE_TYPE_OFFLINE); onlined movable, every
 * page of it is added to MemTotal (totalram_pages): its memmap comes from boot memory (allocated,
 * not removed from MemTotal), so MemTotal grows by exactly the size of the kmem range.
 */
static bool kmem_adds_blocks(void)
{
	uint64_t size;
	long long now, want;
	int err;

	if (!to_kmem(DAX_DRIVERS "/kmem/new_id"))
		return false;
	size = kmem_end - kmem_start;
	if (!blocks_are(kmem_start, kmem_end, "offline", NULL))
		return false;
	CHECK(meminfo_kb("MemTotal") == devdax.memtotal_kb, "offline blocks changed MemTotal");
	for (uint64_t a = kmem_start; a < kmem_end; a += bs)
		CHECK(!(err = set_block_state(a / bs, "online_movable")),
		      "online_movable memory%" PRIu64 ": %s", a / bs, strerror(-err));
	if (!blocks_are(kmem_start, kmem_end, "online", "Movable"))
		return false;
	now = meminfo_kb("MemTotal");
	want = devdax.memtotal_kb + (long long)(size / 1024);
	CHECK(now == want, "MemTotal %lld kB, expected %lld kB (+%" PRIu64 " MiB)", now, want,
	      size / MiB);
	note("kmem: memory%" PRIu64 "..memory%" PRIu64 " added offline, onlined movable; MemTotal "
	     "%lld kB -> %lld kB (+%" PRIu64 " MiB, the kmem range)", kmem_start / bs,
	     kmem_end / bs - 1, devdax.memtotal_kb, now, size / MiB);
	return true;
}

/* Offlines every kmem block; @data (@size bytes, pattern @seed) must come out of them intact. */
static bool offline_kmem_keeps(uint64_t *data, size_t size, uint64_t seed)
{
	size_t bad;
	int err;

	for (uint64_t a = kmem_start; a < kmem_end; a += bs)
		CHECK(!(err = set_block_state(a / bs, "offline")), "offline memory%" PRIu64 ": %s",
		      a / bs, strerror(-err));
	if (!blocks_are(kmem_start, kmem_end, "offline", NULL))
		return false;
	CHECK(pages_in_range(data, size, kmem_start, kmem_end) == 0,
	      "pages of the pattern still in the kmem range after the offline");
	bad = pattern_check(data, size, seed);
	CHECK(bad == 0, "%zu words of the pattern changed by the migration", bad);
	CHECK(meminfo_kb("MemTotal") == devdax.memtotal_kb, "MemTotal %lld kB after the offline",
	      meminfo_kb("MemTotal"));
	return true;
}

static uint64_t *fill_pattern(size_t size, uint64_t seed, long *in_kmem)
{
	uint64_t *data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (data == MAP_FAILED)
		return NULL;
	pattern_fill(data, size, seed);
	*in_kmem = pages_in_range(data, size, kmem_start, kmem_end);
	return data;
}

static bool pattern_migrates_out(void)
{
	long in_kmem, page = sysconf(_SC_PAGESIZE);
	uint64_t *data = fill_pattern(DATA_SIZE, SEED, &in_kmem);

	CHECK(data, "mmap %lu MiB", DATA_SIZE / MiB);
	/* Movable allocations take ZONE_MOVABLE first: much of the pattern is in kmem memory. */
	CHECK(in_kmem * page >= (long)(kmem_end - kmem_start) / 2 || in_kmem * page >= (long)DATA_SIZE / 2,
	      "only %ld pages of the pattern in the kmem range", in_kmem);
	note("%ld pages (%ld MiB) of the %lu MiB pattern are in the kmem range", in_kmem,
	     in_kmem * page / (long)MiB, DATA_SIZE / MiB);
	if (!offline_kmem_keeps(data, DATA_SIZE, SEED))
		return false;
	note("offline: the pattern migrated out intact; MemTotal %lld kB", meminfo_kb("MemTotal"));
	munmap(data, DATA_SIZE);
	return true;
}

/*
 * The series' remove file takes only probed memory (and boot memory where allowed): kmem's
 * blocks belong to kmem (a memory group, a driver-managed resource), offline or online.
 */
static bool remove_refuses_kmem(void)
{
	uint64_t first = kmem_start / bs;
	bool same[3];
	int err;

	if (access(MEMORY_SYSFS "/remove", F_OK)) {
		hp_skip("no %s/remove (the baseline has none on arm64)", MEMORY_SYSFS);
		return true;
	}
	err = remove_range_unchanged(kmem_start, bs, &same[0]);
	CHECK(err == -EPERM, "remove of offline memory%" PRIu64 ": %s, expected EPERM", first,
	      strerror(-err));
	err = remove_range_unchanged(kmem_start, kmem_end - kmem_start, &same[1]);
	CHECK(err == -EPERM, "remove of the kmem range: %s, expected EPERM", strerror(-err));
	CHECK(!(err = set_block_state(first, "online_movable")), "online_movable: %s",
	      strerror(-err));
	err = remove_range_unchanged(kmem_start, bs, &same[2]);
	CHECK(err == -EPERM, "remove of online memory%" PRIu64 ": %s, expected EPERM", first,
	      strerror(-err));
	CHECK(!(err = set_block_state(first, "offline")), "offline: %s", strerror(-err));
	CHECK(same[0] && same[1] && same[2], "a refused remove changed the memory state");
	CHECK(!strcmp(dax_driver(), "kmem"), "dax0.0 no longer bound to kmem");
	note("remove: EPERM for an offline and an online kmem block and for the range; nothing "
	     "changed");
	return true;
}

/*
 * Writes a pattern through a mapping of /dev/dax0.0: it lands at the start of the dax range and
 * reads back through a new mapping. device_dax maps only files whose inode is S_DAX, which is 0
 * without CONFIG_FS_DAX: then every mmap() fails with EINVAL ("vma is not DAX capable").
 */
static bool devdax_mmap_holds_pattern(void)
{
	long page = sysconf(_SC_PAGESIZE), in_dax;
	int fd, refusals = dmesg_count("vma is not DAX capable");
	uint64_t *map, seed = SEED + 1;
	size_t bad;

	fd = open("/dev/dax0.0", O_RDWR);
	CHECK(fd >= 0, "open /dev/dax0.0: %s", strerror(errno));
	map = mmap(NULL, DAX_PATTERN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED && errno == EINVAL &&
	    dmesg_count("vma is not DAX capable") > refusals) {
		close(fd);
		hp_skip("mmap of /dev/dax0.0: EINVAL, 'vma is not DAX capable' (kernel without "
			"CONFIG_FS_DAX, so S_DAX is 0)");
		return true;
	}
	CHECK(map != MAP_FAILED, "mmap /dev/dax0.0: %s", strerror(errno));
	pattern_fill(map, DAX_PATTERN_SIZE, seed);
	in_dax = pages_in_range(map, DAX_PATTERN_SIZE, dax_start, dax_start + DAX_PATTERN_SIZE);
	munmap(map, DAX_PATTERN_SIZE);
	CHECK(in_dax * page == DAX_PATTERN_SIZE, "%ld of %lu pages of the mapping at the start of "
	      "the dax range", in_dax, DAX_PATTERN_SIZE / page);
	map = mmap(NULL, DAX_PATTERN_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED, "mmap /dev/dax0.0 again: %s", strerror(errno));
	bad = pattern_check(map, DAX_PATTERN_SIZE, seed);
	munmap(map, DAX_PATTERN_SIZE);
	close(fd);
	CHECK(bad == 0, "%zu words of the pattern differ after a remap of /dev/dax0.0", bad);
	note("/dev/dax0.0 holds a %lu MiB pattern written through a mapping, in the dax range",
	     DAX_PATTERN_SIZE / MiB);
	return true;
}

/* kmem lets go of the (offline) range, device_dax takes the device back: all as before kmem. */
static bool to_devdax(void)
{
	struct mem_snapshot now;
	bool same;
	int err;

	CHECK(!(err = write_file(DAX_DRIVERS "/kmem/unbind", dax_dev)), "unbind from kmem: %s",
	      strerror(-err));
	CHECK(wait_blocks(kmem_start, kmem_end, false, 10000), "kmem's blocks still there");
	CHECK(!iomem_overlaps(kmem_start, kmem_end, "System RAM"), "System RAM left in the range");
	CHECK(!(err = write_file(DAX_DRIVERS "/device_dax/bind", dax_dev)),
	      "bind to device_dax: %s", strerror(-err));
	CHECK(!strcmp(dax_driver(), "device_dax"), "bound to '%s'", dax_driver());
	CHECK(!(err = open_dax()), "open /dev/dax0.0 with device_dax bound: %s", strerror(-err));
	snapshot_take(&now);
	same = snapshot_same(&devdax, &now);
	snapshot_free(&now);
	CHECK(same, "MemTotal, blocks or /proc/iomem differ from the device-dax state");
	return true;
}

static bool back_to_devdax(void)
{
	if (!to_devdax())
		return false;
	note("back to device-dax: blocks and 'System RAM (kmem)' gone, /dev/dax0.0 opens; MemTotal "
	     "%lld kB, blocks and /proc/iomem as before kmem", meminfo_kb("MemTotal"));
	return true;
}

/* One devdax -> kmem (auto-onlined movable) -> used -> offline -> devdax round. */
static bool cycle_once(int i)
{
	long in_kmem;
	uint64_t *data;

	if (!to_kmem(DAX_DRIVERS "/kmem/bind") || !blocks_are(kmem_start, kmem_end, "online", "Movable"))
		return false;
	CHECK(meminfo_kb("MemTotal") == devdax.memtotal_kb + (long long)((kmem_end - kmem_start) / 1024),
	      "MemTotal %lld kB with kmem online", meminfo_kb("MemTotal"));
	data = fill_pattern(CYCLE_DATA_SIZE, SEED + i, &in_kmem);
	CHECK(data, "mmap");
	CHECK(in_kmem > 0, "no page of the pattern in the kmem range");
	if (!offline_kmem_keeps(data, CYCLE_DATA_SIZE, SEED + i))
		return false;
	munmap(data, CYCLE_DATA_SIZE);
	return to_devdax();
}

/*
 * Each cycle must give back exactly what it took: MemTotal, the blocks and /proc/iomem
 * (to_devdax() compares them with the device-dax state) and the memmap pages (vmstat
 * nr_memmap_pages: kmem's memmap is freed with the range, device_dax's made again).
 *
 * Unreclaimable slab, read after each cycle (after drop_caches), moves between levels a slab or
 * two apart as slabs fill and empty: ~40 KiB with 4K pages, 64 KiB with 16K, up to ~1 MiB with
 * 64K. Two readings cannot tell that from a leak of a few KiB a cycle; a leak keeps rising, so
 * the median of the last quarter of the cycles must not be more than slab_rise_bound_kb() above
 * the median of the first quarter (medians, because the level jumps). Over 20 cycles the
 * quarters are 15 cycles apart: the bound (80 KiB, 128 KiB with 16K pages, 2 MiB with 64K)
 * catches a leak of 5.3 KiB a cycle with 4K pages, 8.5 KiB with 16K and ~140 KiB with 64K.
 * What a cycle allocates per block (the memory_block device, ~1 KiB, its kernfs nodes, its
 * resource) is ~3 KiB: leaked every cycle that is 24 KiB with 8 blocks (4K, 16K), 6 KiB with 2
 * (64K). A kernel leaking 1 KiB per block (8 KiB a cycle) fails on 4K at +132 KiB. Below
 * SLAB_MIN_CYCLES the quarters are single readings: logged, not judged (on the debug kernel
 * kmemleak finds leaked objects, and KASAN's quarantine keeps freed ones in their slabs).
 */
#define SLAB_MIN_CYCLES 12

static long long slab_rise_bound_kb(void)
{
	long long page_kb = sysconf(_SC_PAGESIZE) / 1024;

	/* 64K pages: levels ~1 MiB apart (slabs of 512 KiB; +704 KiB seen on a correct kernel) */
	if (page_kb >= 64)
		return 2048;
	return 8 * page_kb > 80 ? 8 * page_kb : 80;
}

static bool cycles_without_drift(void)
{
	int blocks = (kmem_end - kmem_start) / bs, quarter = cycles / 4;
	long long *slab, memmap, rise = 0;
	char *auto_online = read_file(AUTO_ONLINE);
	struct timespec t0;
	double took;
	int err;

	CHECK(auto_online, "no %s", AUTO_ONLINE);
	auto_online[strcspn(auto_online, "\n")] = '\0';
	slab = calloc(cycles + 1, sizeof(*slab));
	CHECK(slab && cycles > 0, "cycles %d", cycles);
	/* the cycles have the kernel online the blocks as it adds them */
	CHECK(!(err = write_file(AUTO_ONLINE, "online_movable")), "auto_online_blocks: %s",
	      strerror(-err));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* the first cycle makes one-time allocations (slab caches, per-cpu lists): warm up */
	CHECK(cycle_once(0), "warm-up cycle");
	write_file("/proc/sys/vm/drop_caches", "3");
	slab[0] = meminfo_kb("SUnreclaim");
	for (int i = 1; i <= cycles; i++) {
		CHECK(cycle_once(i), "cycle %d of %d", i, cycles);
		write_file("/proc/sys/vm/drop_caches", "3");
		slab[i] = meminfo_kb("SUnreclaim");
		memmap = vmstat_value("nr_memmap_pages");
		note("cycle %d: %.1f s, SUnreclaim %lld kB (%+lld), nr_memmap_pages %lld", i,
		     seconds_since(&t0), slab[i], slab[i] - slab[0], memmap);
		CHECK(memmap == devdax_memmap, "nr_memmap_pages %lld, %lld in the device-dax state",
		      memmap, devdax_memmap);
	}
	took = seconds_since(&t0);
	write_file(AUTO_ONLINE, auto_online);
	free(auto_online);
	if (quarter)
		rise = median(slab + 1 + cycles - quarter, quarter) - median(slab + 1, quarter);
	note("%d cycles of %d blocks (after one to warm up) in %.1f s (%.2f s a cycle): MemTotal, "
	     "blocks, /proc/iomem and nr_memmap_pages back every cycle; SUnreclaim %lld -> %lld kB",
	     cycles, blocks, took, took / (cycles + 1), slab[0], slab[cycles]);
	free(slab);
	if (cycles < SLAB_MIN_CYCLES) {
		note("%d cycles: too few to judge unreclaimable slab (%d at least)", cycles,
		     SLAB_MIN_CYCLES);
		return true;
	}
	note("SUnreclaim: median of the last %d cycles %+lld kB over the first %d (fails above "
	     "+%lld)", quarter, rise, quarter, slab_rise_bound_kb());
	CHECK(rise <= slab_rise_bound_kb(), "unreclaimable slab rises: %+lld kB between the first "
	      "and the last %d of %d cycles", rise, quarter, cycles);
	return true;
}

/*
 * kmem's remove() cannot fail: with a block online, remove_memory() refuses the whole range,
 * kmem logs that it "cannot be hotremoved until the next reboot", and the device is unbound with
 * the memory still added and the range still reserved. The memory stays usable (the data in the
 * online block is intact, offline still migrates it), but neither driver can take the device
 * again and the remove file still refuses it: until a reboot. So this case comes last.
 */
static bool unbind_with_online_block_keeps(void)
{
	uint64_t first = kmem_start / bs, *data;
	long in_block;
	int err, err2, logged = dmesg_count("cannot be hotremoved until the next reboot");
	long long want;

	if (!to_kmem(DAX_DRIVERS "/kmem/bind") || !blocks_are(kmem_start, kmem_end, "offline", NULL))
		return false;
	CHECK(!(err = set_block_state(first, "online_movable")), "online_movable: %s",
	      strerror(-err));
	want = devdax.memtotal_kb + (long long)(bs / 1024);
	data = fill_pattern(DATA_SIZE, SEED + 2, &in_block);
	CHECK(data, "mmap");
	in_block = pages_in_range(data, DATA_SIZE, kmem_start, kmem_start + bs);
	CHECK(in_block > 0, "no page of the pattern in memory%" PRIu64, first);

	err = write_file(DAX_DRIVERS "/kmem/unbind", dax_dev);
	note("unbind from kmem with memory%" PRIu64 " online (%ld pages of a pattern in it): %s; "
	     "dax0.0 driver now '%s'", first, in_block, err ? strerror(-err) : "accepted",
	     dax_driver());
	CHECK(dmesg_count("cannot be hotremoved until the next reboot") == logged + 1,
	      "kmem did not log that the range cannot be removed");
	if (!blocks_are(kmem_start, kmem_start + bs, "online", "Movable") ||
	    !blocks_are(kmem_start + bs, kmem_end, "offline", NULL))
		return false;
	CHECK(iomem_line(kmem_start, kmem_end, "System RAM (kmem)"), "'System RAM (kmem)' gone");
	CHECK(meminfo_kb("MemTotal") == want, "MemTotal %lld kB, expected %lld kB",
	      meminfo_kb("MemTotal"), want);
	CHECK(pattern_check(data, DATA_SIZE, SEED + 2) == 0, "the pattern changed");

	/* The range stays reserved ("dax0.0" in /proc/iomem): no driver can take it. */
	err = write_file(DAX_DRIVERS "/device_dax/bind", dax_dev);
	err2 = write_file(DAX_DRIVERS "/kmem/bind", dax_dev);
	note("bind to device_dax afterwards: %s; to kmem: %s", err ? strerror(-err) : "accepted",
	     err2 ? strerror(-err2) : "accepted");
	CHECK(strcmp(dax_driver(), "device_dax") && open_dax() == -ENXIO,
	      "device_dax took the range that is still System RAM");
	if (!access(MEMORY_SYSFS "/remove", F_OK)) {
		CHECK((err = remove_range(kmem_start, bs)) == -EPERM,
		      "remove of the orphaned online block: %s, expected EPERM", strerror(-err));
		CHECK(set_block_state(first, "offline") == 0, "offline of the orphaned block");
		CHECK((err = remove_range(kmem_start, kmem_end - kmem_start)) == -EPERM,
		      "remove of the orphaned range: %s, expected EPERM", strerror(-err));
	} else {
		CHECK(set_block_state(first, "offline") == 0, "offline of the orphaned block");
	}
	CHECK(pages_in_range(data, DATA_SIZE, kmem_start, kmem_end) == 0 &&
	      pattern_check(data, DATA_SIZE, SEED + 2) == 0,
	      "offline of the orphaned block did not migrate the pattern out intact");
	munmap(data, DATA_SIZE);
	note("kept: memory%" PRIu64 "..memory%" PRIu64 " and 'System RAM (kmem)' stay, the data "
	     "intact; the orphaned block still goes offline (data migrated)%s", first,
	     kmem_end / bs - 1, access(MEMORY_SYSFS "/remove", F_OK) ? "" :
	     "; remove refuses it (EPERM)");
	return true;
}

int main(void)
{
	static const struct hp_case cases[] = {
		{ "devdax_from_namespace", devdax_from_namespace },
		{ "kmem_adds_blocks_online_movable", kmem_adds_blocks },
		{ "pattern_migrates_out", pattern_migrates_out },
		{ "remove_refuses_kmem_blocks", remove_refuses_kmem },
		{ "back_to_devdax", back_to_devdax },
		{ "devdax_mmap_holds_pattern", devdax_mmap_holds_pattern },
		{ "cycles_without_drift", cycles_without_drift },
		{ "unbind_with_online_block_keeps", unbind_with_online_block_keeps },
	};
	cycles = env_int("DAX_KMEM_CYCLES", cycles);
	return hp_run(cases, sizeof(cases) / sizeof(cases[0]));
}
