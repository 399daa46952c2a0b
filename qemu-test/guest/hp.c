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

double write_file_ms(const char *path, const char *s, int *err)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	*err = write_file(path, s);
	return seconds_since(&t0) * 1e3;
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

long long status_kb(const char *path, const char *key)
{
	return key_value(path, key, ":");
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

bool same_text(const char *what, const char *a, const char *b)
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

bool kpageflags(uint64_t pfn, uint64_t *flags, size_t n)
{
	int fd = open("/proc/kpageflags", O_RDONLY);
	bool ok = fd >= 0 && pread(fd, flags, n * 8, pfn * 8) == (ssize_t)(n * 8);

	if (fd >= 0)
		close(fd);
	return ok;
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

bool memblock_reserved_overlaps(uint64_t start, uint64_t end)
{
	char *text = read_file("/sys/kernel/debug/memblock/reserved"), *line, *save;
	bool overlaps = false;

	for (line = strtok_r(text, "\n", &save); line && !overlaps;
	     line = strtok_r(NULL, "\n", &save)) {
		uint64_t s, e;

		overlaps = sscanf(line, " %*[^:]: %" SCNx64 "..%" SCNx64, &s, &e) == 2 && s < end &&
			   e >= start;
	}
	free(text);
	return overlaps;
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

/* Kernel page tables from the ptdump (moved from bootmem-remove.c). */
static int level_of(const char *name)
{
	static const char *const names[] = { "PGD", "P4D", "PUD", "PMD", "PTE" };

	for (int i = 0; i < 5; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

bool pgtables_read(struct pgtables *pt)
{
	char *buf = read_file(PTDUMP), *line, *save;
	struct region_map *cur = NULL;

	memset(pt, 0, sizeof(*pt));
	if (!buf)
		return false;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		uint64_t start, end;
		char size[16], level[8];
		int n = 0;

		if (strstr(line, "---[ Linear Mapping start"))
			cur = &pt->linear;
		else if (strstr(line, "---[ vmemmap start"))
			cur = &pt->vmemmap;
		else if (strstr(line, "---["))
			cur = NULL;
		if (!cur || sscanf(line, "0x%" SCNx64 "-0x%" SCNx64 " %15s %7s %n", &start, &end,
				   size, level, &n) < 4 || !n || !line[n])
			continue;	/* not in a region we watch, or not mapped (no attributes) */
		cur->m = realloc(cur->m, (cur->nr + 1) * sizeof(*cur->m));
		cur->m[cur->nr++] = (struct mapping){ start, end, level_of(level),
						      strstr(line + n, "CON") != NULL };
		cur->bytes += end - start;
	}
	free(buf);
	return pt->linear.nr && pt->vmemmap.nr;
}

void pgtables_free(struct pgtables *pt)
{
	free(pt->linear.m);
	free(pt->vmemmap.m);
}

long pgtable_pages(const struct region_map *r)
{
	int page_shift = __builtin_ctzl(sysconf(_SC_PAGESIZE));
	long tables = 0;

	/* level 3: PTE tables, one per PMD span; level 2: PMD tables, one per PUD span */
	for (int level = 3; level >= 2; level--) {
		int shift = page_shift + (4 - level) * (page_shift - 3);
		uint64_t span = 1ULL << shift, counted = 1;	/* 1: no span start is odd */

		for (int i = 0; i < r->nr; i++) {
			uint64_t s = r->m[i].start & ~(span - 1);

			if (r->m[i].level <= level)
				continue;	/* a leaf at this level or above: no table below */
			do {
				tables += s != counted;
				counted = s;
				s += span;
			} while (s && s < r->m[i].end);	/* s == 0: past the top */
		}
	}
	return tables;
}

/*
 * Where the memory is, in pages: free (MemFree, and the per-cpu lists, which MemFree does not
 * count and which come and go by hundreds), slab (it grows and shrinks by whole slabs; KASAN's
 * quarantine keeps freed objects in their slabs), what processes and the page cache use, page
 * tables and kernel stacks (kernel threads come and go), and the stack depot's pools: KASAN and
 * kmemleak record every new allocation and free stack trace there, in pools of 4 pages that are
 * never freed, so on the debug kernel it grows by a pool every few cycles by design. A leaked
 * page is in none of these: "unaccounted" (MemTotal less all of them) rises for good.
 */
long long meminfo_pages(const char *key)
{
	return meminfo_kb(key) * 1024 / sysconf(_SC_PAGESIZE);
}

static long long pcp_pages(void)
{
	char *buf = read_file("/proc/zoneinfo"), *p;
	long long pages = 0;

	for (p = buf; p && (p = strstr(p, "count:")); p += 6)
		pages += strtoll(p + 6, NULL, 10);
	free(buf);
	return pages;
}

void take_reading(struct reading *r)
{
	char *buf, *p;

	/*
	 * The counters are per-cpu deltas folded into the totals every second, each up to its
	 * threshold (dozens of pages) in between: fold them now. Pages move between the per-cpu
	 * lists and the free lists all the time (a list over its high mark is trimmed by a
	 * batch): a reading counts a batch twice or not at all if one moves while /proc/zoneinfo
	 * and /proc/meminfo are read, so read until MemFree is the same before and after.
	 */
	write_file("/proc/sys/vm/stat_refresh", "1");
	for (int tries = 0; tries < 20; tries++) {
		r->free = meminfo_pages("MemFree");
		r->pcp = pcp_pages();
		if (meminfo_pages("MemFree") == r->free)
			break;
	}
	r->depot = 0;
	buf = read_file("/sys/kernel/debug/stackdepot/stats");
	if (buf && (p = strstr(buf, "pools:")))
		r->depot = strtoll(p + 6, NULL, 10) * 4;	/* DEPOT_POOL_ORDER 2 */
	free(buf);
	r->slab = meminfo_pages("Slab");
	r->slab_unreclaimable = meminfo_pages("SUnreclaim");
	r->pagetables = meminfo_pages("PageTables");
	r->user = meminfo_pages("AnonPages") + meminfo_pages("Cached") + meminfo_pages("Buffers");
	r->kernel = r->pagetables + meminfo_pages("SecPageTables") +
		    meminfo_pages("KernelStack") + meminfo_pages("Percpu");
	r->unaccounted = meminfo_pages("MemTotal") - r->free - r->pcp - r->slab - r->user -
			 r->kernel - r->depot;
}

/*
 * Give back what the kernel holds for later and frees on demand: the page cache, dentries and
 * inodes (the memory blocks' sysfs files are kernfs nodes). KASAN's quarantine is not flushed: it
 * keeps freed objects in their slabs, which the reading counts.
 */
void drop_caches(void)
{
	write_file("/proc/sys/vm/drop_caches", "3");
}

double trend(const long long *y, int n)
{
	double mx = (n - 1) / 2.0, my = 0, sxy = 0, sxx = 0;

	for (int i = 0; i < n; i++)
		my += (double)y[i] / n;
	for (int i = 0; i < n; i++) {
		sxy += (i - mx) * (y[i] - my);
		sxx += (i - mx) * (i - mx);
	}
	return n > 1 ? sxy / sxx : 0;
}

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

void drift_judge(const long long *y, int n, struct drift *d)
{
	bool rising = true;

	memset(d, 0, sizeof(*d));
	if (n < 4)
		return;
	d->rise = trend(y, n) * (n - 1);
	for (int i = 0; i < 4; i++) {
		d->quarter[i] = median(y + i * n / 4, n / 4) - y[0];
		rising &= !i || d->quarter[i] - d->quarter[i - 1] >= n / 80;
	}
	d->judged = n >= 200;
	d->leaking = d->judged && d->rise >= n / 10 && rising;
}

uint64_t block_memmap_bytes(void)
{
	/* sizeof(struct page) is 64 on arm64 with these configs */
	return memory_block_size() / sysconf(_SC_PAGESIZE) * 64;
}

uint64_t block_memmap_on_memory_bytes(void)
{
	char *param = read_file("/sys/module/memory_hotplug/parameters/memmap_on_memory");
	bool on = param && param[0] == 'Y';
	uint64_t page = sysconf(_SC_PAGESIZE), pmd = page / 8 * page;

	free(param);
	if (!on || block_memmap_bytes() % pmd)
		return 0;
	return block_memmap_bytes();
}

/* Repeated hot-plug cycles (dimm-repeat, probe-repeat): times and per-cycle readings. */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

bool cycles_verdict(const char *what, const double *seconds, int n,
		    const struct cycle_readings *c, const struct hp_state *start)
{
	struct hp_state end;
	bool same, steady;

	note_cycle_times(what, seconds, n);
	steady = cycle_readings_steady(c);
	CHECK(hp_state_take(&end), "reading %s", PTDUMP);
	same = hp_state_same(start, &end);
	hp_state_free(&end);
	CHECK(same, "the end state differs from the start");
	CHECK(steady, "pages go missing cycle after cycle");
	return true;
}

void note_cycle_times(const char *what, const double *seconds, int n)
{
	double *sorted = malloc(n * sizeof(*sorted)), total = 0;

	if (!n)
		return;
	memcpy(sorted, seconds, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	for (int i = 0; i < n; i++)
		total += seconds[i];
	note("%d %s: %.1f s, per cycle median %.3f s, min %.3f s, max %.3f s", n, what, total,
	     sorted[n / 2], sorted[0], sorted[n - 1]);
	free(sorted);
}

bool steady_over_cycles(const char *what, const long long *y, int n)
{
	struct drift d;

	drift_judge(y, n, &d);
	note("%s over %d cycles: %lld -> %lld pages, trend %+.1f over the run (a leak at +%d), "
	     "medians of the quarters %+lld %+lld %+lld %+lld (a leak if each is %d above the one "
	     "before)%s", what, n, n ? y[0] : 0, n ? y[n - 1] : 0, d.rise, n / 10, d.quarter[0],
	     d.quarter[1], d.quarter[2], d.quarter[3], n / 80,
	     d.judged ? (d.leaking ? ": LEAKING" : ": steady") : ": too few cycles to judge (200)");
	if (d.leaking)
		note("%s: %.2f pages a cycle, one every %.1f cycles", what, d.rise / (n - 1),
		     (n - 1) / d.rise);
	return !d.leaking;
}

double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

bool hp_state_take(struct hp_state *s)
{
	snapshot_take(&s->snap);
	s->memmap = vmstat_value("nr_memmap_pages");
	if (!pgtables_read(&s->pt))
		return false;
	s->pt_pages[0] = pgtable_pages(&s->pt.linear);
	s->pt_pages[1] = pgtable_pages(&s->pt.vmemmap);
	return true;
}

bool hp_state_same(const struct hp_state *start, const struct hp_state *now)
{
	bool same = snapshot_same(&start->snap, &now->snap);

	note("MemTotal %lld kB (start %lld), nr_memmap_pages %lld (start %lld), page-table pages "
	     "%ld linear map + %ld vmemmap (start %ld + %ld), mapped %" PRIu64 " + %" PRIu64
	     " MiB (start %" PRIu64 " + %" PRIu64 ")", now->snap.memtotal_kb,
	     start->snap.memtotal_kb, now->memmap, start->memmap, now->pt_pages[0],
	     now->pt_pages[1], start->pt_pages[0], start->pt_pages[1], now->pt.linear.bytes / MiB,
	     now->pt.vmemmap.bytes / MiB, start->pt.linear.bytes / MiB,
	     start->pt.vmemmap.bytes / MiB);
	if (now->memmap != start->memmap)
		note("nr_memmap_pages differs");
	if (now->pt_pages[0] != start->pt_pages[0] || now->pt_pages[1] != start->pt_pages[1] ||
	    now->pt.linear.bytes != start->pt.linear.bytes ||
	    now->pt.vmemmap.bytes != start->pt.vmemmap.bytes)
		note("the kernel page tables differ");
	return same && now->memmap == start->memmap &&
	       now->pt_pages[0] == start->pt_pages[0] && now->pt_pages[1] == start->pt_pages[1] &&
	       now->pt.linear.bytes == start->pt.linear.bytes &&
	       now->pt.vmemmap.bytes == start->pt.vmemmap.bytes;
}

void hp_state_free(struct hp_state *s)
{
	snapshot_free(&s->snap);
	pgtables_free(&s->pt);
}

void cycle_readings_init(struct cycle_readings *c, int cycles)
{
	c->n = 0;
	c->unaccounted = calloc(cycles, sizeof(long long));
	c->unreclaimable = calloc(cycles, sizeof(long long));
	c->pagetables = calloc(cycles, sizeof(long long));
	c->kasan = dmesg_count("KernelAddressSanitizer initialized") > 0;
}

void cycle_readings_take(struct cycle_readings *c, struct reading *r)
{
	drop_caches();
	take_reading(r);
	c->unaccounted[c->n] = r->unaccounted;
	c->unreclaimable[c->n] = r->slab_unreclaimable;
	c->pagetables[c->n++] = r->pagetables;
}

bool cycle_readings_steady(const struct cycle_readings *c)
{
	bool steady = steady_over_cycles("pages no counter accounts for", c->unaccounted, c->n);

	if (c->kasan)
		note("SUnreclaim %lld -> %lld pages: not judged, KASAN's quarantine holds freed "
		     "objects in their slabs", c->n ? c->unreclaimable[0] : 0,
		     c->n ? c->unreclaimable[c->n - 1] : 0);
	else
		steady &= steady_over_cycles("SUnreclaim", c->unreclaimable, c->n);
	steady &= steady_over_cycles("PageTables", c->pagetables, c->n);
	return steady;
}

bool wait_workqueue_idle(const char *wq, int timeout_ms)
{
	char running[64];

	snprintf(running, sizeof(running), "+%s)", wq);
	for (;;) {
		DIR *dir = opendir("/proc");
		struct dirent *de;
		bool busy = false;

		while (dir && (de = readdir(dir)) && !busy) {
			char path[300], *stat;

			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
			stat = read_file(path);
			busy = stat && strstr(stat, running);
			free(stat);
		}
		if (dir)
			closedir(dir);
		if (!busy)
			return true;
		if (timeout_ms <= 0)
			return false;
		usleep(10 * 1000);
		timeout_ms -= 10;
	}
}

/* virtio-mem: the sizes its driver logs at probe time */
bool dmesg_hex(const char *key, uint64_t *value)
{
	int len = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	char *buf = malloc(len + 1), *p, *last = NULL;

	len = klogctl(SYSLOG_ACTION_READ_ALL, buf, len);
	buf[len > 0 ? len : 0] = '\0';
	for (p = buf; (p = strstr(p, key)); p += strlen(key))
		last = p;
	if (last)
		*value = strtoull(last + strlen(key), NULL, 16);
	free(buf);
	return last;
}

/* Environment (hp.env.NAME=VALUE on the kernel command line): an integer, @def if unset. */
int env_int(const char *name, int def)
{
	const char *v = getenv(name);

	return v && *v ? atoi(v) : def;
}

/* remove_range(), for a removal that must be refused: whether it left the memory state as it was. */
int remove_range_unchanged(uint64_t start, uint64_t size, bool *unchanged)
{
	struct mem_snapshot before, after;
	int err;

	snapshot_take(&before);
	err = remove_range(start, size);
	snapshot_take(&after);
	*unchanged = snapshot_same(&before, &after);
	snapshot_free(&before);
	snapshot_free(&after);
	return err;
}
