// SPDX-License-Identifier: GPL-2.0
/*
 * The eject of an ACPI DIMM whose blocks are online and hold data: QEMU's device_del, and the
 * kernel's ACPI eject offlines the blocks itself (acpi_scan_try_to_offline()), migrating what
 * is in them. User memory lands in the lowest free pages of a freshly onlined ZONE_MOVABLE
 * first, so offlining from the bottom moves it into the blocks offlined next, again and again:
 * with 256 MiB of data in a 1 GiB DIMM, 6.12 migrates about four times the data. Each page in
 * the DIMM must move once: the pages migrated may exceed those of the pattern in the DIMM by an
 * eighth (and 1024 for the rest of what landed there). The pattern must survive, the DIMM go.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hp.h"

#define DIMM_SIZE (1024 * MiB)
#define DATA_SIZE (256 * MiB)
#define SEED 0x5eed0e1ec7ULL

static uint64_t bs;
static long long boot_kb;

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static bool setup(void)
{
	bs = memory_block_size();
	boot_kb = meminfo_kb("MemTotal");
	CHECK(bs && boot_kb > 0, "block size %" PRIu64 ", MemTotal %lld kB", bs, boot_kb);
	return true;
}

static bool eject_with_data(void)
{
	long long migrated;
	char reply[256];
	uint64_t addr, *data;
	long in_dimm;
	size_t bad;
	double t0;

	CHECK(host_request(reply, sizeof(reply), "dimm-add ej0 %" PRIu64, DIMM_SIZE),
	      "host: %s", reply);
	CHECK(sscanf(reply, "ok addr=%" SCNx64, &addr) == 1, "reply '%s'", reply);
	CHECK(wait_blocks(addr, addr + DIMM_SIZE, true, 20000), "blocks did not appear");
	for (uint64_t a = addr; a < addr + DIMM_SIZE; a += bs)
		CHECK(!strcmp(block_state(a / bs), "online"), "memory%" PRIu64 " is %s", a / bs,
		      block_state(a / bs));
	data = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(data != MAP_FAILED, "mmap %" PRIu64 " MiB", DATA_SIZE / MiB);
	pattern_fill(data, DATA_SIZE, SEED);
	in_dimm = pages_in_range(data, DATA_SIZE, addr, addr + DIMM_SIZE);
	CHECK(in_dimm * sysconf(_SC_PAGESIZE) >= (long)DATA_SIZE / 2,
	      "only %ld pages of the pattern in the DIMM", in_dimm);

	migrated = vmstat_value("pgmigrate_success");
	t0 = now_ms();
	CHECK(host_request(reply, sizeof(reply), "dimm-del ej0"), "host: %s", reply);
	CHECK(wait_blocks(addr, addr + DIMM_SIZE, false, 20000), "blocks still there");
	migrated = vmstat_value("pgmigrate_success") - migrated;
	note("eject of the online 1 GiB DIMM with %ld pages of the pattern: %lld pages migrated "
	     "in %.0f ms", in_dimm, migrated, now_ms() - t0);

	bad = pattern_check(data, DATA_SIZE, SEED);
	munmap(data, DATA_SIZE);
	CHECK(!bad, "%zu words of the pattern changed by the migration", bad);
	CHECK(meminfo_kb("MemTotal") == boot_kb, "MemTotal %lld kB, at boot %lld kB",
	      meminfo_kb("MemTotal"), boot_kb);
	CHECK(!iomem_overlaps(addr, addr + DIMM_SIZE, "System RAM"), "still in /proc/iomem");
	CHECK(migrated <= in_dimm + in_dimm / 8 + 1024,
	      "%lld pages migrated for %ld in the DIMM: the eject moved them into blocks it "
	      "offlined next", migrated, in_dimm);
	return true;
}

int main(void)
{
	static const struct hp_case cases[] = {
		{ "setup", setup },
		{ "eject_with_data", eject_with_data },
	};

	return hp_run(cases, sizeof(cases) / sizeof(cases[0]));
}
