// SPDX-License-Identifier: GPL-2.0
/* Guest-side helpers for the hot-plug tests; see hp.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hp.h"

static char skip_reason[256];

void note(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void hp_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(skip_reason, sizeof(skip_reason), fmt, ap);
	va_end(ap);
}

static int run_cases(const struct hp_case *cases, int nr_cases, bool stop)
{
	int i, failed = 0, skipped = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("KTAP version 1\n1..%d\n", nr_cases);
	for (i = 0; i < nr_cases; i++) {
		bool ok;

		if (failed && stop) {
			printf("ok %d %s # SKIP an earlier case failed\n", i + 1, cases[i].name);
			skipped++;
			continue;
		}
		skip_reason[0] = '\0';
		ok = cases[i].run();
		if (skip_reason[0]) {
			printf("ok %d %s # SKIP %s\n", i + 1, cases[i].name, skip_reason);
			skipped++;
		} else {
			printf("%sok %d %s\n", ok ? "" : "not ", i + 1, cases[i].name);
			failed += !ok;
		}
	}
	if (failed)
		return 1;
	return skipped == nr_cases ? 4 : 0;
}

int hp_run(const struct hp_case *cases, int nr_cases)
{
	return run_cases(cases, nr_cases, true);
}

int hp_run_all(const struct hp_case *cases, int nr_cases)
{
	return run_cases(cases, nr_cases, false);
}

char *read_file(const char *path)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 2)
			buf = realloc(buf, cap *= 2);
	}
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static long long key_value(const char *path, const char *key, const char *sep)
{
	char *buf = read_file(path), *p;
	size_t klen = strlen(key);
	long long v = -1;

	for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		if (!strncmp(p, key, klen) && strchr(sep, p[klen])) {
			v = strtoll(p + klen + 1, NULL, 10);
			break;
		}
	}
	free(buf);
	return v;
}

long long meminfo_kb(const char *key)
{
	return key_value("/proc/meminfo", key, ":");
}

long long vmstat_value(const char *key)
{
	return key_value("/proc/vmstat", key, " ");
}

uint64_t memory_block_size(void)
{
	char *buf = read_file(MEMORY_SYSFS "/block_size_bytes");
	uint64_t size = buf ? strtoull(buf, NULL, 16) : 0;

	free(buf);
	return size;
}

const char *block_state(unsigned long nr)
{
	static char state[32];
	char path[128], *buf;

	snprintf(path, sizeof(path), MEMORY_SYSFS "/memory%lu/state", nr);
	buf = read_file(path);
	if (!buf)
		return NULL;
	snprintf(state, sizeof(state), "%.*s", (int)strcspn(buf, "\n"), buf);
	free(buf);
	return state;
}

int set_block_state(unsigned long nr, const char *state)
{
	char path[128];

	snprintf(path, sizeof(path), MEMORY_SYSFS "/memory%lu/state", nr);
	return write_file(path, state);
}

int set_range_state(uint64_t start, uint64_t end, uint64_t block_size, const char *state)
{
	for (uint64_t a = start; a < end; a += block_size) {
		int err = set_block_state(a / block_size, state);

		if (err)
			return err;
	}
	return 0;
}

int remove_range(uint64_t start, uint64_t size)
{
	char text[64];

	snprintf(text, sizeof(text), "0x%" PRIx64 ",0x%" PRIx64, start, size);
	return write_file(MEMORY_SYSFS "/remove", text);
}

bool wait_blocks(uint64_t start, uint64_t end, bool present, int timeout_ms)
{
	uint64_t bs = memory_block_size();
	unsigned long nr;

	for (;;) {
		bool all = true;

		for (nr = start / bs; nr < end / bs; nr++)
			all &= (block_state(nr) != NULL) == present;
		if (all)
			return true;
		if (timeout_ms <= 0)
			return false;
		usleep(50 * 1000);
		timeout_ms -= 50;
	}
}

/* syslog(2) actions; glibc does not name them */
#define SYSLOG_ACTION_READ_ALL 3
#define SYSLOG_ACTION_SIZE_BUFFER 10

int dmesg_count(const char *needle)
{
	int len = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0), count = 0;
	char *buf = malloc(len + 1), *p;

	len = klogctl(SYSLOG_ACTION_READ_ALL, buf, len);
	buf[len > 0 ? len : 0] = '\0';
	for (p = buf; (p = strstr(p, needle)); p += strlen(needle))
		count++;
	free(buf);
	return count;
}

bool iomem_has(uint64_t start, uint64_t end, const char *name)
{
	char *buf = read_file("/proc/iomem"), want[128];
	bool found;

	snprintf(want, sizeof(want), "%08llx-%08llx : %s\n",
		 (unsigned long long)start, (unsigned long long)end - 1, name);
	found = buf && (!strncmp(buf, want, strlen(want)) ||
			(strstr(buf, want) && strstr(buf, want)[-1] == '\n'));
	free(buf);
	return found;
}

bool iomem_overlaps(uint64_t start, uint64_t end, const char *name)
{
	char *buf = read_file("/proc/iomem"), *line, *save, *colon;
	bool overlaps = false;

	for (line = strtok_r(buf, "\n", &save); line && !overlaps;
	     line = strtok_r(NULL, "\n", &save)) {
		uint64_t s, e;

		colon = strstr(line, " : ");
		if (colon && !strncmp(colon + 3, name, strlen(name)) &&
		    sscanf(line, " %" SCNx64 "-%" SCNx64, &s, &e) == 2)
			overlaps = s < end && e >= start;
	}
	free(buf);
	return overlaps;
}

static int cmp_block_names(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	return strtoul(x + 6, NULL, 10) < strtoul(y + 6, NULL, 10) ? -1 : 1;
}

void snapshot_take(struct mem_snapshot *s)
{
	char *names[4096], *out;
	size_t n = 0, i, len = 0;
	struct dirent *de;
	DIR *dir = opendir(MEMORY_SYSFS);

	while (dir && (de = readdir(dir)) && n < 4096)
		if (!strncmp(de->d_name, "memory", 6) && de->d_name[6] >= '0' && de->d_name[6] <= '9')
			names[n++] = strdup(de->d_name);
	if (dir)
		closedir(dir);
	qsort(names, n, sizeof(names[0]), cmp_block_names);
	out = calloc(n + 1, 48);
	for (i = 0; i < n; i++) {
		const char *st = block_state(strtoul(names[i] + 6, NULL, 10));

		len += sprintf(out + len, "%s:%s\n", names[i], st ? st : "gone");
		free(names[i]);
	}
	s->blocks = out;
	s->iomem = read_file("/proc/iomem");
	s->memtotal_kb = meminfo_kb("MemTotal");
}

/* Notes the first line where @a and @b differ. */
static bool same_text(const char *what, const char *a, const char *b)
{
	size_t i = 0;

	if (!strcmp(a, b))
		return true;
	while (a[i] && a[i] == b[i])
		i++;
	while (i && a[i - 1] != '\n')
		i--;
	note("%s differs; first difference: '%.*s' vs '%.*s'", what,
	     (int)strcspn(a + i, "\n"), a + i, (int)strcspn(b + i, "\n"), b + i);
	return false;
}

bool snapshot_same(const struct mem_snapshot *a, const struct mem_snapshot *b)
{
	bool same = true;

	if (a->memtotal_kb != b->memtotal_kb) {
		note("MemTotal differs: %lld kB vs %lld kB", a->memtotal_kb, b->memtotal_kb);
		same = false;
	}
	same &= same_text("memory blocks", a->blocks, b->blocks);
	same &= same_text("/proc/iomem", a->iomem ? a->iomem : "", b->iomem ? b->iomem : "");
	return same;
}

void snapshot_free(struct mem_snapshot *s)
{
	free(s->blocks);
	free(s->iomem);
}

static int control_port(void)
{
	static int fd = -1;
	struct dirent *de;
	DIR *dir;

	if (fd >= 0)
		return fd;
	dir = opendir("/sys/class/virtio-ports");
	while (dir && (de = readdir(dir))) {
		char path[300], *name;

		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name", de->d_name);
		name = read_file(path);
		if (name && !strcmp(name, "hp.ctl\n")) {
			snprintf(path, sizeof(path), "/dev/%s", de->d_name);
			fd = open(path, O_RDWR);
		}
		free(name);
	}
	if (dir)
		closedir(dir);
	return fd;
}

bool host_request(char *reply, size_t len, const char *fmt, ...)
{
	char req[256];
	size_t got = 0;
	va_list ap;
	int fd = control_port();

	va_start(ap, fmt);
	vsnprintf(req, sizeof(req) - 1, fmt, ap);
	va_end(ap);
	if (fd < 0) {
		snprintf(reply, len, "err no virtio-serial port named hp.ctl (host driver not attached)");
		return false;
	}
	strcat(req, "\n");
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		snprintf(reply, len, "err write to host: %s", strerror(errno));
		return false;
	}
	while (got < len - 1) {
		ssize_t n = read(fd, reply + got, 1);

		if (n <= 0) {
			snprintf(reply, len, "err read from host: %s", n ? strerror(errno) : "EOF");
			return false;
		}
		if (reply[got] == '\n')
			break;
		got++;
	}
	reply[got] = '\0';
	return !strncmp(reply, "ok", 2);
}

#define FAIL_FUNCTION "/sys/kernel/debug/fail_function"

/* Fail @times calls (-1: all) of arch_check_remove_memory(), from the @nth one. */
static bool inject_remove_failures(int err, int nth, const char *times)
{
	char retval[24], space[16];

	/* retval is parsed as unsigned hex: -16 is written as 0xfffffffffffffff0. */
	snprintf(retval, sizeof(retval), "%#lx", (unsigned long)(long)err);
	/* should_fail() spends one unit of "space" per call and fails once it is used up */
	snprintf(space, sizeof(space), "%d", nth > 1 ? nth : 0);
	return !write_file(FAIL_FUNCTION "/inject", "arch_check_remove_memory") &&
	       !write_file(FAIL_FUNCTION "/arch_check_remove_memory/retval", retval) &&
	       !write_file(FAIL_FUNCTION "/probability", "100") &&
	       !write_file(FAIL_FUNCTION "/interval", "1") &&
	       !write_file(FAIL_FUNCTION "/space", space) &&
	       !write_file(FAIL_FUNCTION "/times", times) &&
	       !write_file(FAIL_FUNCTION "/verbose", "1");
}

bool inject_remove_failure(int err)
{
	return inject_remove_failures(err, 1, "-1");
}

bool inject_remove_failure_once(int err, int nth)
{
	return inject_remove_failures(err, nth, "1");
}

void clear_remove_failure(void)
{
	write_file(FAIL_FUNCTION "/inject", "!arch_check_remove_memory");
}

static inline uint64_t pattern_word(uint64_t seed, size_t i)
{
	uint64_t x = seed ^ (i * 0x9e3779b97f4a7c15ULL);

	x ^= x >> 29;
	return x * 0xbf58476d1ce4e5b9ULL;
}

void pattern_fill(uint64_t *buf, size_t bytes, uint64_t seed)
{
	size_t i;

	for (i = 0; i < bytes / 8; i++)
		buf[i] = pattern_word(seed, i);
}

size_t pattern_check(const uint64_t *buf, size_t bytes, uint64_t seed)
{
	size_t i, bad = 0;

	for (i = 0; i < bytes / 8; i++)
		bad += buf[i] != pattern_word(seed, i);
	return bad;
}

long pages_in_range(const void *buf, size_t bytes, uint64_t start, uint64_t end)
{
	long page = sysconf(_SC_PAGESIZE), count = 0;
	size_t i, n = bytes / page;
	uint64_t *ent = malloc(n * sizeof(*ent));
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0 || pread(fd, ent, n * 8, (uintptr_t)buf / page * 8) != (ssize_t)(n * 8)) {
		count = -1;
		goto out;
	}
	for (i = 0; i < n; i++) {
		uint64_t pfn = ent[i] & ((1ULL << 55) - 1);

		if ((ent[i] >> 63) && pfn * page >= start && pfn * page < end)
			count++;
	}
out:
	if (fd >= 0)
		close(fd);
	free(ent);
	return count;
}

int load_module(const char *name)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "/lib/modules/%s.ko", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

const char *valid_zones(unsigned long nr)
{
	static char buf[64];
	char path[96], *text;

	snprintf(path, sizeof(path), MEMORY_SYSFS "/memory%lu/valid_zones", nr);
	text = read_file(path);
	snprintf(buf, sizeof(buf), "%s", text ? text : "");
	buf[strcspn(buf, "\n")] = '\0';
	free(text);
	return buf;
}

bool kunit_suite_results(const char *suite, int *cases, int *failed)
{
	char path[256], *results, *line, *save;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kunit/%s/results", suite);
	results = read_file(path);
	if (!results)
		return false;
	*cases = *failed = 0;
	for (line = strtok_r(results, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *text = line + strspn(line, " \t");
		int not_ok = !strncmp(text, "not ok ", 7);

		if (strstr(text, "# Subtest") || !strncmp(text, "KTAP", 4) || text[0] == '1')
			continue;
		note("kunit: %s", text);
		/* the suite's cases are indented; the suite's own result is not */
		if ((not_ok || !strncmp(text, "ok ", 3)) && line != text) {
			(*cases)++;
			*failed += not_ok || strstr(text, "# SKIP");
		}
	}
	free(results);
	return true;
}

int unused_vmemmap_marks(void)
{
	char *text = read_file("/sys/kernel/debug/memblock/reserved"), *p;
	int n = 0;

	for (p = text; p && (p = strstr(p, "UNUSED_VMEMMAP")); p++)
		n++;
	free(text);
	return n;
}

uint64_t cmdline_size(const char *key)
{
	char *cmdline = read_file("/proc/cmdline"), *p, *end;
	uint64_t v = 0;

	p = cmdline ? strstr(cmdline, key) : NULL;
	if (p) {
		v = strtoull(p + strlen(key), &end, 0);
		v <<= *end == 'G' ? 30 : *end == 'M' ? 20 : *end == 'K' ? 10 : 0;
	}
	free(cmdline);
	return v;
}

/* Statistics of readings */
static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

long long median(const long long *y, int n)
{
	long long *sorted = malloc(n * sizeof(*y)), m;

	memcpy(sorted, y, n * sizeof(*y));
	qsort(sorted, n, sizeof(*y), cmp_ll);
	m = sorted[n / 2];
	free(sorted);
	return m;
}
