// SPDX-License-Identifier: GPL-2.0
/*
 * probe and remove through sysfs, on a DT boot whose top RAM is hidden with mem= (the host
 * passes the machine's RAM size as hp.ram=): the whole cycle on every hidden block, each
 * refusal of remove with its errno and nothing changed, concurrent removers, and repeated
 * cycles without growth in slab or lost free memory. Skips where the files are absent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hp.h"

#define PROBE MEMORY_SYSFS "/probe"
#define REMOVE MEMORY_SYSFS "/remove"
#define VIRT_RAM_BASE 0x40000000ULL
#define SEED 0x70726f6265ULL
#define CYCLES 200
#define CONCURRENT_WRITERS 4

static struct mem_snapshot boot;
static uint64_t bs, hidden_start, hidden_end;

static uint64_t cmdline_size(const char *key)
{
	char *cmdline = read_file("/proc/cmdline"), *p, *end;
	uint64_t v = 0;

	p = cmdline ? strstr(cmdline, key) : NULL;
	if (p) {
		v = strtoull(p + strlen(key), &end, 0);
		v <<= *end == 'G' ? 30 : *end == 'M' ? 20 : 0;
	}
	free(cmdline);
	return v;
}

static int write_addr(const char *file, uint64_t addr)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, addr);
	return write_file(file, buf);
}

static bool setup(void)
{
	uint64_t mem = cmdline_size(" mem="), ram = cmdline_size("hp.ram=");

	if (access(PROBE, W_OK) || access(REMOVE, W_OK)) {
		hp_skip("%s or %s is absent (kernel without the series or ARCH_MEMORY_PROBE)",
			PROBE, REMOVE);
		return true;
	}
	if (!mem || !ram) {
		hp_skip("needs mem= and hp.ram= on the command line");
		return true;
	}
	bs = memory_block_size();
	hidden_start = VIRT_RAM_BASE + mem;
	hidden_end = VIRT_RAM_BASE + ram;
	CHECK(hidden_start % bs == 0 && hidden_end > hidden_start,
	      "hidden range [0x%" PRIx64 "-0x%" PRIx64 ") is not whole blocks of %" PRIu64 " MiB",
	      hidden_start, hidden_end, bs / MiB);
	snapshot_take(&boot);
	note("hidden RAM [0x%" PRIx64 "-0x%" PRIx64 "]: %" PRIu64 " blocks of %" PRIu64 " MiB",
	     hidden_start, hidden_end - 1, (hidden_end - hidden_start) / bs, bs / MiB);
	return true;
}

/* The case is skipped when setup() found nothing to test. */
#define NEED_SETUP() do { if (!bs) { hp_skip("setup skipped"); return true; } } while (0)

static bool unchanged(const char *what)
{
	struct mem_snapshot now;
	bool same;

	snapshot_take(&now);
	same = snapshot_same(&boot, &now);
	snapshot_free(&now);
	if (!same)
		note("FAIL state changed by %s", what);
	return same;
}

static bool full_cycle(void)
{
	size_t data_size = (hidden_end - hidden_start) / 8 * 5, bad;
	long long total0;
	uint64_t *data;
	long in_hidden;
	uint64_t a;
	int err;

	NEED_SETUP();
	total0 = meminfo_kb("MemTotal");
	for (a = hidden_start; a < hidden_end; a += bs) {
		err = write_addr(PROBE, a);
		CHECK(!err, "probe 0x%" PRIx64 ": %s", a, strerror(-err));
		CHECK(block_state(a / bs) && !strcmp(block_state(a / bs), "offline"),
		      "memory%" PRIu64 " after probe: %s", a / bs, block_state(a / bs));
		CHECK(iomem_has(a, a + bs, "System RAM"), "no System RAM for 0x%" PRIx64, a);
		err = set_block_state(a / bs, "online_movable");
		CHECK(!err, "online_movable memory%" PRIu64 ": %s", a / bs, strerror(-err));
	}
	CHECK(meminfo_kb("MemTotal") == total0 + (long long)(hidden_end - hidden_start) / 1024,
	      "MemTotal %lld kB after onlining, expected %lld kB", meminfo_kb("MemTotal"),
	      total0 + (long long)(hidden_end - hidden_start) / 1024);
	note("probed and onlined %" PRIu64 " blocks: MemTotal %lld kB -> %lld kB",
	     (hidden_end - hidden_start) / bs, total0, meminfo_kb("MemTotal"));

	data = mmap(NULL, data_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(data != MAP_FAILED, "mmap %zu MiB", data_size / MiB);
	pattern_fill(data, data_size, SEED);
	in_hidden = pages_in_range(data, data_size, hidden_start, hidden_end);
	CHECK(in_hidden > 0, "no page of the pattern in the probed memory (%ld)", in_hidden);
	note("%ld pages of a %zu MiB pattern in probed memory", in_hidden, data_size / MiB);

	for (a = hidden_start; a < hidden_end; a += bs) {
		err = set_block_state(a / bs, "offline");
		CHECK(!err, "offline memory%" PRIu64 ": %s", a / bs, strerror(-err));
	}
	CHECK(pages_in_range(data, data_size, hidden_start, hidden_end) == 0,
	      "pattern pages left in offline memory");
	bad = pattern_check(data, data_size, SEED);
	CHECK(bad == 0, "%zu words of the pattern changed by migration", bad);
	munmap(data, data_size);

	for (a = hidden_start; a < hidden_end; a += bs) {
		err = write_addr(REMOVE, a);
		CHECK(!err, "remove 0x%" PRIx64 ": %s", a, strerror(-err));
		CHECK(!block_state(a / bs), "memory%" PRIu64 " still present after remove", a / bs);
	}
	CHECK(unchanged("probe/online/offline/remove"), "not back to the boot state");
	note("offline migrated the pattern intact; after remove MemTotal %lld kB = boot",
	     meminfo_kb("MemTotal"));
	return true;
}

/* Writes @text to remove and expects -@err with nothing changed. */
static bool refused(const char *why, const char *text, int err)
{
	int got = write_file(REMOVE, text);

	CHECK(got == -err, "%s: remove '%s' returned %s, expected %s", why, text,
	      got ? strerror(-got) : "success", strerror(err));
	CHECK(unchanged(why), "%s changed the memory state", why);
	note("%-28s '%s' -> %s", why, text, strerror(err));
	return true;
}

/* The architecture's veto, simulated with fail_function: its errno, and nothing changed. */
static bool arch_veto(void)
{
	struct mem_snapshot before, after;
	bool same;
	int err;

	CHECK(!write_addr(PROBE, hidden_start), "probe");
	snapshot_take(&before);
	if (!inject_remove_failure(-EOPNOTSUPP)) {
		note("arch veto not tested: cannot inject into arch_check_remove_memory");
		return !write_addr(REMOVE, hidden_start);
	}
	err = write_addr(REMOVE, hidden_start);
	clear_remove_failure();
	snapshot_take(&after);
	same = snapshot_same(&before, &after);
	snapshot_free(&before);
	snapshot_free(&after);
	CHECK(err == -EOPNOTSUPP, "remove under the veto: %s, expected %s",
	      err ? strerror(-err) : "success", strerror(EOPNOTSUPP));
	CHECK(same, "the refused remove changed the memory state");
	note("%-28s '0x%" PRIx64 "' -> %s", "arch veto (fail_function)", hidden_start,
	     strerror(EOPNOTSUPP));
	err = write_addr(REMOVE, hidden_start);
	CHECK(!err, "remove once the veto is lifted: %s", strerror(-err));
	return unchanged("the arch veto");
}

static bool refusals(void)
{
	char text[64];
	int err;

	NEED_SETUP();
	CHECK(refused("garbage", "memory", EINVAL), "");
	CHECK(refused("more than 64 bits", "0x10000000000000000", EINVAL), "");
	snprintf(text, sizeof(text), "0x%" PRIx64, hidden_start + 4096);
	CHECK(refused("not block aligned", text, EINVAL), "");
	snprintf(text, sizeof(text), "0x%" PRIx64, hidden_start);
	CHECK(refused("no memory block there", text, ENODEV), "");
	snprintf(text, sizeof(text), "0x%llx", VIRT_RAM_BASE);
	CHECK(refused("boot memory", text, EPERM), "");

	/* Online: probe a block, online it, refuse; then take it away properly. */
	err = write_addr(PROBE, hidden_start);
	CHECK(!err, "probe: %s", strerror(-err));
	CHECK(!set_block_state(hidden_start / bs, "online_movable"), "online_movable");
	err = write_addr(REMOVE, hidden_start);
	CHECK(err == -EBUSY, "remove of an online block: %s, expected %s",
	      err ? strerror(-err) : "success", strerror(EBUSY));
	CHECK(!strcmp(block_state(hidden_start / bs), "online"), "block state changed");
	note("%-28s '0x%" PRIx64 "' -> %s", "online block", hidden_start, strerror(EBUSY));
	CHECK(!set_block_state(hidden_start / bs, "offline"), "offline");
	CHECK(!write_addr(REMOVE, hidden_start), "remove after offline");
	err = write_addr(REMOVE, hidden_start);
	CHECK(err == -ENODEV, "second remove: %s, expected %s", err ? strerror(-err) : "success",
	      strerror(ENODEV));
	note("%-28s '0x%" PRIx64 "' -> %s", "repeated remove", hidden_start, strerror(ENODEV));
	CHECK(unchanged("the online/repeat refusals"), "");
	return arch_veto();
}

static bool concurrent_removers(void)
{
	int i, status, ok = 0, enodev = 0, other = 0;

	NEED_SETUP();
	CHECK(!write_addr(PROBE, hidden_start), "probe");
	for (i = 0; i < CONCURRENT_WRITERS; i++) {
		if (fork() == 0) {
			int err = write_addr(REMOVE, hidden_start);

			_exit(err == 0 ? 0 : err == -ENODEV ? 1 : 2);
		}
	}
	for (i = 0; i < CONCURRENT_WRITERS; i++) {
		wait(&status);
		ok += WEXITSTATUS(status) == 0;
		enodev += WEXITSTATUS(status) == 1;
		other += WEXITSTATUS(status) == 2;
	}
	CHECK(ok == 1 && enodev == CONCURRENT_WRITERS - 1 && !other,
	      "%d removers: %d succeeded, %d got ENODEV, %d got another error",
	      CONCURRENT_WRITERS, ok, enodev, other);
	CHECK(unchanged("concurrent removers"), "");
	note("%d concurrent removers of one block: 1 succeeded, %d got ENODEV",
	     CONCURRENT_WRITERS, enodev);
	return true;
}

static void drop_caches(void)
{
	sync();
	write_file("/proc/sys/vm/drop_caches", "3");
}

static bool cycles(void)
{
	long long unreclaim0, free0, pt0, unreclaim1, free1, pt1;
	int i, err;

	NEED_SETUP();
	/* One cycle first, so that one-time allocations do not count as growth. */
	CHECK(!write_addr(PROBE, hidden_start) && !write_addr(REMOVE, hidden_start), "warm-up");
	drop_caches();
	unreclaim0 = meminfo_kb("SUnreclaim");
	free0 = meminfo_kb("MemFree");
	pt0 = meminfo_kb("PageTables");
	for (i = 0; i < CYCLES; i++) {
		err = write_addr(PROBE, hidden_start);
		CHECK(!err, "cycle %d: probe: %s", i, strerror(-err));
		err = set_block_state(hidden_start / bs, "online_movable");
		CHECK(!err, "cycle %d: online: %s", i, strerror(-err));
		err = set_block_state(hidden_start / bs, "offline");
		CHECK(!err, "cycle %d: offline: %s", i, strerror(-err));
		err = write_addr(REMOVE, hidden_start);
		CHECK(!err, "cycle %d: remove: %s", i, strerror(-err));
	}
	drop_caches();
	unreclaim1 = meminfo_kb("SUnreclaim");
	free1 = meminfo_kb("MemFree");
	pt1 = meminfo_kb("PageTables");
	note("%d cycles: SUnreclaim %lld -> %lld kB, PageTables %lld -> %lld kB, MemFree %lld -> %lld kB",
	     CYCLES, unreclaim0, unreclaim1, pt0, pt1, free0, free1);
	/* A leak of one page table page (or slab object of 1 KiB) a cycle exceeds these. */
	CHECK(unreclaim1 - unreclaim0 < CYCLES, "unreclaimable slab grew by %lld kB",
	      unreclaim1 - unreclaim0);
	CHECK(free0 - free1 < CYCLES * 4, "free memory shrank by %lld kB", free0 - free1);
	CHECK(unchanged("the cycles"), "");
	return true;
}

int main(void)
{
	static const struct hp_case cases[] = {
		{ "setup", setup },
		{ "probe_online_data_offline_remove", full_cycle },
		{ "remove_refusals", refusals },
		{ "concurrent_removers", concurrent_removers },
		{ "probe_remove_cycles", cycles },
	};

	return hp_run(cases, sizeof(cases) / sizeof(cases[0]));
}
