// SPDX-License-Identifier: GPL-2.0
/*
 * Boot memory removal against kexec, kdump and hibernation (memory_hotplug.remove_boot_memory,
 * crashkernel=, a kernel with CRASH_DUMP, HIBERNATION and PM_DEBUG; DT boot, movablecore=, and
 * rodata=full so that one 128 MiB block of boot memory can be removed alone).
 *
 * A crash image is a one-page kexec_load(KEXEC_ON_CRASH) segment at the start of the crashkernel
 * reservation: enough for the kernel to hold it as kexec_crash_image. (A kexec image that loads
 * is never loaded here: with 4K pages and 52-bit VAs, 6.12.117 oopses in trans_pgd_create_copy()
 * after accepting one; a refused load stops before that.) A hibernation is tried with
 * /sys/power/pm_test = freezer, so that one that passes the checks stops after freezing tasks,
 * with no swap.
 *
 *  (a) a crash image loads before any removal (v1 refused every load once the switch was set);
 *  (b) while it is loaded, removing an offline block of boot memory fails with EBUSY and the log
 *      line, and nothing changes; hibernation is refused while boot memory is offline;
 *  (c) after unloading it the removal succeeds;
 *  (d) then loading a crash or a kexec image fails with EBUSY and the log line;
 *  (e) hibernation is refused (EBUSY, log line), where before any removal it was not.
 *
 * With BOOTMEM_KEXEC_PKVM=1 (booted at EL2 with kvm-arm.mode=protected), only: the switch is
 * ignored with a line at boot, and boot memory cannot go offline (EPERM), as without it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hp.h"

#define CRASH_LOADED "/sys/kernel/kexec_crash_loaded"
#define KEXEC_ON_CRASH 0x00000001

static uint64_t bs, page, crash_start, crash_end, block;
static uint64_t candidates[16];		/* movable boot blocks, from the top */
static int nr_candidates;
static bool removed;

struct kexec_segment_user {
	const void *buf;
	size_t bufsz;
	uint64_t mem;
	size_t memsz;
};

/* kexec_load(2) of one page at @mem; 0 or -errno. */
static int load_page(uint64_t mem, unsigned long flags)
{
	static char image[65536];
	struct kexec_segment_user seg = { image, page, mem, page };

	return syscall(SYS_kexec_load, mem, 1UL, &seg, flags) ? -errno : 0;
}

static int unload(unsigned long flags)
{
	return syscall(SYS_kexec_load, 0UL, 0UL, NULL, flags) ? -errno : 0;
}

static int crash_loaded(void)
{
	char *text = read_file(CRASH_LOADED);
	int v = text ? atoi(text) : -1;

	free(text);
	return v;
}

static const char *err_name(int err)
{
	return err ? strerror(-err) : "success";
}

/* The crashkernel= reservation, from /proc/iomem. */
static bool find_crash_region(void)
{
	char *buf = read_file("/proc/iomem"), *line, *save;

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, ": Crash kernel") &&
		    sscanf(line, " %" SCNx64 "-%" SCNx64, &crash_start, &crash_end) == 2)
			break;
	free(buf);
	return crash_end > crash_start;
}

static bool setup(void)
{
	char *sw = read_file(REMOVE_BOOT_MEMORY);

	bs = memory_block_size();
	page = sysconf(_SC_PAGESIZE);
	CHECK(sw && sw[0] == 'Y', "boot with memory_hotplug.remove_boot_memory=1");
	free(sw);
	/* movable blocks of boot memory, from the top: the first that goes offline is used */
	for (uint64_t a = 64ULL << 30; a >= bs && nr_candidates < 16; a -= bs)
		if (block_state(a / bs - 1) && !strcmp(valid_zones(a / bs - 1), "Movable"))
			candidates[nr_candidates++] = a - bs;
	CHECK(nr_candidates, "no movable boot memory: boot with movablecore=");
	block = candidates[0];
	if (getenv("BOOTMEM_KEXEC_PKVM")) {
		note("block 0x%" PRIx64 " (%" PRIu64 " MiB blocks)", block, bs / MiB);
		return true;
	}
	CHECK(find_crash_region(), "no Crash kernel in /proc/iomem: boot with crashkernel=");
	CHECK(crash_loaded() == 0, "%s: %d", CRASH_LOADED, crash_loaded());
	CHECK(!access("/sys/power/pm_test", W_OK), "no /sys/power/pm_test (CONFIG_PM_DEBUG)");
	CHECK(!write_file("/sys/power/pm_test", "freezer"), "pm_test freezer");
	note("%d movable boot blocks from 0x%" PRIx64 " down (%" PRIu64 " MiB), crashkernel [0x%"
	     PRIx64 "-0x%" PRIx64 "], pm_test freezer", nr_candidates, block, bs / MiB,
	     crash_start, crash_end);
	return true;
}

/* Writes "disk" to /sys/power/state: 0 or -errno. */
static int hibernate(void)
{
	return write_file("/sys/power/state", "disk");
}

static bool hibernation_before_removal(void)
{
	const char *line = "Hibernation refused";
	int before = dmesg_count(line), err = hibernate();

	CHECK(!err, "hibernation (pm_test freezer) before any removal: %s", err_name(err));
	CHECK(dmesg_count(line) == before, "a refusal was logged");
	note("hibernation before any removal: passed the checks, stopped by pm_test after freezing");
	return true;
}

/* (a) */
static bool crash_load_before_removal(void)
{
	int err = load_page(crash_start, KEXEC_ON_CRASH);

	CHECK(!err, "kexec_load(KEXEC_ON_CRASH) before any removal: %s", err_name(err));
	CHECK(crash_loaded() == 1, "%s: %d", CRASH_LOADED, crash_loaded());
	note("crash image loaded at 0x%" PRIx64 " (kexec_crash_loaded 1)", crash_start);
	return true;
}

/* (b) */
static bool removal_refused_while_crash_loaded(void)
{
	const char *line = "removal refused: a crash kernel is loaded";
	const char *hline = "Hibernation refused: boot memory is offline";
	struct mem_snapshot before, after;
	int count = dmesg_count(line), hcount = dmesg_count(hline), err, same;
	char text[32];

	err = -ENOENT;
	for (int i = 0; i < nr_candidates && err; i++) {
		block = candidates[i];
		err = set_block_state(block / bs, "offline");
		if (err)
			note("block 0x%" PRIx64 " does not go offline (%s); trying the next", block,
			     err_name(err));
	}
	CHECK(!err, "no movable boot block went offline");
	err = hibernate();
	CHECK(err == -EBUSY, "hibernation with boot memory offline: %s, expected %s", err_name(err),
	      strerror(EBUSY));
	CHECK(dmesg_count(hline) == hcount + 1, "no log line \"%s\"", hline);
	note("hibernation with block 0x%" PRIx64 " offline -> %s, logged", block, strerror(EBUSY));

	snapshot_take(&before);
	snprintf(text, sizeof(text), "0x%" PRIx64, block);
	err = write_file(MEMORY_SYSFS "/remove", text);
	snapshot_take(&after);
	same = snapshot_same(&before, &after);
	snapshot_free(&before);
	snapshot_free(&after);
	CHECK(err == -EBUSY, "remove with a crash image loaded: %s, expected %s", err_name(err),
	      strerror(EBUSY));
	CHECK(dmesg_count(line) == count + 1, "no log line \"%s\"", line);
	CHECK(same, "the refused removal changed the system");
	CHECK(crash_loaded() == 1, "the crash image is gone");
	note("remove of 0x%" PRIx64 " with a crash image loaded -> %s, logged, nothing changed",
	     block, strerror(EBUSY));
	return true;
}

/* (c) */
static bool removal_after_unload(void)
{
	long long total = meminfo_kb("MemTotal");
	char text[32];
	int err;

	CHECK(!unload(KEXEC_ON_CRASH), "unload of the crash image: %s", strerror(errno));
	CHECK(crash_loaded() == 0, "%s: %d", CRASH_LOADED, crash_loaded());
	snprintf(text, sizeof(text), "0x%" PRIx64, block);
	err = write_file(MEMORY_SYSFS "/remove", text);
	CHECK(!err, "remove of 0x%" PRIx64 " after the unload: %s", block, err_name(err));
	CHECK(!block_state(block / bs), "memory%" PRIu64 " is still there", block / bs);
	removed = true;
	note("crash image unloaded; remove of 0x%" PRIx64 ": ok (MemTotal %lld -> %lld kB)", block,
	     total, meminfo_kb("MemTotal"));
	return true;
}

/* (d) */
static bool loads_refused_after_removal(void)
{
	const char *cline = "Can't load a crash kernel: boot memory was removed";
	const char *kline = "Can't load a kexec kernel: boot memory was removed";
	int ccount = dmesg_count(cline), kcount = dmesg_count(kline), err;

	if (!removed) {
		hp_skip("nothing removed");
		return true;
	}
	err = load_page(crash_start, KEXEC_ON_CRASH);
	CHECK(err == -EBUSY, "crash load after a removal: %s, expected %s", err_name(err),
	      strerror(EBUSY));
	CHECK(dmesg_count(cline) == ccount + 1, "no log line \"%s\"", cline);
	CHECK(crash_loaded() == 0, "a crash image is loaded");
	/* boot RAM below ZONE_MOVABLE; refused before anything is relocated */
	err = load_page(0x50000000, 0);
	CHECK(err == -EBUSY, "kexec load after a removal: %s, expected %s", err_name(err),
	      strerror(EBUSY));
	CHECK(dmesg_count(kline) == kcount + 1, "no log line \"%s\"", kline);
	note("after the removal: crash load -> %s, kexec load -> %s, both logged", strerror(EBUSY),
	     strerror(EBUSY));
	return true;
}

/* (e) */
static bool hibernation_refused_after_removal(void)
{
	const char *line = "Hibernation refused: boot memory was removed";
	int count = dmesg_count(line), err;

	if (!removed) {
		hp_skip("nothing removed");
		return true;
	}
	err = hibernate();
	CHECK(err == -EBUSY, "hibernation after a removal: %s, expected %s", err_name(err),
	      strerror(EBUSY));
	CHECK(dmesg_count(line) == count + 1, "no log line \"%s\"", line);
	note("hibernation after the removal -> %s, logged", strerror(EBUSY));
	return true;
}

/* Protected KVM: the switch is ignored, boot memory stays online. */
static bool pkvm_keeps_boot_memory(void)
{
	const char *boot = "memory_hotplug.remove_boot_memory ignored: protected KVM";
	const char *line = "offlining refused: memory_hotplug.remove_boot_memory is ignored under protected KVM";
	int count = dmesg_count(line), err;

	CHECK(dmesg_count("Protected nVHE mode initialized successfully") +
	      dmesg_count("Protected hVHE mode initialized successfully") == 1,
	      "protected KVM is not running (boot at EL2 with kvm-arm.mode=protected)");
	CHECK(dmesg_count(boot) == 1, "no boot line \"%s\"", boot);
	err = set_block_state(block / bs, "offline");
	CHECK(err == -EPERM, "offline of 0x%" PRIx64 ": %s, expected %s", block, err_name(err),
	      strerror(EPERM));
	CHECK(dmesg_count(line) == count + 1, "no log line \"%s\"", line);
	note("protected KVM: switch ignored at boot; offline of 0x%" PRIx64 " -> %s, logged", block,
	     strerror(EPERM));
	return true;
}

int main(void)
{
	static const struct hp_case cases[] = {
		{ "setup", setup },
		{ "hibernation_before_removal", hibernation_before_removal },
		{ "crash_load_before_removal", crash_load_before_removal },
		{ "removal_refused_while_crash_loaded", removal_refused_while_crash_loaded },
		{ "removal_after_unload", removal_after_unload },
		{ "loads_refused_after_removal", loads_refused_after_removal },
		{ "hibernation_refused_after_removal", hibernation_refused_after_removal },
	};
	static const struct hp_case pkvm_cases[] = {
		{ "setup", setup },
		{ "pkvm_keeps_boot_memory", pkvm_keeps_boot_memory },
	};

	if (getenv("BOOTMEM_KEXEC_PKVM"))
		return hp_run(pkvm_cases, sizeof(pkvm_cases) / sizeof(pkvm_cases[0]));
	return hp_run(cases, sizeof(cases) / sizeof(cases[0]));
}
