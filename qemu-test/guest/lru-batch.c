// SPDX-License-Identifier: GPL-2.0
/*
 * Offlining a block whose only pages in use wait in another CPU's LRU cache (its lru_add folio
 * batch), off the LRU. scan_movable_pages() looks for LRU pages and does not see them, so only
 * test_pages_isolated() finds the block busy. 6.12 disables the LRU caches before it isolates;
 * patch 33 of the series disables them once it meets a page in use, and must count this
 * busy range as one. A kernel that does not spins until the offline is interrupted: EINTR
 * after the alarm.
 *
 * A thread pinned to CPU 1 writes a few pages into a freshly onlined movable block (fewer than
 * the batch holds, after an munmap has drained its CPU's batch) and blocks; the main thread, on
 * CPU 0, offlines the block. Whatever either thread writes later was faulted in before the
 * block went online, so that the block holds the thread's pages and nothing else. THP is off
 * meanwhile, so that khugepaged does not drain the batches.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hp.h"

#define NR_PAGES 16		/* fewer than a folio batch holds (PAGEVEC_SIZE, 31) */
#define SEED 0x1ab0a7c5ULL
#define ALARM_S 10
#define STACK_TOUCH (64 * 1024)
#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"
#define KPF_LRU 5
#define KPF_BUDDY 10
#define MAX_BLOCK_PFNS (1UL << 17)	/* 512 MiB of 4K pages */

static uint64_t bs, page_size, addr;
static long long boot_kb;
static char thp_saved[64];
static uint64_t pfn_flags[MAX_BLOCK_PFNS];
static int cmd[2], rep[2];

/* What the writer thread reports: its pages in the block, those on the LRU, bad words. */
static struct {
	long in_block, on_lru;
	size_t bad_words;
} report;

static bool setup(void)
{
	char *thp, *open, *close;

	bs = memory_block_size();
	page_size = sysconf(_SC_PAGESIZE);
	boot_kb = meminfo_kb("MemTotal");
	CHECK(bs && boot_kb > 0, "block size %" PRIu64 ", MemTotal %lld kB", bs, boot_kb);
	CHECK(bs / page_size <= MAX_BLOCK_PFNS, "a block of %" PRIu64 " pages", bs / page_size);
	thp = read_file(THP_ENABLED);
	/* "always [madvise] never": keep the bracketed mode */
	open = thp ? strchr(thp, '[') : NULL;
	close = open ? strchr(open, ']') : NULL;
	if (close && close - open - 1 < (long)sizeof(thp_saved))
		snprintf(thp_saved, sizeof(thp_saved), "%.*s", (int)(close - open - 1), open + 1);
	free(thp);
	return true;
}

static bool pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return !sched_setaffinity(0, sizeof(set), &set);
}

/* Fault in the stack below the caller, which later calls use. */
static void __attribute__((noinline)) touch_stack(void)
{
	volatile char pad[STACK_TOUCH];

	for (size_t i = 0; i < sizeof(pad); i += 512)
		pad[i] = 1;
}

/* Counts the pages of @buf in the block, and those on the LRU, into the report. */
static bool count_pages(const void *buf)
{
	uint64_t ent[NR_PAGES], flags;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	bool ok = fd >= 0 && pread(fd, ent, sizeof(ent), (uintptr_t)buf / page_size * 8) ==
		  (ssize_t)sizeof(ent);

	if (fd >= 0)
		close(fd);
	report.in_block = report.on_lru = 0;
	for (int i = 0; ok && i < NR_PAGES; i++) {
		uint64_t pfn = ent[i] & ((1ULL << 55) - 1);

		ok = ent[i] >> 63;
		if (!ok || pfn * page_size < addr || pfn * page_size >= addr + bs)
			continue;
		report.in_block++;
		if (kpageflags(pfn, &flags, 1) && (flags >> KPF_LRU & 1))
			report.on_lru++;
	}
	return ok;
}

/*
 * The writer, on CPU 1: after the first command, drain its CPU's batch (an munmap does), write
 * the pages and count them; after the second, count and check them again.
 */
static void *writer(void *arg)
{
	size_t bytes = NR_PAGES * page_size;
	uint64_t *buf, *drain;
	char c;

	(void)arg;
	touch_stack();
	drain = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	buf = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!pin_to(1) || drain == MAP_FAILED || buf == MAP_FAILED ||
	    madvise(buf, bytes, MADV_NOHUGEPAGE) || write(rep[1], "r", 1) != 1 ||
	    read(cmd[0], &c, 1) != 1)
		return NULL;
	*drain = 1;
	munmap(drain, page_size);
	pattern_fill(buf, bytes, SEED);
	if (!count_pages(buf) || write(rep[1], "w", 1) != 1 || read(cmd[0], &c, 1) != 1)
		return NULL;
	count_pages(buf);
	report.bad_words = pattern_check(buf, bytes, SEED);
	write(rep[1], "c", 1);
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* In-use pages of the block, and how many of them are on the LRU. */
static bool block_in_use(long *in_use, long *on_lru)
{
	size_t n = bs / page_size;

	if (!kpageflags(addr / page_size, pfn_flags, n))
		return false;
	*in_use = *on_lru = 0;
	for (size_t i = 0; i < n; i++) {
		*in_use += !(pfn_flags[i] >> KPF_BUDDY & 1);
		*on_lru += pfn_flags[i] >> KPF_LRU & 1;
	}
	return true;
}

static void restore_thp(void)
{
	if (thp_saved[0])
		write_file(THP_ENABLED, thp_saved);
}

static bool offline_batch_only_block(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART: EINTR */
	long in_use, on_lru;
	struct timespec t0;
	char reply[256];
	pthread_t thread;
	double took;
	int ret;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		hp_skip("needs two CPUs");
		return true;
	}
	CHECK(pin_to(0), "sched_setaffinity: %s", strerror(errno));
	CHECK(host_request(reply, sizeof(reply), "dimm-add lb0 %" PRIu64, bs), "host: %s", reply);
	CHECK(sscanf(reply, "ok addr=%" SCNx64, &addr) == 1, "reply '%s'", reply);
	CHECK(wait_blocks(addr, addr + bs, true, 20000), "the block did not appear");
	CHECK(!strcmp(block_state(addr / bs), "offline"), "memory%" PRIu64 " is %s", addr / bs,
	      block_state(addr / bs));
	if (thp_saved[0])
		CHECK(!write_file(THP_ENABLED, "never"), "cannot turn THP off");
	CHECK(!pipe(cmd) && !pipe(rep), "pipe: %s", strerror(errno));
	CHECK(!pthread_create(&thread, NULL, writer, NULL), "pthread_create");
	CHECK(read(rep[0], reply, 1) == 1 && reply[0] == 'r', "the writer did not start");
	memset(pfn_flags, 0xff, sizeof(pfn_flags));
	touch_stack();

	CHECK(!set_block_state(addr / bs, "online_movable"), "online_movable failed");
	CHECK(write(cmd[1], "g", 1) == 1, "the writer is gone");
	CHECK(read(rep[0], reply, 1) == 1 && reply[0] == 'w', "the writer did not write its pages");
	CHECK(block_in_use(&in_use, &on_lru), "cannot read /proc/kpageflags");
	note("%ld of the writer's %d pages in the block, %ld of them on the LRU; the block has "
	     "%ld pages in use, %ld on the LRU", report.in_block, NR_PAGES, report.on_lru, in_use,
	     on_lru);
	if (report.in_block != NR_PAGES || on_lru) {
		/* Not the state this case needs: an LRU page in the block makes any kernel drain. */
		write(cmd[1], "c", 1);
		pthread_join(thread, NULL);
		set_block_state(addr / bs, "offline");
		host_request(reply, sizeof(reply), "dimm-del lb0");
		restore_thp();
		hp_skip("the block holds %ld of the writer's pages and %ld LRU pages",
			report.in_block, on_lru);
		return true;
	}

	sigaction(SIGALRM, &sa, NULL);
	alarm(ALARM_S);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = set_block_state(addr / bs, "offline");
	took = seconds_since(&t0);
	alarm(0);
	restore_thp();
	note("offline of memory%" PRIu64 ": %s after %.3f s", addr / bs,
	     ret ? strerror(-ret) : "done", took);
	CHECK(ret != -EINTR, "the offline spun until the alarm: the pages in CPU 1's LRU cache "
	      "were never drained");
	CHECK(!ret, "offline: %s", strerror(-ret));

	CHECK(write(cmd[1], "c", 1) == 1 && read(rep[0], reply, 1) == 1 && reply[0] == 'c',
	      "the writer did not check its pages");
	pthread_join(thread, NULL);
	CHECK(!report.in_block, "%ld of the writer's pages still in the offline block",
	      report.in_block);
	CHECK(!report.bad_words, "%zu words of the pattern changed by the migration",
	      report.bad_words);

	CHECK(host_request(reply, sizeof(reply), "dimm-del lb0"), "host: %s", reply);
	CHECK(wait_blocks(addr, addr + bs, false, 20000), "the block is still there");
	CHECK(meminfo_kb("MemTotal") == boot_kb, "MemTotal %lld kB, at boot %lld kB",
	      meminfo_kb("MemTotal"), boot_kb);
	CHECK(!iomem_overlaps(addr, addr + bs, "System RAM"), "still in /proc/iomem");
	return true;
}

int main(void)
{
	static const struct hp_case cases[] = {
		{ "setup", setup },
		{ "offline_batch_only_block", offline_batch_only_block },
	};

	return hp_run(cases, sizeof(cases) / sizeof(cases[0]));
}
