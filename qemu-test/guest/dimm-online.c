// SPDX-License-Identifier: GPL-2.0
/*
 * Setup for tests that need hot-plugged memory online, such as upstream's mem-on-off-test.sh
 * (arm64 boot memory cannot be offlined): the host adds a 512 MiB DIMM and its blocks are
 * onlined movable. The DIMM stays.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hp.h"

#define DIMM_SIZE (512 * MiB)

static bool add_and_online(void)
{
	uint64_t addr, bs = memory_block_size();
	char reply[256];

	CHECK(host_request(reply, sizeof(reply), "dimm-add setup0 %lu", DIMM_SIZE), "host: %s", reply);
	CHECK(sscanf(reply, "ok addr=%" SCNx64, &addr) == 1, "reply '%s'", reply);
	CHECK(wait_blocks(addr, addr + DIMM_SIZE, true, 20000), "DIMM blocks did not appear");
	for (uint64_t nr = addr / bs; nr < (addr + DIMM_SIZE) / bs; nr++)
		CHECK(!set_block_state(nr, "online_movable"), "online_movable memory%" PRIu64, nr);
	note("DIMM at 0x%" PRIx64 " online movable: memory%" PRIu64 "..memory%" PRIu64, addr,
	     addr / bs, (addr + DIMM_SIZE) / bs - 1);
	return true;
}

int main(void)
{
	static const struct hp_case cases[] = { { "add_and_online_dimm", add_and_online } };

	return hp_run(cases, 1);
}
