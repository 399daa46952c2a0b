// SPDX-License-Identifier: GPL-2.0
/*
 * Boot memory that firmware also lists as an ACPI memory device (PNP0C80 \_SB.BMEM, from the
 * SSDT qemu-test/acpi/bootmem-ssdt.asl): acpi_memhotplug's add got -EEXIST and bound the
 * memory blocks to the device (firmware_node), but they have no memory group. Even with
 * memory_hotplug.remove_boot_memory=1 the sysfs remove file must refuse them with EPERM and
 * change nothing: they belong to the device, whose eject then removes them cleanly (blocks,
 * /proc/iomem, MemTotal). The baseline has no remove file and cannot offline boot memory: there
 * the eject must be refused and the memory stay. Every case runs after a failure, so that on a
 * kernel whose remove took the memory the eject shows what that did (its WARNs fail the run).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hp.h"

#define ACPI_DEVICES "/sys/bus/acpi/devices"
#define DEV_PATH "\\_SB_.BMEM"
#define DEV_SIZE (512 * MiB)
#define TABLE_LOG "Table Upgrade: install [SSDT-HPTEST-BMEMOWNR]"

static char dev[PATH_MAX];
static uint64_t start, size, bs;
static bool found, offlined, have_remove;
static struct mem_snapshot boot, offline;
static long long boot_memmap;

static long long status(void)
{
	char path[PATH_MAX + 16], *text;
	long long sta;

	snprintf(path, sizeof(path), "%s/status", dev);
	text = read_file(path);
	sta = text ? strtoll(text, NULL, 0) : -1;
	free(text);
	return sta;
}

/* Number of the memory block a link (physical_node*, firmware_node) points to, or -1. */
static long link_block(const char *path)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *base;

	if (n < 0)
		return -1;
	target[n] = '\0';
	base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	return strncmp(base, "memory", 6) ? -1 : strtol(base + 6, NULL, 10);
}

/* The device's physical nodes: the first block and how many; 0 if none. */
static long physical_blocks(long *first)
{
	long lo = LONG_MAX, hi = -1, count = 0;
	struct dirent *de;
	DIR *dir = opendir(dev);

	while (dir && (de = readdir(dir))) {
		char path[PATH_MAX + 300];
		long nr;

		if (strncmp(de->d_name, "physical_node", 13))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dev, de->d_name);
		nr = link_block(path);
		if (nr < 0)
			continue;
		lo = nr < lo ? nr : lo;
		hi = nr > hi ? nr : hi;
		count++;
	}
	if (dir)
		closedir(dir);
	*first = lo;
	return count == hi - lo + 1 ? count : -count;
}

static bool find_device(void)
{
	const char *base = NULL;
	struct dirent *de;
	long first, count;
	DIR *dir;

	CHECK(dmesg_count(TABLE_LOG) == 1, "no '%s' in the kernel log", TABLE_LOG);
	dir = opendir(ACPI_DEVICES);
	while (dir && (de = readdir(dir)) && !found) {
		char path[PATH_MAX], *text;

		snprintf(path, sizeof(path), ACPI_DEVICES "/%s/path", de->d_name);
		text = read_file(path);
		if (text && !strcmp(text, DEV_PATH "\n")) {
			snprintf(dev, sizeof(dev), ACPI_DEVICES "/%s", de->d_name);
			found = true;
		}
		free(text);
	}
	if (dir)
		closedir(dir);
	CHECK(found, "no ACPI device %s", DEV_PATH);
	base = strrchr(dev, '/') + 1;
	CHECK(status() == 15, "%s _STA %lld", base, status());
	bs = memory_block_size();
	count = physical_blocks(&first);
	CHECK(count > 0, "%s: %ld physical nodes, not one run of memory blocks", base, count);
	start = first * bs;
	size = count * bs;
	CHECK(size == DEV_SIZE, "%s has %ld blocks of %" PRIu64 " MiB", base, count, bs / MiB);
	for (long nr = first; nr < first + count; nr++) {
		char path[128], *zones;
		const char *st = block_state(nr);

		CHECK(st && !strcmp(st, "online"), "memory%ld is %s", nr, st);
		snprintf(path, sizeof(path), MEMORY_SYSFS "/memory%ld/valid_zones", nr);
		zones = read_file(path);
		CHECK(zones && !strcmp(zones, "Movable\n"), "memory%ld in zone %s", nr, zones);
		free(zones);
		/* The companion that the blocks' ownership rests on. */
		snprintf(path, sizeof(path), MEMORY_SYSFS "/memory%ld/firmware_node", nr);
		CHECK(access(path, F_OK) == 0, "memory%ld has no firmware_node", nr);
	}
	CHECK(iomem_overlaps(start, start + size, "System RAM"), "range not System RAM");
	snapshot_take(&boot);
	boot_memmap = vmstat_value("nr_memmap_boot_pages");
	note("%s (%s, installed from the initrd): [0x%" PRIx64 "-0x%" PRIx64 "] memory%ld..memory%ld,"
	     " online movable boot memory with the device as firmware_node; MemTotal %lld kB",
	     base, DEV_PATH, start, start + size - 1, first, first + count - 1, boot.memtotal_kb);
	return true;
}

static bool offline_blocks(void)
{
	struct mem_snapshot now;
	bool same;
	int err;

	if (!found) {
		hp_skip("no device");
		return true;
	}
	have_remove = !access(MEMORY_SYSFS "/remove", W_OK);
	err = set_range_state(start, start + size, bs, "offline");
	if (!have_remove) {
		/* Baseline: arm64's notifier refuses to offline boot memory. */
		CHECK(err == -EPERM, "offline of boot memory: %s, expected %s",
		      err ? strerror(-err) : "success", strerror(EPERM));
		snapshot_take(&now);
		same = snapshot_same(&boot, &now);
		snapshot_free(&now);
		CHECK(same, "the refused offline changed something");
		hp_skip("no remove file: boot memory cannot go offline here (%s), nothing changed",
			strerror(EPERM));
		return true;
	}
	CHECK(!err, "offline: %s", strerror(-err));
	snapshot_take(&offline);
	CHECK(offline.memtotal_kb == boot.memtotal_kb - (long long)(size >> 10),
	      "MemTotal %lld kB after offline, boot %lld kB", offline.memtotal_kb,
	      boot.memtotal_kb);
	offlined = true;
	note("offline: memory%" PRIu64 "..memory%" PRIu64 ", MemTotal %lld -> %lld kB",
	     start / bs, (start + size) / bs - 1, boot.memtotal_kb, offline.memtotal_kb);
	return true;
}

/* Writes @text to the remove file: EPERM, and nothing changed. */
static bool remove_refused(const char *text)
{
	struct mem_snapshot now;
	bool same;
	int err;

	if (!have_remove || !offlined) {
		hp_skip(have_remove ? "the blocks are not offline" : "no %s/remove", MEMORY_SYSFS);
		return true;
	}
	err = write_file(MEMORY_SYSFS "/remove", text);
	snapshot_take(&now);
	same = snapshot_same(&offline, &now);
	snapshot_free(&now);
	CHECK(err == -EPERM, "remove '%s' of the ACPI device's boot memory: %s, expected %s", text,
	      err ? strerror(-err) : "success (the memory is gone)", strerror(EPERM));
	CHECK(same, "the refused remove changed something");
	note("remove '%s' -> %s; blocks, /proc/iomem and MemTotal unchanged", text,
	     strerror(EPERM));
	return true;
}

static bool remove_range_refused(void)
{
	char text[64];

	snprintf(text, sizeof(text), "0x%" PRIx64 ",0x%" PRIx64, start, size);
	return remove_refused(text);
}

static bool remove_block_refused(void)
{
	uint64_t block = start + (size / bs / 2) * bs;
	char text[64];

	if (have_remove && !block_state(block / bs)) {
		hp_skip("memory%" PRIu64 " is gone: an earlier remove took it", block / bs);
		return true;
	}
	/* One block in the middle ("START" alone is one block). */
	snprintf(text, sizeof(text), "0x%" PRIx64, block);
	return remove_refused(text);
}

/* Wait up to @timeout_ms for @needle to appear in the kernel log more than @before times. */
static bool wait_log(const char *needle, int before, int timeout_ms)
{
	for (; timeout_ms > 0; timeout_ms -= 100) {
		if (dmesg_count(needle) > before)
			return true;
		usleep(100 * 1000);
	}
	return false;
}

static bool eject(void)
{
	long long ps = sysconf(_SC_PAGESIZE), pmd = ps * (ps / 8), drop, freed, tables_max;
	int refusals = dmesg_count("Offline failed."), err, ms;
	char path[PATH_MAX + 16];
	struct mem_snapshot now;
	long first;
	bool same;

	if (!found) {
		hp_skip("no device");
		return true;
	}
	snprintf(path, sizeof(path), "%s/eject", dev);
	err = write_file(path, "1");
	CHECK(!err, "eject: %s", strerror(-err));
	if (!have_remove) {
		/* The eject offlines the blocks first (acpi_scan_try_to_offline), which fails. */
		CHECK(wait_log("Offline failed.", refusals, 60000), "no offline failure in 60 s");
		sleep(1);
		snapshot_take(&now);
		same = snapshot_same(&boot, &now);
		snapshot_free(&now);
		CHECK(status() == 15, "_STA %lld after the refused eject", status());
		CHECK(same, "the refused eject changed something");
		note("eject refused (the blocks cannot go offline): device present, blocks online, "
		     "/proc/iomem and MemTotal unchanged");
		return true;
	}
	/* The eject runs from a workqueue; _EJ0 clears _STA at its end. */
	for (ms = 0; ms < 60000 && status() != 0; ms += 100)
		usleep(100 * 1000);
	CHECK(status() == 0, "_STA %lld 60 s after the eject", status());
	CHECK(wait_blocks(start, start + size, false, 0), "blocks of the device still present");
	CHECK(physical_blocks(&first) == 0, "the device still has physical nodes");
	CHECK(!iomem_overlaps(start, start + size, "System RAM"), "System RAM still in /proc/iomem");
	snapshot_take(&now);
	/* MemTotal: less the range, plus its boot memmap and page tables, now freed. */
	drop = (boot.memtotal_kb - now.memtotal_kb) << 10;
	freed = (boot_memmap - vmstat_value("nr_memmap_boot_pages")) * ps;
	tables_max = ((long long)size / pmd + 8) * ps;
	note("eject: [0x%" PRIx64 "-0x%" PRIx64 "] gone from blocks and /proc/iomem; MemTotal "
	     "%lld -> %lld kB: -%lld MiB + %lld kB boot memmap + %lld kB page tables",
	     start, start + size - 1, boot.memtotal_kb, now.memtotal_kb, (long long)(size / MiB),
	     freed >> 10, ((long long)size - freed - drop) >> 10);
	snapshot_free(&now);
	CHECK(drop <= (long long)size - freed && drop >= (long long)size - freed - tables_max,
	      "MemTotal fell by %lld kB, expected %lld kB less up to %lld kB of page tables",
	      drop >> 10, ((long long)size - freed) >> 10, tables_max >> 10);
	return true;
}

int main(void)
{
	static const struct hp_case cases[] = {
		{ "device_owns_boot_blocks", find_device },
		{ "offline_blocks", offline_blocks },
		{ "remove_range_refused", remove_range_refused },
		{ "remove_block_refused", remove_block_refused },
		{ "eject", eject },
	};

	return hp_run_all(cases, sizeof(cases) / sizeof(cases[0]));
}
