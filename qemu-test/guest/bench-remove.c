// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, guest side: wall times of offline+remove, and the kernel's own time of pass 1
 * (arch_check_remove_memory()) and of the whole removal (__remove_memory()) from the
 * function_graph tracer. Prints one "# bench <what> <key>=<value>..." line per measurement;
 * scripts/bench.sh turns them into a table.
 *   dimm:    a 1 GiB ACPI DIMM, online movable, offlined through sysfs, then device_del (both kernels)
 *   bootmem: a 1 GiB extent of boot memory, offline + remove (patched, remove_boot_memory=1)
 *   pass1:   probe, online, offline and remove 128 MiB .. 2 GiB (patched)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "hp.h"

#define TRACING "/sys/kernel/tracing"
#define GiB (1024 * MiB)
#define ROUNDS 3

static uint64_t bs;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static bool tracing_start(void)
{
	if (access(TRACING "/trace", W_OK) && mount("tracefs", TRACING, "tracefs", 0, NULL))
		return false;
	/* the baseline has no arch_check_remove_memory(): its filter holds __remove_memory only */
	write_file(TRACING "/set_ftrace_filter", "arch_check_remove_memory");
	return !write_file(TRACING "/tracing_on", "0") &&
	       !write_file(TRACING "/set_ftrace_filter", "__remove_memory") &&
	       !write_file(TRACING "/current_tracer", "function_graph") &&
	       !write_file(TRACING "/options/funcgraph-tail", "1") &&
	       !write_file(TRACING "/trace", "") &&
	       !write_file(TRACING "/tracing_on", "1");
}

/* Duration in microseconds of the last completed call of @func in the trace, or -1. */
static double traced_us(const char *func)
{
	char *buf, *line, *save;
	char tail[128];
	double us = -1;

	write_file(TRACING "/tracing_on", "0");
	buf = read_file(TRACING "/trace");
	snprintf(tail, sizeof(tail), "/* %s */", func);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *bar = strchr(line, '|'), *p;

		if (!bar || line[0] == '#')
			continue;
		if (!strstr(bar, tail) && !(strstr(bar, func) && strstr(bar, "();")))
			continue;
		for (p = line; p < bar && !(*p >= '0' && *p <= '9'); p++)
			;
		/* skip the CPU column "N)" */
		if (strchr(p, ')') && strchr(p, ')') < bar)
			for (p = strchr(p, ')') + 1; p < bar && !(*p >= '0' && *p <= '9'); p++)
				;
		if (p < bar)
			us = strtod(p, NULL);
	}
	free(buf);
	write_file(TRACING "/trace", "");
	write_file(TRACING "/tracing_on", "1");
	return us;
}

static bool bench_dimm(void)
{
	for (int round = 1; round <= ROUNDS; round++) {
		char reply[256], id[16];
		uint64_t addr;
		double t0, t1, t2;

		snprintf(id, sizeof(id), "bench%d", round);
		CHECK(host_request(reply, sizeof(reply), "dimm-add %s %lu", id, (unsigned long)GiB),
		      "host: %s", reply);
		CHECK(sscanf(reply, "ok addr=%" SCNx64, &addr) == 1, "reply '%s'", reply);
		CHECK(wait_blocks(addr, addr + GiB, true, 20000), "DIMM blocks did not appear");
		CHECK(!set_range_state(addr, addr + GiB, bs, "online_movable"), "online_movable");
		t0 = now();
		CHECK(!set_range_state(addr, addr + GiB, bs, "offline"), "offline");
		t1 = now();
		CHECK(host_request(reply, sizeof(reply), "dimm-del %s", id), "host: %s", reply);
		CHECK(wait_blocks(addr, addr + GiB, false, 20000), "DIMM blocks did not go");
		t2 = now();
		note("bench dimm round=%d offline_ms=%.1f remove_ms=%.1f total_ms=%.1f", round,
		     (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t2 - t0) * 1e3);
	}
	return true;
}

/*
 * Offlines the lowest GiB-aligned extent of @size whose blocks are all online movable and go
 * offline (boot-time allocations pin some); returns its start, or 0. Times the offline.
 */
static uint64_t offline_movable_extent(uint64_t size, double *offline_ms)
{
	for (uint64_t a = GiB; a < 64ULL * GiB; a += GiB) {
		bool all = true;
		double t0;

		for (uint64_t b = a; b < a + size && all; b += bs) {
			char path[96], *zones;

			snprintf(path, sizeof(path), MEMORY_SYSFS "/memory%" PRIu64 "/valid_zones",
				 b / bs);
			zones = read_file(path);
			all = zones && !strncmp(zones, "Movable", 7);
			free(zones);
		}
		if (!all)
			continue;
		t0 = now();
		if (!set_range_state(a, a + size, bs, "offline")) {
			*offline_ms = (now() - t0) * 1e3;
			return a;
		}
		set_range_state(a, a + size, bs, "online_movable");
	}
	return 0;
}

static bool bench_bootmem(void)
{
	uint64_t start;
	double offline_ms, t1, t2, pass1, whole;
	int err;

	if (access(MEMORY_SYSFS "/remove", W_OK)) {
		hp_skip("no remove file");
		return true;
	}
	start = offline_movable_extent(GiB, &offline_ms);
	CHECK(start, "no movable 1 GiB extent of boot memory goes offline");
	t1 = now();
	traced_us("__remove_memory");
	err = remove_range(start, GiB);
	t2 = now();
	CHECK(!err, "remove: %s", strerror(-err));
	pass1 = traced_us("arch_check_remove_memory");
	whole = traced_us("__remove_memory");
	note("bench bootmem offline_ms=%.1f remove_ms=%.1f total_ms=%.1f pass1_us=%.2f "
	     "remove_memory_us=%.1f", offline_ms, (t2 - t1) * 1e3, offline_ms + (t2 - t1) * 1e3,
	     pass1, whole);
	/* give it back as hot-added memory for the pass 1 sweep */
	for (uint64_t a = start; a < start + GiB; a += bs) {
		char text[32];

		snprintf(text, sizeof(text), "0x%" PRIx64, a);
		CHECK(!write_file(MEMORY_SYSFS "/probe", text), "probe %s", text);
	}
	CHECK(!set_range_state(start, start + GiB, bs, "online_movable"), "online_movable");
	return true;
}

static bool bench_pass1(void)
{
	uint64_t start;

	if (access(MEMORY_SYSFS "/remove", W_OK)) {
		hp_skip("no remove file");
		return true;
	}
	double offline_ms;

	start = offline_movable_extent(2 * GiB, &offline_ms);
	CHECK(start, "no movable 2 GiB extent goes offline");
	CHECK(!remove_range(start, 2 * GiB), "remove");
	for (uint64_t size = 128 * MiB; size <= 2 * GiB; size *= 2) {
		for (int round = 1; round <= ROUNDS; round++) {
			double t0, t1, t2, pass1, whole;

			for (uint64_t a = start; a < start + size; a += bs) {
				char text[32];

				snprintf(text, sizeof(text), "0x%" PRIx64, a);
				CHECK(!write_file(MEMORY_SYSFS "/probe", text), "probe %s", text);
			}
			CHECK(!set_range_state(start, start + size, bs, "online_movable"), "online");
			t0 = now();
			CHECK(!set_range_state(start, start + size, bs, "offline"), "offline");
			t1 = now();
			traced_us("__remove_memory");
			CHECK(!remove_range(start, size), "remove");
			t2 = now();
			pass1 = traced_us("arch_check_remove_memory");
			whole = traced_us("__remove_memory");
			note("bench pass1 size_mib=%" PRIu64 " round=%d offline_ms=%.1f remove_ms=%.1f "
			     "pass1_us=%.2f remove_memory_us=%.1f", size / MiB, round,
			     (t1 - t0) * 1e3, (t2 - t1) * 1e3, pass1, whole);
		}
	}
	return true;
}

static bool setup(void)
{
	bs = memory_block_size();
	CHECK(tracing_start(), "function_graph tracer: is this a -bench kernel?");
	return true;
}

int main(int argc, char **argv)
{
	static const struct hp_case all[] = {
		{ "setup", setup },
		{ "dimm", bench_dimm },
		{ "bootmem", bench_bootmem },
		{ "pass1", bench_pass1 },
	};
	struct hp_case cases[4];
	int n = 0;

	/* argv: which benches to run; none means all */
	for (int i = 0; i < 4; i++) {
		bool wanted = i == 0 || argc < 2;

		for (int j = 1; j < argc; j++)
			wanted |= !strcmp(argv[j], all[i].name);
		if (wanted)
			cases[n++] = all[i];
	}
	return hp_run(cases, n);
}
