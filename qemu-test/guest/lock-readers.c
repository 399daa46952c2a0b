// SPDX-License-Identifier: GPL-2.0
/*
 * Readers of mem_hotplug_lock racing hot-plug. The arm64 ptdump walks the kernel page tables
 * under get_online_mems(), and hot-add and hot-remove change the linear map only with the lock
 * held for writing: so every dump must show the linear map with a DIMM's memory either wholly
 * mapped or not at all, never part of it, and no walk may trip over a page table being freed
 * (KASAN, in the debug kernel). Two processes dump the page tables without pause while DIMMs
 * are added, onlined, offlined and removed (LOCK_CYCLES, 12, of LOCK_DIMM_MIB, 2048); the cycles must complete (writers
 * are not starved), readers must finish dumps during them (they did race), and the memory
 * state must end as it began.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hp.h"

#define NR_READERS 2

struct shared {
	volatile int stop;
	volatile long dumps, torn, failed;
	volatile uint64_t torn_bytes;
};

static struct shared *sh;
static uint64_t boot_linear, dimm_size;

static void reader(void)
{
	while (!sh->stop) {
		struct pgtables pt;
		uint64_t bytes;

		if (!pgtables_read(&pt)) {
			__atomic_add_fetch(&sh->failed, 1, __ATOMIC_RELAXED);
			continue;
		}
		bytes = pt.linear.bytes;
		pgtables_free(&pt);
		if (bytes != boot_linear && bytes != boot_linear + dimm_size) {
			__atomic_add_fetch(&sh->torn, 1, __ATOMIC_RELAXED);
			sh->torn_bytes = bytes;
		}
		__atomic_add_fetch(&sh->dumps, 1, __ATOMIC_RELAXED);
	}
	_exit(0);
}

static bool dimm_cycle(int i, uint64_t bs)
{
	char reply[256];
	uint64_t addr;

	CHECK(host_request(reply, sizeof(reply), "dimm-add lr%d %" PRIu64, i, dimm_size),
	      "host: %s", reply);
	CHECK(sscanf(reply, "ok addr=%" SCNx64, &addr) == 1, "reply '%s'", reply);
	CHECK(wait_blocks(addr, addr + dimm_size, true, 20000), "blocks of lr%d missing", i);
	CHECK(!set_range_state(addr, addr + dimm_size, bs, "online_movable"), "online lr%d", i);
	CHECK(!set_range_state(addr, addr + dimm_size, bs, "offline"), "offline lr%d", i);
	CHECK(host_request(reply, sizeof(reply), "dimm-del lr%d", i), "host: %s", reply);
	CHECK(wait_blocks(addr, addr + dimm_size, false, 20000), "blocks of lr%d still there", i);
	return true;
}

static bool readers_race_hotplug(void)
{
	int cycles = env_int("LOCK_CYCLES", 12);
	uint64_t bs = memory_block_size();
	struct hp_state start, end;
	pid_t pids[NR_READERS];
	struct pgtables pt;
	long before, during = 0;
	bool ok = true;

	dimm_size = (uint64_t)env_int("LOCK_DIMM_MIB", 2048) * MiB;
	CHECK(hp_state_take(&start), "reading the start state");
	CHECK(pgtables_read(&pt), "reading %s", PTDUMP);
	boot_linear = pt.linear.bytes;
	pgtables_free(&pt);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(sh != MAP_FAILED, "mmap");
	for (int r = 0; r < NR_READERS; r++) {
		pids[r] = fork();
		CHECK(pids[r] >= 0, "fork");
		if (!pids[r])
			reader();
	}
	for (int i = 0; i < cycles && ok; i++) {
		before = sh->dumps;
		ok = dimm_cycle(i, bs);
		during += sh->dumps > before;
	}
	sh->stop = 1;
	for (int r = 0; r < NR_READERS; r++)
		waitpid(pids[r], NULL, 0);
	CHECK(ok, "a hot-plug cycle failed with readers running");
	note("%d cycles of a %" PRIu64 " MiB DIMM; %ld page-table dumps, %ld cycles overlapped "
	     "by finished dumps, %ld torn, %ld unreadable", cycles, dimm_size / MiB, sh->dumps, during,
	     sh->torn, sh->failed);
	CHECK(!sh->torn, "%ld dumps saw part of a DIMM in the linear map (%" PRIu64 " bytes "
	      "mapped; boot %" PRIu64 ", with the DIMM %" PRIu64 "): a reader ran beside a writer",
	      sh->torn, sh->torn_bytes, boot_linear, boot_linear + dimm_size);
	CHECK(!sh->failed, "%ld dumps could not be read", sh->failed);
	CHECK(during >= cycles / 2, "dumps finished during only %ld of %d cycles: no race", during,
	      cycles);
	CHECK(hp_state_take(&end), "reading the end state");
	CHECK(hp_state_same(&start, &end), "the memory state differs from the start");
	hp_state_free(&start);
	hp_state_free(&end);
	return true;
}

int main(void)
{
	static const struct hp_case cases[] = {
		{ "readers_race_hotplug", readers_race_hotplug },
	};

	return hp_run(cases, 1);
}
