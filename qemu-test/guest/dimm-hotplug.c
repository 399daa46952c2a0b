// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI DIMM hot-plug end to end: the host adds two pc-dimms, the guest onlines their blocks
 * movable, fills memory that lands in them with a pattern, offlines them (which migrates the
 * data out), the host removes the DIMMs; MemTotal, the memory blocks and /proc/iomem must be
 * back to their boot state and the data intact.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hp.h"

#define NR_DIMMS 2
#define DIMM_SIZE (512 * MiB)	/* a multiple of the block size for 4K, 16K and 64K pages */
/* Larger than one DIMM, so both hold part of it; fits in boot memory once they are offline. */
#define DATA_SIZE (640 * MiB)
#define SEED 0x6d656d686f74ULL

static struct mem_snapshot boot;
static uint64_t addr[NR_DIMMS], bs;
static uint64_t *data;

static bool boot_state(void)
{
	snapshot_take(&boot);
	bs = memory_block_size();
	CHECK(bs, "no %s/block_size_bytes", MEMORY_SYSFS);
	note("boot: MemTotal %lld kB, memory block size %" PRIu64 " MiB", boot.memtotal_kb, bs / MiB);
	return true;
}

static bool hot_add(void)
{
	char reply[256];
	int i;

	for (i = 0; i < NR_DIMMS; i++) {
		uint64_t end;

		CHECK(host_request(reply, sizeof(reply), "dimm-add dimm%d %lu", i, DIMM_SIZE),
		      "host: %s", reply);
		CHECK(sscanf(reply, "ok addr=%" SCNx64, &addr[i]) == 1, "reply '%s'", reply);
		end = addr[i] + DIMM_SIZE;
		CHECK(wait_blocks(addr[i], end, true, 20000),
		      "blocks of dimm%d not all present 20 s after the hot-add", i);
		for (uint64_t nr = addr[i] / bs; nr < end / bs; nr++)
			CHECK(!strcmp(block_state(nr), "offline"), "memory%" PRIu64 " is %s", nr,
			      block_state(nr));
		CHECK(iomem_has(addr[i], end, "System RAM"), "no System RAM line for dimm%d", i);
		note("dimm%d: [0x%" PRIx64 "-0x%" PRIx64 "] memory%" PRIu64 "..memory%" PRIu64 " added offline",
		     i, addr[i], end - 1, addr[i] / bs, end / bs - 1);
	}
	CHECK(meminfo_kb("MemTotal") == boot.memtotal_kb, "offline blocks changed MemTotal");
	return true;
}

static bool online_movable(void)
{
	/* the memory map the blocks carry themselves (altmap) is never online */
	uint64_t self_hosted = NR_DIMMS * DIMM_SIZE / bs * block_memmap_on_memory_bytes();
	long long want = boot.memtotal_kb + (NR_DIMMS * DIMM_SIZE - self_hosted) / 1024, now;
	int i, err;

	for (i = 0; i < NR_DIMMS; i++) {
		for (uint64_t nr = addr[i] / bs; nr < (addr[i] + DIMM_SIZE) / bs; nr++) {
			char path[128], *zone;

			err = set_block_state(nr, "online_movable");
			CHECK(!err, "online_movable memory%" PRIu64 ": %s", nr, strerror(-err));
			CHECK(!strcmp(block_state(nr), "online"), "memory%" PRIu64 " is %s", nr,
			      block_state(nr));
			snprintf(path, sizeof(path), MEMORY_SYSFS "/memory%" PRIu64 "/valid_zones", nr);
			zone = read_file(path);
			CHECK(zone && !strcmp(zone, "Movable\n"), "memory%" PRIu64 " zone %s", nr, zone);
			free(zone);
		}
	}
	now = meminfo_kb("MemTotal");
	CHECK(now == want, "MemTotal %lld kB, expected %lld kB", now, want);
	note("online movable: MemTotal %lld kB -> %lld kB (+%lld MiB; memmap in the DIMMs: %" PRIu64
	     " KiB)", boot.memtotal_kb, now, (now - boot.memtotal_kb) / 1024, self_hosted / 1024);
	return true;
}

static bool data_in_dimms(void)
{
	long total = 0, in_dimm;
	int i;

	data = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(data != MAP_FAILED, "mmap %lu MiB", DATA_SIZE / MiB);
	pattern_fill(data, DATA_SIZE, SEED);
	for (i = 0; i < NR_DIMMS; i++) {
		in_dimm = pages_in_range(data, DATA_SIZE, addr[i], addr[i] + DIMM_SIZE);
		CHECK(in_dimm >= 0, "cannot read /proc/self/pagemap");
		note("dimm%d holds %ld pages of the %lu MiB pattern", i, in_dimm, DATA_SIZE / MiB);
		CHECK(in_dimm > 0, "no page of the pattern in dimm%d: its offline would migrate nothing", i);
		total += in_dimm;
	}
	/* Movable allocations prefer ZONE_MOVABLE: most of the pattern must be in the DIMMs. */
	CHECK(total * sysconf(_SC_PAGESIZE) >= (long)DATA_SIZE / 2,
	      "only %ld pages of the pattern are in the DIMMs", total);
	return true;
}

static bool offline(void)
{
	size_t bad;
	int i, err;

	for (i = 0; i < NR_DIMMS; i++) {
		for (uint64_t nr = addr[i] / bs; nr < (addr[i] + DIMM_SIZE) / bs; nr++) {
			err = set_block_state(nr, "offline");
			CHECK(!err, "offline memory%" PRIu64 ": %s", nr, strerror(-err));
			CHECK(!strcmp(block_state(nr), "offline"), "memory%" PRIu64 " is %s", nr,
			      block_state(nr));
		}
		CHECK(pages_in_range(data, DATA_SIZE, addr[i], addr[i] + DIMM_SIZE) == 0,
		      "pattern pages still in dimm%d after offlining it", i);
	}
	CHECK(meminfo_kb("MemTotal") == boot.memtotal_kb, "MemTotal %lld kB after offline",
	      meminfo_kb("MemTotal"));
	bad = pattern_check(data, DATA_SIZE, SEED);
	CHECK(bad == 0, "%zu words of the pattern changed by migration", bad);
	note("offline: pattern migrated out of the DIMMs intact; MemTotal %lld kB",
	     meminfo_kb("MemTotal"));
	munmap(data, DATA_SIZE);
	return true;
}

static bool hot_remove(void)
{
	char reply[256];
	int i;

	for (i = 0; i < NR_DIMMS; i++) {
		CHECK(host_request(reply, sizeof(reply), "dimm-del dimm%d", i), "host: %s", reply);
		CHECK(wait_blocks(addr[i], addr[i] + DIMM_SIZE, false, 20000),
		      "blocks of dimm%d still present after DEVICE_DELETED", i);
		CHECK(!iomem_has(addr[i], addr[i] + DIMM_SIZE, "System RAM"),
		      "dimm%d still in /proc/iomem", i);
		note("dimm%d removed: memory%" PRIu64 "..memory%" PRIu64 " gone", i, addr[i] / bs,
		     (addr[i] + DIMM_SIZE) / bs - 1);
	}
	return true;
}

static bool back_to_boot_state(void)
{
	struct mem_snapshot now;
	bool same;

	snapshot_take(&now);
	same = snapshot_same(&boot, &now);
	note("after removal: MemTotal %lld kB (boot %lld kB)", now.memtotal_kb, boot.memtotal_kb);
	snapshot_free(&now);
	CHECK(same, "memory state differs from boot");
	return true;
}

int main(void)
{
	static const struct hp_case cases[] = {
		{ "boot_state", boot_state },
		{ "hot_add_two_dimms", hot_add },
		{ "online_movable", online_movable },
		{ "pattern_in_dimms", data_in_dimms },
		{ "offline_migrates_intact", offline },
		{ "hot_remove", hot_remove },
		{ "back_to_boot_state", back_to_boot_state },
	};

	return hp_run(cases, sizeof(cases) / sizeof(cases[0]));
}
