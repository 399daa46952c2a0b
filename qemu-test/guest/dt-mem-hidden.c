// SPDX-License-Identifier: GPL-2.0
/*
 * DT boot with "mem=" hiding the top of RAM (the setup of the probe/remove tests): System RAM
 * must end at RAM base + mem=, with no memory block above it, so the hidden part is free for
 * probe. The host passes the machine's RAM size as "hp.ram=".
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hp.h"

#define VIRT_RAM_BASE 0x40000000ULL

static bool ram_ends_at_mem_limit(void)
{
	uint64_t mem = cmdline_size(" mem="), ram = cmdline_size("hp.ram="), top = 0, s, e;
	char *iomem = read_file("/proc/iomem"), *line;

	if (!mem || !ram) {
		hp_skip("needs mem= and hp.ram= on the command line");
		return true;
	}
	for (line = strtok(iomem, "\n"); line; line = strtok(NULL, "\n"))
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " : System RAM", &s, &e) == 2 &&
		    strstr(line, ": System RAM") && e > top)
			top = e;
	free(iomem);
	CHECK(top == VIRT_RAM_BASE + mem - 1, "System RAM ends at 0x%" PRIx64 ", mem= ends at 0x%llx",
	      top, VIRT_RAM_BASE + mem - 1);
	CHECK(wait_blocks(VIRT_RAM_BASE + mem, VIRT_RAM_BASE + ram, false, 0),
	      "memory blocks exist in the hidden range");
	note("System RAM ends at 0x%" PRIx64 "; [0x%llx-0x%llx] hidden (%" PRIu64 " MiB)", top,
	     VIRT_RAM_BASE + mem, VIRT_RAM_BASE + ram - 1, (ram - mem) / MiB);
	note("%s/probe %s", MEMORY_SYSFS,
	     access(MEMORY_SYSFS "/probe", W_OK) ? "is absent" : "is present");
	return true;
}

int main(void)
{
	static const struct hp_case cases[] = { { "ram_ends_at_mem_limit", ram_ends_at_mem_limit } };

	return hp_run(cases, 1);
}
