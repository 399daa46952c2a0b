// SPDX-License-Identifier: GPL-2.0
/*
 * What x86_64 users of memory hot-plug see through sysfs, which the series' generic patches must
 * leave as it was: no remove file and no boot memory switch (both arm64-only), probe with its
 * errors for bad input, a probed block onlined, used and offlined, and boot memory in
 * ZONE_MOVABLE offlined and onlined again. The same expectations hold on the baseline and the
 * patched kernel. Needs "mem=" below the machine's RAM ("hp.ram="): the rest is hidden for probe.
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

#define SEED 0x78383668707270ULL

static uint64_t bs, hidden_start, hidden_end;

static bool setup(void)
{
	uint64_t mem = cmdline_size(" mem="), ram = cmdline_size("hp.ram=");

	bs = memory_block_size();
	CHECK(bs, "no %s/block_size_bytes", MEMORY_SYSFS);
	CHECK(mem && ram > mem, "needs mem= below hp.ram= on the command line");
	/* q35 puts the first 2 GiB (up to 2.75 GiB) of RAM at 0, below the PCI hole. */
	hidden_start = (mem + bs - 1) / bs * bs;
	hidden_end = ram / bs * bs;
	CHECK(hidden_end > hidden_start, "no whole block hidden between mem= and hp.ram=");
	CHECK(!iomem_overlaps(hidden_start, hidden_end, "System RAM"),
	      "[0x%" PRIx64 "-0x%" PRIx64 ") is already System RAM", hidden_start, hidden_end);
	note("block size %" PRIu64 " MiB; hidden [0x%" PRIx64 "-0x%" PRIx64 ")", bs / MiB,
	     hidden_start, hidden_end);
	return true;
}

/* The series gives both files to arm64 only: x86 keeps its sysfs ABI. */
static bool no_remove_file_nor_switch(void)
{
	CHECK(access(MEMORY_SYSFS "/probe", W_OK) == 0, "no probe file: %s", strerror(errno));
	CHECK(access(MEMORY_SYSFS "/remove", F_OK) && errno == ENOENT, "remove file exists");
	CHECK(access("/sys/module/memory_hotplug/parameters/remove_boot_memory", F_OK) &&
	      errno == ENOENT, "the remove_boot_memory parameter exists");
	return true;
}

/* A probe write that must fail with @err and change nothing. */
static bool probe_refused(const char *input, int err)
{
	struct mem_snapshot before, after;
	int ret;
	bool same;

	snapshot_take(&before);
	ret = write_file(MEMORY_SYSFS "/probe", input);
	snapshot_take(&after);
	same = snapshot_same(&before, &after);
	snapshot_free(&before);
	snapshot_free(&after);
	CHECK(ret == -err, "probe '%s': %s, expected %s", input, strerror(-ret), strerror(err));
	CHECK(same, "probe '%s' changed the system", input);
	return true;
}

static bool probe_bad_input(void)
{
	char buf[64];

	if (!probe_refused("garbage", EINVAL) || !probe_refused("0x", EINVAL) ||
	    !probe_refused("0x1ffffffffffffffff", ERANGE))
		return false;
	snprintf(buf, sizeof(buf), "0x%" PRIx64, hidden_start + 4096);
	if (!probe_refused(buf, EINVAL))	/* not block aligned */
		return false;
	snprintf(buf, sizeof(buf), "0x%" PRIx64, bs);	/* boot memory: its resource is busy */
	if (!probe_refused(buf, EEXIST))
		return false;
	/* Beyond what the direct map can reach: mhp_range_allowed(). */
	return probe_refused("0x4000000000000000", E2BIG);
}

static bool probed_block_used_and_offlined(void)
{
	long long total = meminfo_kb("MemTotal");
	size_t size = 2 * bs;
	uint64_t *data;
	long in_block;
	char buf[32];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, hidden_start);
	CHECK(write_file(MEMORY_SYSFS "/probe", buf) == 0, "probe %s failed", buf);
	CHECK(wait_blocks(hidden_start, hidden_start + bs, true, 0), "no block after probe");
	CHECK(!strcmp(block_state(hidden_start / bs), "offline"), "probed block is %s",
	      block_state(hidden_start / bs));
	CHECK(iomem_has(hidden_start, hidden_start + bs, "System RAM"),
	      "no System RAM line for the probed block");
	CHECK(meminfo_kb("MemTotal") == total, "MemTotal changed before online");
	CHECK(set_block_state(hidden_start / bs, "online_movable") == 0, "online_movable failed");
	CHECK(meminfo_kb("MemTotal") == total + (long long)(bs >> 10),
	      "MemTotal %lld kB, expected %lld", meminfo_kb("MemTotal"), total + (long long)(bs >> 10));

	/* Twice the block, so that part of it lands there; the offline must migrate it intact. */
	data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		    -1, 0);
	CHECK(data != MAP_FAILED, "mmap: %s", strerror(errno));
	pattern_fill(data, size, SEED);
	in_block = pages_in_range(data, size, hidden_start, hidden_start + bs);
	note("%ld pages of the pattern in the probed block", in_block);
	CHECK(in_block > 0, "no page of the pattern in the probed block");
	CHECK(set_block_state(hidden_start / bs, "offline") == 0, "offline failed");
	CHECK(pattern_check(data, size, SEED) == 0, "pattern damaged by the offline");
	CHECK(pages_in_range(data, size, hidden_start, hidden_start + bs) == 0,
	      "pattern pages still in the offline block");
	munmap(data, size);
	CHECK(meminfo_kb("MemTotal") == total, "MemTotal %lld kB after offline, expected %lld",
	      meminfo_kb("MemTotal"), total);
	/* Without a remove file the block stays; a second probe finds its resource busy. */
	return probe_refused(buf, EEXIST);
}

/*
 * x86 lets boot memory in ZONE_MOVABLE go offline and come back, without any switch. A block
 * holding memblock allocations (made top-down, so at the end of RAM, where movablecore= puts the
 * zone) refuses with EBUSY and stays online; at least one must go.
 */
static bool movable_boot_blocks_offline_online(void)
{
	long long total = meminfo_kb("MemTotal");
	unsigned long nr, went = 0, busy = 0;
	int ret;

	for (nr = 0; nr < hidden_start / bs; nr++) {
		if (!block_state(nr) || strcmp(block_state(nr), "online") ||
		    strcmp(valid_zones(nr), "Movable"))
			continue;
		ret = set_block_state(nr, "offline");
		if (ret) {
			CHECK(ret == -EBUSY, "offline of boot block %lu: %s", nr, strerror(-ret));
			CHECK(!strcmp(block_state(nr), "online"), "refused block %lu is %s", nr,
			      block_state(nr));
			busy++;
			continue;
		}
		CHECK(meminfo_kb("MemTotal") == total - (long long)(bs >> 10),
		      "MemTotal %lld kB after offline, expected %lld", meminfo_kb("MemTotal"),
		      total - (long long)(bs >> 10));
		CHECK(set_block_state(nr, "online_movable") == 0, "online of boot block %lu failed",
		      nr);
		CHECK(meminfo_kb("MemTotal") == total, "MemTotal not back after online");
		went++;
	}
	if (!went && !busy) {
		hp_skip("no online boot block in ZONE_MOVABLE (boot with movablecore=)");
		return true;
	}
	note("movable boot blocks: %lu went offline and online again, %lu busy (EBUSY)", went, busy);
	CHECK(went, "no movable boot block could go offline");
	return true;
}

int main(void)
{
	static const struct hp_case cases[] = {
		{ "setup", setup },
		{ "no_remove_file_nor_switch", no_remove_file_nor_switch },
		{ "probe_bad_input", probe_bad_input },
		{ "probed_block_used_and_offlined", probed_block_used_and_offlined },
		{ "movable_boot_blocks_offline_online", movable_boot_blocks_offline_online },
	};

	return hp_run(cases, sizeof(cases) / sizeof(cases[0]));
}
