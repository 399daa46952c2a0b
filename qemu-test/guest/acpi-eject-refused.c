// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI DIMM removal that the kernel refuses, and remove on memory that is not probe's: with
 * arch_check_remove_memory() failing through fail_function, device_del of a DIMM whose blocks
 * are online must fail towards the firmware (_OST "device busy", no DEVICE_DELETED), leave the
 * blocks online with their data, and a later device_del must remove the DIMM. When the removal
 * fails only after the eject's check passed and the blocks went offline (the second call of
 * arch_check_remove_memory() fails), the eject must fail the same way and keep the DIMM, offline
 * and still bound to its ACPI device. The sysfs remove file must refuse the DIMM's blocks and
 * boot memory with EPERM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hp.h"

#define DIMM_SIZE (512 * MiB)
#define DATA_SIZE (256 * MiB)
#define SEED 0x656a656374ULL

static struct mem_snapshot boot;
static uint64_t addr, bs;
static uint64_t *data;

static bool add_dimm(void)
{
	char reply[256];

	snapshot_take(&boot);
	bs = memory_block_size();
	CHECK(host_request(reply, sizeof(reply), "dimm-add dimm0 %lu", DIMM_SIZE), "host: %s", reply);
	CHECK(sscanf(reply, "ok addr=%" SCNx64, &addr) == 1, "reply '%s'", reply);
	CHECK(wait_blocks(addr, addr + DIMM_SIZE, true, 20000), "DIMM blocks did not appear");
	note("dimm0 at 0x%" PRIx64 ": memory%" PRIu64 "..memory%" PRIu64, addr, addr / bs,
	     (addr + DIMM_SIZE) / bs - 1);
	return true;
}

static bool remove_refuses_owned_memory(void)
{
	char text[32];
	int err;

	if (access(MEMORY_SYSFS "/remove", W_OK)) {
		hp_skip("no %s/remove", MEMORY_SYSFS);
		return true;
	}
	snprintf(text, sizeof(text), "0x%" PRIx64, addr);
	err = write_file(MEMORY_SYSFS "/remove", text);
	CHECK(err == -EPERM, "remove of an offline ACPI DIMM block: %s, expected %s",
	      err ? strerror(-err) : "success", strerror(EPERM));
	CHECK(block_state(addr / bs), "the DIMM block went away");
	note("remove of the DIMM's offline block 0x%" PRIx64 " -> %s", addr, strerror(EPERM));
	/* The first block of boot memory (ACPI boot: the lowest System RAM block). */
	for (unsigned long nr = 0; nr < addr / bs; nr++) {
		if (!block_state(nr))
			continue;
		snprintf(text, sizeof(text), "0x%" PRIx64, (uint64_t)nr * bs);
		err = write_file(MEMORY_SYSFS "/remove", text);
		CHECK(err == -EPERM, "remove of boot block %s: %s, expected %s", text,
		      err ? strerror(-err) : "success", strerror(EPERM));
		note("remove of boot memory block %s -> %s", text, strerror(EPERM));
		break;
	}
	return true;
}

static bool online_with_data(void)
{
	for (uint64_t nr = addr / bs; nr < (addr + DIMM_SIZE) / bs; nr++)
		CHECK(!set_block_state(nr, "online_movable"), "online_movable memory%" PRIu64, nr);
	data = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(data != MAP_FAILED, "mmap");
	pattern_fill(data, DATA_SIZE, SEED);
	note("DIMM online movable, %ld pages of a pattern in it",
	     pages_in_range(data, DATA_SIZE, addr, addr + DIMM_SIZE));
	return true;
}

static bool eject_refused(void)
{
	long long total = meminfo_kb("MemTotal");
	char reply[256];
	bool deleted;

	if (!inject_remove_failure(-EBUSY)) {
		hp_skip("cannot inject into arch_check_remove_memory (kernel without the series)");
		return true;
	}
	deleted = host_request(reply, sizeof(reply), "dimm-del dimm0");
	clear_remove_failure();
	CHECK(!deleted, "the DIMM was removed although removal was refused");
	CHECK(strstr(reply, "0x82"), "host: %s (expected _OST status 0x82, device busy)", reply);
	note("device_del with removal refused: %s", reply + 4);
	for (uint64_t nr = addr / bs; nr < (addr + DIMM_SIZE) / bs; nr++) {
		char path[128], *zone;

		CHECK(block_state(nr) && !strcmp(block_state(nr), "online"),
		      "memory%" PRIu64 " is %s after the refused eject", nr, block_state(nr));
		/* Re-onlined into ZONE_NORMAL, it would collect unmovable pages. */
		snprintf(path, sizeof(path), MEMORY_SYSFS "/memory%" PRIu64 "/valid_zones", nr);
		zone = read_file(path);
		CHECK(zone && !strcmp(zone, "Movable\n"), "memory%" PRIu64 " zone %s", nr, zone);
		free(zone);
	}
	CHECK(meminfo_kb("MemTotal") == total, "MemTotal %lld kB, was %lld kB",
	      meminfo_kb("MemTotal"), total);
	CHECK(pattern_check(data, DATA_SIZE, SEED) == 0, "the pattern changed");
	pattern_fill(data, DATA_SIZE, SEED + 1);
	CHECK(pattern_check(data, DATA_SIZE, SEED + 1) == 0, "memory not usable after the refusal");
	note("blocks still online movable, MemTotal unchanged, data intact and memory in use");
	return true;
}

/* The eject's check passes, the blocks go offline, then __remove_memory() fails. */
static bool eject_aborted_after_offline(void)
{
	long long total = meminfo_kb("MemTotal");
	char reply[256], path[128];
	bool deleted;

	if (!inject_remove_failure_once(-EBUSY, 2)) {
		hp_skip("cannot inject into arch_check_remove_memory (kernel without the series)");
		return true;
	}
	deleted = host_request(reply, sizeof(reply), "dimm-del dimm0");
	clear_remove_failure();
	CHECK(!deleted, "the DIMM was ejected although its memory could not be removed");
	CHECK(strstr(reply, "0x82"), "host: %s (expected _OST status 0x82, device busy)", reply);
	note("device_del with the removal failing after offline: %s", reply + 4);
	for (uint64_t nr = addr / bs; nr < (addr + DIMM_SIZE) / bs; nr++) {
		CHECK(block_state(nr) && !strcmp(block_state(nr), "offline"),
		      "memory%" PRIu64 " is %s after the aborted eject", nr, block_state(nr));
		snprintf(path, sizeof(path), MEMORY_SYSFS "/memory%" PRIu64 "/firmware_node", nr);
		CHECK(!access(path, F_OK), "memory%" PRIu64 " is not bound to the ACPI device", nr);
	}
	CHECK(iomem_has(addr, addr + DIMM_SIZE, "System RAM"), "the DIMM left /proc/iomem");
	CHECK(meminfo_kb("MemTotal") == total - (long long)(DIMM_SIZE >> 10),
	      "MemTotal %lld kB, expected %lld kB (the DIMM offline)", meminfo_kb("MemTotal"),
	      total - (long long)(DIMM_SIZE >> 10));
	CHECK(pattern_check(data, DATA_SIZE, SEED + 1) == 0, "the pattern changed");
	note("DIMM kept, its blocks offline and bound to the ACPI device; data migrated intact");
	return true;
}

static bool eject_after_refusal(void)
{
	struct mem_snapshot now;
	char reply[256];
	bool same;

	munmap(data, DATA_SIZE);
	/* The ACPI eject offlines the blocks itself. */
	CHECK(host_request(reply, sizeof(reply), "dimm-del dimm0"), "host: %s", reply);
	CHECK(wait_blocks(addr, addr + DIMM_SIZE, false, 20000), "DIMM blocks still present");
	snapshot_take(&now);
	same = snapshot_same(&boot, &now);
	snapshot_free(&now);
	CHECK(same, "not back to the boot state");
	note("device_del without the injection removed the DIMM; state back to boot");
	return true;
}

int main(void)
{
	static const struct hp_case cases[] = {
		{ "add_dimm", add_dimm },
		{ "remove_refuses_owned_memory", remove_refuses_owned_memory },
		{ "online_with_data", online_with_data },
		{ "eject_refused_keeps_dimm", eject_refused },
		{ "eject_aborted_after_offline", eject_aborted_after_offline },
		{ "eject_after_refusal", eject_after_refusal },
	};

	return hp_run(cases, sizeof(cases) / sizeof(cases[0]));
}
