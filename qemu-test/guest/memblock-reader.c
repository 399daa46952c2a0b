// SPDX-License-Identifier: GPL-2.0
/*
 * Readers of memblock.reserved against its writers at run time. With the series, memory hotplug
 * changes memblock.reserved after boot (marks of unused vmemmap), and memblock_double_array()
 * frees the array it replaces. A child reads /sys/kernel/debug/memblock/reserved and memory in a
 * loop while the parent loads and unloads the series' KUnit module (memmap_subsection_kunit)
 * ROUNDS times (hp.env.ROUNDS, default 3): each load maps and unmaps device private ranges, and
 * its case memblock_failure_keeps_page fills memblock.reserved to its capacity and makes the
 * next change grow it. On a debug kernel a read of a freed array is a KASAN report, and a walk
 * without mem_hotplug_lock a lockdep assertion; either fails the run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hp.h"

#define RESERVED "/sys/kernel/debug/memblock/reserved"
#define MODULE "memmap_subsection_kunit"

static int count_lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/* The child: read both files until killed; the count of reads goes to @fd at the end. */
static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void reader(int fd)
{
	long reads = 0;
	char *s;

	signal(SIGTERM, on_term);
	while (!stop) {
		s = read_file(RESERVED);
		free(s);
		s = read_file("/sys/kernel/debug/memblock/memory");
		free(s);
		reads++;
	}
	if (write(fd, &reads, sizeof(reads)) != sizeof(reads))
		_exit(1);
	_exit(0);
}

static bool reads_during_module_cycles(void)
{
	const char *env = getenv("ROUNDS");
	int rounds = env ? atoi(env) : 3, round, fds[2], status, before, after;
	long reads = 0;
	char *s;
	pid_t pid;

	s = read_file(RESERVED);
	CHECK(s, "no " RESERVED ": %s", strerror(errno));
	before = count_lines(s);
	free(s);
	CHECK(!pipe(fds), "pipe: %s", strerror(errno));
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		close(fds[0]);
		reader(fds[1]);
	}
	close(fds[1]);
	for (round = 1; round <= rounds; round++) {
		int err = load_module(MODULE);

		s = read_file(RESERVED);
		note("round %d: module loaded (%s), memblock.reserved has %d regions", round,
		     err ? strerror(-err) : "ok", count_lines(s));
		free(s);
		if (err) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			CHECK(!err, "loading " MODULE ": %s", strerror(-err));
		}
		CHECK(!syscall(SYS_delete_module, MODULE, O_NONBLOCK), "unloading " MODULE ": %s",
		      strerror(errno));
	}
	kill(pid, SIGTERM);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	CHECK(read(fds[0], &reads, sizeof(reads)) == sizeof(reads), "no count from the reader");
	s = read_file(RESERVED);
	after = count_lines(s);
	free(s);
	note("the reader read the memblock files %ld times while the module ran %d times; "
	     "memblock.reserved: %d regions before, %d after", reads, rounds, before, after);
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status), "the reader died (status %#x)", status);
	CHECK(reads > rounds, "the reader hardly ran");
	return true;
}

int main(void)
{
	static const struct hp_case cases[] = {
		{ "reads_during_module_cycles", reads_during_module_cycles },
	};

	return hp_run(cases, 1);
}
