// SPDX-License-Identifier: GPL-2.0
/*
 * fault-inject dt|acpi|acpi-add: every allocation of a hot-plug step fails once, in turn, and each
 * failure must leave the system exactly as it was, and the next try must succeed.
 *
 * The step is one write to a sysfs file (probe, remove, memoryN/state online_movable or
 * offline). /proc/thread-self/fail-nth fails the n-th allocation of that write, for
 * n = 1, 2, ... until the write succeeds without the failure having been used: once with
 * failslab (every slab allocation, sleeping ones too), once with fail_page_alloc (every page
 * allocation, order 0 too). After each write the state is compared with the state before it
 * (failed) or with the state of a clean write (succeeded): MemTotal, the memory blocks and their
 * states, /proc/iomem, memblock.memory, the zones' spans, nr_memmap_pages, the kernel's share of
 * PageTables and the ptdump's linear map and vmemmap.
 *
 * dt (DT boot, MEMHP_TEST_RANGE hidden by mem=): sweeps probe, online, offline and remove of
 * one block; they skip on a kernel without the probe file (the baseline).
 * acpi (UEFI + ACPI): an online movable DIMM; upstream's mem-on-off-test.sh, which must reach
 * its memory notifier part and see its failures; the same failures (notifier-error-inject)
 * step by step; online and offline sweeps on one of the DIMM's blocks; then DIMMs added while
 * failslab, then fail_page_alloc, fail allocations of the ACPI hot-plug worker, then while
 * slab allocations under one function of the worker fail (stack filter): the DIMM's memory is
 * there completely or not at all, and device_del removes the DIMM.
 * acpi-add, kmem: those DIMM adds alone, the kmem sweeps alone.
 *
 * Environment: FAULT_NTH_STEP (default 1) tries every STEP-th n only, FAULT_NTH_FIRST starts
 * there (to reproduce one n), FAULT_VERBOSE (default 0) is fail*'s verbose for the sweeps
 * (2: a stack per failure), FAULT_TRIALS (default 12) DIMM adds per allocator and per
 * function of the stack filter, FAULT_SETTLE_MS (default 3000) how long a DIMM add that shows
 * nothing and sent no _OST counts as failed, FAULT_TRACE=1 notes every write of a sweep (its n and errno) before its state is checked,
 * FAULT_SPACES=a,b,... fails the DIMM adds at these points (see dimm_add_trial) instead.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hp.h"

#define DEBUGFS "/sys/kernel/debug"
#define FAILSLAB DEBUGFS "/failslab"
#define FAIL_PAGE_ALLOC DEBUGFS "/fail_page_alloc"
#define NOTIFIER_INJECT DEBUGFS "/notifier-error-inject/memory"
#define MEM_ON_OFF_TEST "/kselftest/memory-hotplug/mem-on-off-test.sh"
#define ONLINE_POLICY "/sys/module/memory_hotplug/parameters/online_policy"
#define DIMM_SIZE (512 * MiB)
#define NTH_LIMIT 20000

static uint64_t bs, start;		/* block size; the block the sweeps work on */
static int nth_step = 1, nth_first = 1, trials = 12, settle_ms = 3000;
static const char *verbose = "0";
static bool trace;
static bool compare_linear_map = true;
static int fail_nth_fd = -1;
static uint64_t dimm_addr;
static struct mem_snapshot boot;

/* Everything a failed step must leave as it was. */
struct state {
	struct mem_snapshot snap;
	long long memmap_pages;
	long long kernel_pagetables_kb;	/* PageTables but the processes' own */
	long long user_pagetables_kb;	/* their VmPTE: noted, not compared */
	char *memblock;		/* debugfs memblock/memory */
	char *zones;		/* each zone's start_pfn, spanned, present and managed */
	char *ptdump;		/* the linear map and vmemmap sections of the ptdump */
};

/* The lines of @text from the one containing @from to the one containing @to. */
static char *section(const char *text, const char *from, const char *to)
{
	const char *s = text ? strstr(text, from) : NULL, *e;

	if (!s)
		return strdup("");
	e = strstr(s, to);
	return strndup(s, e ? (size_t)(e - s) : strlen(s));
}

static char *zone_lines(void)
{
	char *text = read_file("/proc/zoneinfo"), *line, *save, *out;
	size_t len = 0;

	out = calloc(1, text ? strlen(text) + 1 : 1);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *t = line + strspn(line, " ");

		if (!strncmp(t, "Node ", 5) || !strncmp(t, "spanned", 7) ||
		    !strncmp(t, "present", 7) || !strncmp(t, "managed", 7) ||
		    !strncmp(t, "start_pfn", 9))
			len += sprintf(out + len, "%s\n", t);
	}
	free(text);
	return out;
}

/* Every process's page tables (VmPTE); kernel threads have none. */
static long long user_pagetables_kb(void)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;
	long long sum = 0, kb;
	char path[sizeof(d->d_name) + 16];

	while (proc && (d = readdir(proc))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", d->d_name);
		kb = status_kb(path, "VmPTE");
		if (kb > 0)
			sum += kb;
	}
	if (proc)
		closedir(proc);
	return sum;
}

/*
 * PageTables counts user page tables too, which a process (this one's heap, a usermode
 * helper) may grow or drop at any time: compare the kernel's share only, read between two
 * equal readings of the total.
 */
static void pagetables_take(struct state *s)
{
	long long total = -1, again = -1;
	int tries;

	for (tries = 0; tries < 10; tries++) {
		/* fold the per-cpu deltas first */
		write_file("/proc/sys/vm/stat_refresh", "1");
		total = meminfo_kb("PageTables");
		s->user_pagetables_kb = user_pagetables_kb();
		write_file("/proc/sys/vm/stat_refresh", "1");
		again = meminfo_kb("PageTables");
		if (again == total)
			break;
	}
	if (tries == 10)
		note("PageTables did not hold still over 10 readings (last %lld, %lld kB)", total,
		     again);
	s->kernel_pagetables_kb = total - s->user_pagetables_kb;
}

static void state_take(struct state *s)
{
	char *pt = read_file(DEBUGFS "/kernel_page_tables"), *lin, *vmm;

	pagetables_take(s);	/* folds nr_memmap_pages' per-cpu deltas too */
	snapshot_take(&s->snap);
	s->memmap_pages = vmstat_value("nr_memmap_pages");
	s->memblock = read_file(DEBUGFS "/memblock/memory");
	if (!s->memblock)
		s->memblock = strdup("");
	s->zones = zone_lines();
	lin = compare_linear_map ?
	      section(pt, "---[ Linear Mapping start ]---", "---[ Linear Mapping end ]---") :
	      strdup("");
	vmm = section(pt, "---[ vmemmap start ]---", "---[ vmemmap end ]---");
	if (asprintf(&s->ptdump, "%s%s", lin, vmm) < 0)
		s->ptdump = strdup("");
	free(lin);
	free(vmm);
	free(pt);
}

static void state_free(struct state *s)
{
	snapshot_free(&s->snap);
	free(s->memblock);
	free(s->zones);
	free(s->ptdump);
}

/*
 * With debug_pagealloc, every page allocated or freed is mapped or unmapped in the linear map:
 * its ptdump changes all the time and cannot be compared.
 */
static void check_linear_map_stable(void)
{
	struct state a, b;
	char *buf;

	compare_linear_map = true;
	state_take(&a);
	buf = malloc(16 * MiB);
	memset(buf, 1, 16 * MiB);
	free(buf);
	state_take(&b);
	compare_linear_map = !strcmp(a.ptdump, b.ptdump);
	if (!compare_linear_map)
		note("the linear map changes with allocations (debug_pagealloc): only the vmemmap "
		     "of the ptdump is compared");
	state_free(&a);
	state_free(&b);
}

/* This process growing its page tables must not count as a change of the kernel's. */
static bool process_tables_not_compared(void)
{
	/* what one PTE table maps: 2 MiB with 4K pages, 512 MiB with 64K */
	const size_t page = sysconf(_SC_PAGESIZE), span = page / 8 * page;
	struct state a, b;
	char *p, *fresh;
	bool ok;

	state_take(&a);
	/* twice the span holds one aligned span whole: its PTE table is new */
	p = mmap(NULL, 2 * span, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
	madvise(p, 2 * span, MADV_NOHUGEPAGE);
	fresh = p + (span - (uintptr_t)p % span) % span;
	*fresh = 1;
	state_take(&b);
	munmap(p, 2 * span);
	note("PageTables: the kernel's %lld kB, the processes' %lld kB, %lld kB with a page "
	     "touched under a new PTE table", a.kernel_pagetables_kb, a.user_pagetables_kb,
	     b.user_pagetables_kb);
	ok = b.user_pagetables_kb > a.user_pagetables_kb &&
	     b.kernel_pagetables_kb == a.kernel_pagetables_kb;
	state_free(&a);
	state_free(&b);
	CHECK(ok, "the processes' page tables did not grow, or counted as the kernel's");
	return true;
}

/* All but the kernel's page tables: the memory, its memmap, memblock and the zones. */
static bool state_same_but_tables(const struct state *a, const struct state *b)
{
	bool same = snapshot_same(&a->snap, &b->snap);

	if (a->memmap_pages != b->memmap_pages) {
		note("nr_memmap_pages differs: %lld vs %lld", a->memmap_pages, b->memmap_pages);
		same = false;
	}
	same &= same_text("memblock.memory", a->memblock, b->memblock);
	same &= same_text("zoneinfo", a->zones, b->zones);
	return same;
}

static bool state_same(const struct state *a, const struct state *b)
{
	bool same = state_same_but_tables(a, b);

	if (a->kernel_pagetables_kb != b->kernel_pagetables_kb) {
		note("the kernel's PageTables differ: %lld kB vs %lld kB (processes' %lld vs %lld)",
		     a->kernel_pagetables_kb, b->kernel_pagetables_kb, a->user_pagetables_kb,
		     b->user_pagetables_kb);
		same = false;
	}
	same &= same_text("ptdump (linear map, vmemmap)", a->ptdump, b->ptdump);
	return same;
}

/* Whether the state now is @s (state_same() notes the differences). */
static bool state_now_same(const struct state *s)
{
	struct state now;
	bool same;

	state_take(&now);
	same = state_same(s, &now);
	state_free(&now);
	return same;
}

static long read_long(const char *dir, const char *file)
{
	char path[128], *text;
	long v;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	text = read_file(path);
	v = text ? strtol(text, NULL, 10) : -1;
	free(text);
	return v;
}

static bool set_attr(const char *dir, const char *file, const char *value)
{
	char path[128];
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	err = write_file(path, value);
	if (err)
		note("cannot write '%s' to %s: %s", value, path, strerror(-err));
	return !err;
}

/* Probability 0: nothing fails but what fail-nth or the kworker trials ask for. */
static bool fault_attrs_quiet(const char *dir)
{
	return set_attr(dir, "probability", "0") && set_attr(dir, "interval", "1") &&
	       set_attr(dir, "times", "-1") && set_attr(dir, "space", "0") &&
	       set_attr(dir, "task-filter", "N") && set_attr(dir, "verbose", verbose);
}

/*
 * Which allocations fail-nth counts: "slab" every slab allocation (page allocations only
 * where they cannot sleep, of order 1 and up), "page" every page allocation (slab
 * allocations only where they cannot sleep). Sleeping allocations are exempt by default.
 */
static bool fault_mode(const char *kind)
{
	bool slab = !strcmp(kind, "slab");
	/* a kernel may lack the other one, which then cannot count either */
	bool has_slab = !access(FAILSLAB, F_OK), has_page = !access(FAIL_PAGE_ALLOC, F_OK);

	return (!has_slab || (fault_attrs_quiet(FAILSLAB) &&
			      set_attr(FAILSLAB, "ignore-gfp-wait", slab ? "N" : "Y"))) &&
	       (!has_page || (fault_attrs_quiet(FAIL_PAGE_ALLOC) &&
			      set_attr(FAIL_PAGE_ALLOC, "ignore-gfp-wait", slab ? "Y" : "N") &&
			      set_attr(FAIL_PAGE_ALLOC, "ignore-gfp-highmem", "N") &&
			      set_attr(FAIL_PAGE_ALLOC, "min-order", slab ? "1" : "0")));
}

/* fail-nth and the allocator that @kind fails ("slab", "page"); skips the case if not. */
static bool fault_injection_available(const char *kind)
{
	const char *dir = strcmp(kind, "slab") ? FAIL_PAGE_ALLOC : FAILSLAB;

	if (fail_nth_fd < 0)
		fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fail_nth_fd < 0 || access(dir, F_OK)) {
		hp_skip("no %s", fail_nth_fd < 0 ? "/proc/thread-self/fail-nth" : dir);
		return false;
	}
	return true;
}

/*
 * write(2) of @text to @path with the @nth fault-injectable call of this task failing.
 * Returns 0 or -errno; *@injected: the failure was used.
 */
static int write_failing_nth(const char *path, const char *text, int nth, bool *injected)
{
	char arm[16], left[16] = "";
	int fd = open(path, O_WRONLY | O_CLOEXEC), len, err;
	ssize_t n;

	if (fd < 0)
		return -errno;
	len = snprintf(arm, sizeof(arm), "%d", nth);
	if (write(fail_nth_fd, arm, len) != len) {
		err = -errno;
		close(fd);
		return err;
	}
	n = write(fd, text, strlen(text));
	err = n < 0 ? -errno : 0;
	/* fail-nth counts down to 0, where the failure is injected */
	if (pread(fail_nth_fd, left, sizeof(left) - 1, 0) < 0)
		left[0] = '?';
	*injected = left[0] == '0';
	if (write(fail_nth_fd, "0", 1) != 1)
		note("cannot disarm fail-nth: %m");
	close(fd);
	return err;
}

static char *block_path(uint64_t addr, const char *file)
{
	static char path[128];

	snprintf(path, sizeof(path), MEMORY_SYSFS "/memory%" PRIu64 "/%s", addr / bs, file);
	return path;
}

static int probe_block(void)
{
	char text[32];

	snprintf(text, sizeof(text), "0x%" PRIx64, start);
	return write_file(MEMORY_SYSFS "/probe", text);
}

static int remove_block(void)
{
	return remove_range(start, bs);
}

static int online_block(void)
{
	return set_block_state(start / bs, "online_movable");
}

static int offline_block(void)
{
	return set_block_state(start / bs, "offline");
}

struct step {
	const char *name;
	const char *path;
	char text[64];
	int (*undo)(void);	/* from the state after the step back to the one before */
};

/*
 * Fails the n-th allocation of @st for n = nth_first, nth_first + nth_step, ... until the step
 * succeeds without its failure being used. @before: the state the step starts from, which
 * every failure must leave as it was; @after: the state of a clean step.
 */
static bool sweep(const char *kind, const struct step *st, const struct state *before,
		  const struct state *after)
{
	int nth, failures = 0, absorbed = 0;
	struct timespec t0, t1;
	char errs[256] = "";
	size_t elen = 0;

	CHECK(fault_mode(kind), "cannot set up %s", kind);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (nth = nth_first; nth < NTH_LIMIT; nth += nth_step) {
		struct state now;
		bool injected = false, same;
		int err = write_failing_nth(st->path, st->text, nth, &injected);

		if (trace)
			note("%s %s n=%d: %s%s", kind, st->name, nth, err ? strerrorname_np(-err) : "ok",
			     injected ? ", failure injected" : "");
		state_take(&now);
		if (err) {
			same = state_same(before, &now);
			state_free(&now);
			CHECK(injected, "%s %s, n=%d: %s although no failure was injected", kind,
			      st->name, nth, strerror(-err));
			CHECK(same, "%s %s, n=%d failed with %s and changed the state (above)",
			      kind, st->name, nth, strerror(-err));
			/* callers (the ACPI driver) read EEXIST as "in use": try again, it is not */
			CHECK(err != -EEXIST, "%s %s, n=%d: an allocation failed, the write said "
			      "EEXIST", kind, st->name, nth);
			if (!strstr(errs, strerrorname_np(-err)) && elen < sizeof(errs) - 32)
				elen += sprintf(errs + elen, "%s%s", elen ? " " : "",
						strerrorname_np(-err));
			failures++;
			continue;
		}
		/*
		 * An absorbed failure may map the memory differently: the vmemmap falls back to
		 * base pages when a PMD's worth cannot be allocated. The undo below must still
		 * restore every page table.
		 */
		same = injected ? state_same_but_tables(after, &now) : state_same(after, &now);
		state_free(&now);
		CHECK(same, "%s %s succeeded at n=%d%s but not as a clean one does (above)",
		      kind, st->name, nth, injected ? " despite the failure" : "");
		if (!injected)
			break;
		/* a failure the kernel absorbed (a retry, a lost uevent): undo and go on */
		absorbed++;
		CHECK(!st->undo(), "%s %s, n=%d: cannot undo the step", kind, st->name, nth);
		same = state_now_same(before);
		CHECK(same, "%s %s, n=%d: not back to the state before after the undo", kind,
		      st->name, nth);
	}
	CHECK(nth < NTH_LIMIT, "%s %s still fails at n=%d", kind, st->name, nth);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	note("%s %s: n=%d..%d step %d: %d failed (%s), %d absorbed, each left the state as it "
	     "was; n=%d succeeded clean (%.1f s)", kind, st->name, nth_first, nth - nth_step,
	     nth_step, failures, elen ? errs : "-", absorbed, nth,
	     (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	/* fail-nth at work (online and offline of an empty block allocate no page) */
	CHECK(failures + absorbed > 0 || strcmp(kind, "slab"),
	      "%s %s: no failure was injected at all", kind, st->name);
	/* the step is done: undo it so that the caller finds the state @before */
	CHECK(!st->undo(), "%s %s: cannot undo the final step", kind, st->name);
	return true;
}

/* Reference states of the block: absent, probed (offline), online. */
static struct state absent, offline, online;
static bool have_states;

static bool dt_setup(void)
{
	const char *range = getenv("MEMHP_TEST_RANGE");
	int err;

	bs = memory_block_size();
	snapshot_take(&boot);
	if (access(MEMORY_SYSFS "/probe", W_OK) || access(MEMORY_SYSFS "/remove", W_OK)) {
		hp_skip("no %s/probe and remove (a kernel without the series)", MEMORY_SYSFS);
		return true;
	}
	if (!fault_injection_available("slab"))
		return true;
	CHECK(range && sscanf(range, "%" SCNx64, &start) == 1 && start && start % bs == 0,
	      "MEMHP_TEST_RANGE '%s' does not start at a block boundary", range ? range : "");
	CHECK(!block_state(start / bs), "memory%" PRIu64 " exists before the probe", start / bs);
	check_linear_map_stable();
	CHECK(process_tables_not_compared(), "(see above)");
	state_take(&absent);
	CHECK(!(err = probe_block()), "probe 0x%" PRIx64 ": %s", start, strerror(-err));
	state_take(&offline);
	CHECK(!(err = online_block()), "online: %s", strerror(-err));
	state_take(&online);
	CHECK(!(err = offline_block()), "offline: %s", strerror(-err));
	CHECK(!(err = remove_block()), "remove: %s", strerror(-err));
	/* a clean cycle must come back exactly, or no sweep can compare */
	CHECK(state_now_same(&absent),
	      "a clean probe/online/offline/remove cycle did not restore the state");
	have_states = true;
	note("block memory%" PRIu64 " at 0x%" PRIx64 ": clean probe/online/offline/remove "
	     "restores the state exactly", start / bs, start);
	return true;
}

static bool need_states(void)
{
	if (!have_states)
		hp_skip("no reference states (see the first case)");
	return have_states;
}

static bool dt_sweep(const char *kind, const char *what)
{
	struct step st = { .name = what };
	int err;

	if (!need_states() || !fault_injection_available(kind))
		return true;
	if (!strcmp(what, "probe")) {
		st.path = MEMORY_SYSFS "/probe";
		snprintf(st.text, sizeof(st.text), "0x%" PRIx64, start);
		st.undo = remove_block;
		return sweep(kind, &st, &absent, &offline);
	}
	CHECK(!(err = probe_block()), "probe: %s", strerror(-err));
	if (!strcmp(what, "remove")) {
		st.path = MEMORY_SYSFS "/remove";
		snprintf(st.text, sizeof(st.text), "0x%" PRIx64 ",0x%" PRIx64, start, bs);
		st.undo = probe_block;
		CHECK(sweep(kind, &st, &offline, &absent), "(see above)");
	} else if (!strcmp(what, "online")) {
		st.path = block_path(start, "state");
		strcpy(st.text, "online_movable");
		st.undo = offline_block;
		CHECK(sweep(kind, &st, &offline, &online), "(see above)");
	} else {
		CHECK(!(err = online_block()), "online: %s", strerror(-err));
		st.path = block_path(start, "state");
		strcpy(st.text, "offline");
		st.undo = online_block;
		CHECK(sweep(kind, &st, &online, &offline), "(see above)");
		CHECK(!(err = offline_block()), "offline: %s", strerror(-err));
	}
	CHECK(!(err = remove_block()), "remove: %s", strerror(-err));
	return true;
}

static bool probe_slab(void) { return dt_sweep("slab", "probe"); }
static bool online_slab(void) { return dt_sweep("slab", "online"); }
static bool offline_slab(void) { return dt_sweep("slab", "offline"); }
static bool remove_slab(void) { return dt_sweep("slab", "remove"); }
static bool probe_page(void) { return dt_sweep("page", "probe"); }
static bool online_page(void) { return dt_sweep("page", "online"); }
static bool offline_page(void) { return dt_sweep("page", "offline"); }
static bool remove_page(void) { return dt_sweep("page", "remove"); }

static bool back_to_boot(void)
{
	struct mem_snapshot now;
	bool same;

	snapshot_take(&now);
	same = snapshot_same(&boot, &now);
	snapshot_free(&now);
	CHECK(same, "not back to the boot state");
	note("MemTotal, memory blocks and /proc/iomem as at boot");
	return true;
}

/* ---- ACPI: a DIMM online movable ---- */

static bool add_dimm_online(void)
{
	char reply[256];

	bs = memory_block_size();
	snapshot_take(&boot);
	CHECK(host_request(reply, sizeof(reply), "dimm-add dimm0 %lu", DIMM_SIZE), "host: %s", reply);
	CHECK(sscanf(reply, "ok addr=%" SCNx64, &dimm_addr) == 1, "reply '%s'", reply);
	CHECK(wait_blocks(dimm_addr, dimm_addr + DIMM_SIZE, true, 20000), "blocks did not appear");
	for (uint64_t a = dimm_addr; a < dimm_addr + DIMM_SIZE; a += bs)
		CHECK(!set_block_state(a / bs, "online_movable"), "online_movable memory%" PRIu64,
		      a / bs);
	check_linear_map_stable();
	/* the sweeps work on the DIMM's last block */
	start = dimm_addr + DIMM_SIZE - bs;
	note("dimm0 at 0x%" PRIx64 " online movable: memory%" PRIu64 "..memory%" PRIu64,
	     dimm_addr, dimm_addr / bs, (dimm_addr + DIMM_SIZE) / bs - 1);
	return true;
}

/* "Movable,..." of each block of the DIMM, one line each. */
static char *dimm_zones(void)
{
	char *out = calloc(DIMM_SIZE / bs + 1, 80);
	size_t len = 0;

	for (uint64_t a = dimm_addr; a < dimm_addr + DIMM_SIZE; a += bs)
		len += sprintf(out + len, "memory%" PRIu64 ": %s\n", a / bs, valid_zones(a / bs));
	return out;
}

/*
 * Upstream's mem-on-off-test.sh, as acpi-kselftest runs it: it must get to its memory notifier
 * part (modprobe memory-notifier-error-inject) instead of skipping it, pass, and leave the
 * blocks online, in ZONE_MOVABLE.
 */
static bool mem_on_off_test(void)
{
	int injected = dmesg_count("Injecting error"), pipefd[2], status;
	struct mem_snapshot before, after;
	bool reached = false, skipped = false, same;
	char line[512], *zones = dimm_zones(), *zones_after;
	FILE *out;
	pid_t pid;

	snapshot_take(&before);
	/*
	 * The script onlines with "online": by default a block at the edge of ZONE_MOVABLE comes
	 * back in ZONE_NORMAL, collects unmovable pages and keeps the DIMM from going. With
	 * auto-movable, a DIMM's block comes back movable.
	 */
	CHECK(!write_file(ONLINE_POLICY, "auto-movable"), "cannot set %s", ONLINE_POLICY);
	CHECK(!pipe(pipefd), "pipe: %m");
	pid = fork();
	if (!pid) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		if (chdir("/kselftest/memory-hotplug"))
			_exit(127);
		execl("/bin/bash", "bash", MEM_ON_OFF_TEST, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	out = fdopen(pipefd[0], "r");
	while (fgets(line, sizeof(line), out)) {
		line[strcspn(line, "\n")] = '\0';
		/* the per-block lines say nothing the summary does not */
		if (strncmp(line, "offline->online", 15) && strncmp(line, "online->offline", 15) &&
		    strncmp(line, "-> ", 3))
			note("mem-on-off-test.sh: %s", line);
		reached |= !!strstr(line, "Test with memory notifier error injection");
		skipped |= strstr(line, "skip") || strstr(line, "No such file") ||
			   strstr(line, "not found");
	}
	fclose(out);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %m");
	write_file(ONLINE_POLICY, "contig-zones");
	injected = dmesg_count("Injecting error") - injected;
	note("mem-on-off-test.sh exit %d; the notifier injected %d failure(s) (its ratio of 2%% "
	     "picks each block with a chance of 1 in 50)", WEXITSTATUS(status), injected);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "mem-on-off-test.sh failed");
	CHECK(reached && !skipped, "mem-on-off-test.sh did not run its notifier part (above)");
	CHECK(access(NOTIFIER_INJECT, F_OK), "memory-notifier-error-inject is still loaded");
	zones_after = dimm_zones();
	same = !strcmp(zones, zones_after);
	if (!same) {
		note("the blocks' zones changed; before, after:");
		for (char *b = zones, *a = zones_after; *b && *a; b += strcspn(b, "\n") + 1,
		     a += strcspn(a, "\n") + 1)
			note("  %.*s | %.*s", (int)strcspn(b, "\n"), b, (int)strcspn(a, "\n"), a);
	}
	CHECK(same, "mem-on-off-test.sh moved blocks out of ZONE_MOVABLE");
	free(zones);
	free(zones_after);
	snapshot_take(&after);
	same = snapshot_same(&before, &after);
	snapshot_free(&before);
	snapshot_free(&after);
	CHECK(same, "mem-on-off-test.sh did not leave the state as it found it");
	return true;
}

static int delete_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

/*
 * What mem-on-off-test.sh leaves to chance, every time: a memory notifier failing
 * MEM_GOING_ONLINE fails the online with its errno and leaves the block offline, one failing
 * MEM_GOING_OFFLINE leaves it online, nothing else changes, and without the failure the same
 * write succeeds.
 */
static bool notifier_steps(void)
{
	int err, lines = dmesg_count("Injecting error (-12) to MEM_GOING_");
	struct state off, on;
	bool same;

	err = load_module("notifier-error-inject");
	CHECK(!err || err == -EEXIST, "load notifier-error-inject: %s", strerror(-err));
	err = load_module("memory-notifier-error-inject");
	CHECK(!err || err == -EEXIST, "load memory-notifier-error-inject: %s", strerror(-err));
	CHECK(!offline_block(), "offline memory%" PRIu64, start / bs);
	state_take(&off);
	CHECK(!write_file(NOTIFIER_INJECT "/actions/MEM_GOING_ONLINE/error", "-12"), "arm");
	err = online_block();
	same = state_now_same(&off);
	CHECK(err == -ENOMEM, "online with MEM_GOING_ONLINE failing: %s",
	      err ? strerror(-err) : "success");
	CHECK(same, "the failed online changed the state (above)");
	CHECK(!write_file(NOTIFIER_INJECT "/actions/MEM_GOING_ONLINE/error", "0"), "disarm");
	CHECK(!(err = online_block()), "online after the failure: %s", strerror(-err));
	state_take(&on);
	CHECK(!write_file(NOTIFIER_INJECT "/actions/MEM_GOING_OFFLINE/error", "-12"), "arm");
	err = offline_block();
	same = state_now_same(&on);
	CHECK(err == -ENOMEM, "offline with MEM_GOING_OFFLINE failing: %s",
	      err ? strerror(-err) : "success");
	CHECK(same, "the failed offline changed the state (above)");
	CHECK(!write_file(NOTIFIER_INJECT "/actions/MEM_GOING_OFFLINE/error", "0"), "disarm");
	CHECK(!(err = offline_block()), "offline after the failure: %s", strerror(-err));
	CHECK(!(err = online_block()), "online: %s", strerror(-err));
	state_free(&off);
	state_free(&on);
	lines = dmesg_count("Injecting error (-12) to MEM_GOING_") - lines;
	CHECK(lines == 2, "%d 'Injecting error' lines in the log, expected 2", lines);
	note("MEM_GOING_ONLINE and MEM_GOING_OFFLINE failed with ENOMEM (2 log lines), nothing "
	     "changed, the next online and offline succeeded");
	return true;
}

static bool notifier_failures(void)
{
	bool ok = notifier_steps();

	/* whatever failed: no failure stays armed for the cases after this one */
	write_file(NOTIFIER_INJECT "/actions/MEM_GOING_ONLINE/error", "0");
	write_file(NOTIFIER_INJECT "/actions/MEM_GOING_OFFLINE/error", "0");
	if (block_state(start / bs) && strcmp(block_state(start / bs), "online"))
		online_block();
	CHECK(!delete_module("memory_notifier_error_inject") &&
	      !delete_module("notifier_error_inject"), "unload: %m");
	return ok;
}

static bool acpi_sweep(const char *kind, bool go_online)
{
	struct step st = { .name = go_online ? "online" : "offline" };
	int err;

	if (!fault_injection_available(kind))
		return true;
	st.path = block_path(start, "state");
	CHECK(!(err = offline_block()), "offline memory%" PRIu64 ": %s", start / bs, strerror(-err));
	state_take(&offline);
	CHECK(!(err = online_block()), "online memory%" PRIu64 ": %s", start / bs, strerror(-err));
	state_take(&online);
	if (go_online) {
		CHECK(!offline_block(), "offline");
		strcpy(st.text, "online_movable");
		st.undo = offline_block;
		CHECK(sweep(kind, &st, &offline, &online), "(see above)");
		CHECK(!online_block(), "online");
	} else {
		strcpy(st.text, "offline");
		st.undo = online_block;
		CHECK(sweep(kind, &st, &online, &offline), "(see above)");
	}
	state_free(&offline);
	state_free(&online);
	return true;
}

static bool dimm_online_slab(void) { return acpi_sweep("slab", true); }
static bool dimm_offline_slab(void) { return acpi_sweep("slab", false); }
static bool dimm_online_page(void) { return acpi_sweep("page", true); }
static bool dimm_offline_page(void) { return acpi_sweep("page", false); }

#define DATA_SIZE (640 * MiB)	/* more than the DIMM: its blocks fill up */
#define DATA_SEED 0x6661756c74ULL
#define DATA_TIMES 100000

/*
 * Offline of a block that holds data while a third of this task's page allocations fail:
 * the migration targets. The offline retries until every page has moved; the data is intact,
 * and the state is that of a clean offline.
 */
static bool offline_with_data(void)
{
	char path[64], times[16];
	struct state off, now;
	int err, fd[5], i;
	long in_block, failed;
	uint64_t *data;
	bool same;

	if (!fault_injection_available("page"))
		return true;
	CHECK(!offline_block() && !(err = online_block()), "offline/online memory%" PRIu64,
	      start / bs);
	data = malloc(DATA_SIZE);
	CHECK(data, "malloc");
	pattern_fill(data, DATA_SIZE, DATA_SEED);
	in_block = pages_in_range(data, DATA_SIZE, start, start + bs);
	CHECK(in_block > 0, "none of the %lu MiB of data is in memory%" PRIu64,
	      DATA_SIZE / MiB, start / bs);
	CHECK(fault_attrs_quiet(FAILSLAB) && fault_attrs_quiet(FAIL_PAGE_ALLOC), "setup");
	snprintf(times, sizeof(times), "%d", DATA_TIMES);
	snprintf(path, sizeof(path), "/proc/%d/make-it-fail", getpid());
	CHECK(set_attr(FAIL_PAGE_ALLOC, "ignore-gfp-wait", "N") &&
	      set_attr(FAIL_PAGE_ALLOC, "ignore-gfp-highmem", "N") &&
	      set_attr(FAIL_PAGE_ALLOC, "min-order", "0") &&
	      set_attr(FAIL_PAGE_ALLOC, "task-filter", "Y") &&
	      set_attr(FAIL_PAGE_ALLOC, "times", times), "setup");
	/*
	 * Every file opened first (one descriptor per write: make-it-fail does not seek): from
	 * "1" to "0", nothing but the offline may allocate in this task.
	 */
	for (i = 0; i < 5; i++)
		fd[i] = open(i < 2 ? path : i < 4 ? FAIL_PAGE_ALLOC "/probability" :
			     block_path(start, "state"), O_WRONLY | O_CLOEXEC);
	CHECK(fd[0] >= 0 && fd[1] >= 0 && fd[2] >= 0 && fd[3] >= 0 && fd[4] >= 0, "open: %m");
	CHECK(write(fd[0], "1", 1) == 1 && write(fd[2], "33", 2) == 2, "arm: %m");
	err = write(fd[4], "offline", 7) < 0 ? -errno : 0;
	CHECK(write(fd[3], "0", 1) == 1 && write(fd[1], "0", 1) == 1, "disarm: %m");
	for (i = 0; i < 5; i++)
		close(fd[i]);
	failed = DATA_TIMES - read_long(FAIL_PAGE_ALLOC, "times");
	note("offline of memory%" PRIu64 " holding %ld pages of data, a third of the page "
	     "allocations failing: %s, %ld failed", start / bs, in_block,
	     err ? strerror(-err) : "done", failed);
	CHECK(failed > 0, "no page allocation failed");
	CHECK(!err, "offline failed: %s", strerror(-err));
	state_take(&off);
	CHECK(pattern_check(data, DATA_SIZE, DATA_SEED) == 0, "the data changed");
	CHECK(pages_in_range(data, DATA_SIZE, start, start + bs) == 0, "data left in the block");
	/* the reference: a clean offline of the block, now empty, with the data still mapped */
	CHECK(!online_block() && !offline_block(), "online/offline");
	state_take(&now);
	same = state_same(&now, &off);
	state_free(&now);
	state_free(&off);
	CHECK(same, "the offline under failures differs from a clean one (above)");
	CHECK(!online_block(), "online");
	free(data);
	note("data intact and moved out, the block offline and online again as after a clean "
	     "offline");
	return true;
}

static bool remove_dimm(void)
{
	char reply[256];

	CHECK(host_request(reply, sizeof(reply), "dimm-del dimm0"), "host: %s", reply);
	CHECK(wait_blocks(dimm_addr, dimm_addr + DIMM_SIZE, false, 20000), "blocks still there");
	return back_to_boot();
}

/* ---- ACPI: an NVDIMM's device-dax handed to kmem, a multi-section add in our own task ---- */

#define ND_DAX "/sys/bus/nd/devices/dax0.0"
#define KMEM "/sys/bus/dax/drivers/kmem"
#define DAX_UUID "6f1f0d8e-2a3b-4c5d-8e9f-0a1b2c3d4e5f"

static struct state kmem_unbound, kmem_bound;
static bool kmem_ready;

static int kmem_unbind(void)
{
	return write_file(KMEM "/unbind", "dax0.0");
}

/* How many memory blocks "System RAM (kmem)" has now. */
static int kmem_blocks(void)
{
	char *iomem = read_file("/proc/iomem"), *p;
	int blocks = 0;

	for (p = iomem; p && (p = strstr(p, " : System RAM (kmem)")); p++) {
		char *line = p;
		uint64_t s, e;

		while (line > iomem && line[-1] != '\n')
			line--;
		if (sscanf(line, " %" SCNx64 "-%" SCNx64, &s, &e) == 2)
			blocks += (e + 1 - s) / bs;
	}
	free(iomem);
	return blocks;
}

/*
 * The NVDIMM's raw namespace as device-dax (no ndctl: sysfs, see qemu.md section 8), bound
 * to kmem once: its blocks appear offline. Its range spans several sections, so a failure
 * in a later section's sparse_add_section() is reachable, from this task (kmem's probe runs
 * in the writer of bind).
 */
static bool kmem_setup(void)
{
	char align[24];
	int err, blocks;

	bs = memory_block_size();
	if (access(ND_DAX, F_OK) || access(KMEM, F_OK)) {
		hp_skip("no NVDIMM dax seed (%s) or no kmem driver", ND_DAX);
		return true;
	}
	/* without BLK_DEV_PMEM (our config) the raw namespace has no driver to leave */
	if (!access("/sys/bus/nd/drivers/nd_pmem/namespace0.0", F_OK))
		CHECK(!(err = write_file("/sys/bus/nd/drivers/nd_pmem/unbind", "namespace0.0")),
		      "nd_pmem unbind: %s", strerror(-err));
	CHECK(!(err = write_file(ND_DAX "/uuid", DAX_UUID)), "dax0.0 uuid: %s", strerror(-err));
	CHECK(!(err = write_file(ND_DAX "/mode", "pmem")), "dax0.0 mode: %s", strerror(-err));
	/* the page size is a valid alignment with every page size (2 MiB is not with 16K) */
	snprintf(align, sizeof(align), "%ld", sysconf(_SC_PAGESIZE));
	CHECK(!(err = write_file(ND_DAX "/align", align)), "dax0.0 align: %s", strerror(-err));
	CHECK(!(err = write_file(ND_DAX "/namespace", "namespace0.0")), "dax0.0 namespace: %s",
	      strerror(-err));
	CHECK(!(err = write_file("/sys/bus/nd/drivers/dax_pmem/bind", "dax0.0")),
	      "dax_pmem bind: %s", strerror(-err));
	CHECK(!(err = write_file("/sys/bus/dax/drivers/device_dax/unbind", "dax0.0")),
	      "device_dax unbind: %s", strerror(-err));
	check_linear_map_stable();
	state_take(&kmem_unbound);
	/* new_id binds it too */
	CHECK(!(err = write_file(KMEM "/new_id", "dax0.0")), "kmem new_id: %s", strerror(-err));
	blocks = kmem_blocks();
	CHECK(blocks > 1, "kmem added %d blocks", blocks);
	state_take(&kmem_bound);
	CHECK(!(err = kmem_unbind()), "kmem unbind: %s", strerror(-err));
	CHECK(state_now_same(&kmem_unbound), "a clean kmem bind/unbind did not restore the state");
	kmem_ready = true;
	note("dax0.0 on kmem: %d blocks of %" PRIu64 " MiB; a clean bind/unbind restores the "
	     "state", blocks, bs / MiB);
	return true;
}

static bool kmem_sweep(const char *kind)
{
	struct step st = { .name = "kmem bind", .path = KMEM "/bind", .text = "dax0.0",
			   .undo = kmem_unbind };

	if (!kmem_ready) {
		hp_skip("no device-dax on kmem (see kmem_setup)");
		return true;
	}
	if (!fault_injection_available(kind))
		return true;
	return sweep(kind, &st, &kmem_unbound, &kmem_bound);
}

static bool kmem_slab(void) { return kmem_sweep("slab"); }
static bool kmem_page(void) { return kmem_sweep("page"); }

/* ---- ACPI: DIMMs added while the hot-plug worker's allocations fail ---- */

/*
 * make-it-fail on the kworkers, where ACPI's notify and hot-plug work run. Not on the GED's irq
 * thread: an allocation failing there aborts QEMU's event method (MSCN) before it clears the
 * slot's insert flag, and the next event, device_del's, is taken for that insert (the
 * removal is lost: no DEVICE_DELETED).
 */
static int mark_workers(const char *value)
{
	DIR *proc = opendir("/proc");
	struct dirent *de;
	int marked = 0;

	while (proc && (de = readdir(proc))) {
		char path[300], *comm;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		comm = read_file(path);
		if (comm && !strncmp(comm, "kworker/", 8)) {
			snprintf(path, sizeof(path), "/proc/%s/make-it-fail", de->d_name);
			marked += !write_file(path, value);
		}
		free(comm);
	}
	if (proc)
		closedir(proc);
	return marked;
}

/*
 * How many of the DIMM's blocks exist, once that number and /proc/iomem stop changing.
 * @worker_done: the ACPI hot-plug worker evaluated _OST, its end: no need to wait for more.
 */
static int settled_blocks(uint64_t addr, bool *in_iomem, bool worker_done)
{
	int settle = worker_done ? 0 : settle_ms;
	int stable = 0, last = -1, waited = 0;
	bool last_iomem = false;

	for (;;) {
		int n = 0;

		for (uint64_t a = addr; a < addr + DIMM_SIZE; a += bs)
			n += block_state(a / bs) != NULL;
		*in_iomem = iomem_overlaps(addr, addr + DIMM_SIZE, "System RAM");
		stable = (n == last && *in_iomem == last_iomem) ? stable + 1 : 0;
		/*
		 * The whole DIMM: done. Nothing at all: done when it stays so for settle_ms (the
		 * worker failed early). A part: when it stays so for 10 s, it is half added.
		 */
		if ((n == (int)(DIMM_SIZE / bs) && *in_iomem && stable >= 2) ||
		    (!n && !*in_iomem && stable * 100 >= settle) || stable >= 100 ||
		    waited > 60000)
			return n;
		last = n;
		last_iomem = *in_iomem;
		usleep(100 * 1000);
		waited += 100;
	}
}

/* The last fault injection's stack, from the log: where the worker's allocation failed. */
static void note_failure_site(void)
{
	int len = klogctl(10 /* SIZE_BUFFER */, NULL, 0), lines = 0;
	char *buf = malloc(len + 1), *p, *q;

	len = klogctl(3 /* READ_ALL */, buf, len);
	buf[len > 0 ? len : 0] = '\0';
	for (p = buf, q = NULL; (p = strstr(p, "FAULT_INJECTION: forcing a failure")); p++)
		q = p;
	/* the frames between the injection and the work function */
	if (q && (q = strstr(q, "should_fail_ex"))) {
		char *line = strtok(q, "\n");

		while ((line = strtok(NULL, "\n")) && lines++ < 30 && strstr(line, "+0x")) {
			note("    %s", strchr(line, ']') ? strchr(line, ']') + 2 : line);
			if (strstr(line, "_work_fn") || strstr(line, "process_one_work"))
				break;
		}
	}
	free(buf);
}

#define SPACE_ALL (1L << 30)

/*
 * One DIMM add with the worker threads' allocations failing through @dir once @space bytes
 * were allocated (failslab: object sizes, fail_page_alloc: page sizes); times 1, so only the
 * first allocation past @space fails. Then device_del. Each check that fails is noted and
 * clears *@ok; the trials go on, each compared with the state before it. Returns the bytes the
 * workers allocated.
 */
static long dimm_add_trial(const char *dir, const char *id, long space, bool *fired,
			   bool *absent, bool *ok)
{
	char reply[256], text[24];
	struct state before;
	bool in_iomem, dumped;
	int n, dumps;
	uint64_t addr;
	long left;

	state_take(&before);
	dumps = dmesg_count("FAULT_INJECTION: forcing a failure");
	snprintf(text, sizeof(text), "%ld", space);
	mark_workers("1");
	if (!set_attr(dir, "task-filter", "Y") || !set_attr(dir, "verbose", "2") ||
	    !set_attr(dir, "times", "1") || !set_attr(dir, "space", text) ||
	    !set_attr(dir, "probability", "100"))
		goto fail;
	if (!host_request(reply, sizeof(reply), "dimm-add %s %lu", id, DIMM_SIZE) ||
	    sscanf(reply, "ok addr=%" SCNx64, &addr) != 1) {
		note("FAIL: %s: host: %s", id, reply);
		goto fail;
	}
	n = settled_blocks(addr, &in_iomem, !strstr(reply, "ost=none"));
	dumped = dmesg_count("FAULT_INJECTION: forcing a failure") > dumps;
	*fired = read_long(dir, "times") == 0;
	*absent = !n;
	left = read_long(dir, "space");
	set_attr(dir, "probability", "0");
	mark_workers("0");
	note("%s at 0x%" PRIx64 ": space %ld: %s; %d of %d blocks, %s /proc/iomem", id, addr,
	     space, *fired ? "an allocation failed" : "nothing failed", n,
	     (int)(DIMM_SIZE / bs), in_iomem ? "in" : "not in");
	if (*fired && dumped)
		note_failure_site();
	else if (*fired)
		note("    (no stack: the failed allocation was __GFP_NOWARN, e.g. the vmemmap's)");
	if (!((n == 0 && !in_iomem) || (n == (int)(DIMM_SIZE / bs) && in_iomem))) {
		note("FAIL: %s: the DIMM at 0x%" PRIx64 " is half added", id, addr);
		*ok = false;
	}
	if (!*fired && !n) {
		note("FAIL: %s: nothing failed, yet the DIMM was not added", id);
		*ok = false;
	}
	/* a failed add leaves nothing: no memmap, no vmemmap, no memblock range */
	if (!n && !state_now_same(&before)) {
		note("FAIL: %s: the failed add left state behind (above)", id);
		*ok = false;
	}
	if (!host_request(reply, sizeof(reply), "dimm-del %s", id)) {
		note("FAIL: %s: device_del after the %s add: %s", id, n ? "complete" : "failed",
		     reply);
		*ok = false;
	} else if (!wait_blocks(addr, addr + DIMM_SIZE, false, 20000)) {
		note("FAIL: %s: blocks still there after device_del", id);
		*ok = false;
	}
	if (!state_now_same(&before)) {
		note("FAIL: %s: the state before the add did not come back after device_del", id);
		*ok = false;
	}
	state_free(&before);
	return space - left;
fail:
	set_attr(dir, "probability", "0");
	mark_workers("0");
	state_free(&before);
	*ok = false;
	return 0;
}

/* The @t-th (from 1) number of the comma list @list, or 0. */
static long space_at(const char *list, int t)
{
	while (--t > 0 && list)
		list = strchr(list, ',') ? strchr(list, ',') + 1 : NULL;
	return list ? strtol(list, NULL, 10) : 0;
}

/*
 * DIMM adds whose worker allocations fail at points spread evenly over what an add allocates:
 * a first add with nothing failing measures that (the "space" the workers use up), then
 * trial t fails the first allocation past t/(trials+1) of it.
 */
static bool dimm_add_failing(const char *dir, const char *label)
{
	const char *spaces = getenv("FAULT_SPACES");
	struct mem_snapshot before, now;
	int t, tried = 0, injected = 0, refused = 0;
	bool fired, absent, ok = true, same;
	char reply[256], id[16];
	long total, last;

	if (access(dir, F_OK)) {
		hp_skip("no %s", dir);
		return true;
	}
	snapshot_take(&before);
	/* sleeping allocations and order 0 too; only @dir gets a probability */
	CHECK(fault_mode(strcmp(dir, FAILSLAB) ? "page" : "slab"), "setup");
	total = dimm_add_trial(dir, "measure", SPACE_ALL, &fired, &absent, &ok);
	CHECK(ok && total > 0 && !fired, "the measuring add failed (above)");
	note("%s: a DIMM add uses up a space of %ld in the workers (%s)", label, total,
	     strcmp(dir, FAILSLAB) ? "pages" : "bytes of slab objects");
	for (t = 1, last = -1; t <= trials; t++) {
		long space = spaces ? space_at(spaces, t) : total * t / (trials + 1);

		if (spaces && space <= 0)
			break;
		/* fewer units than trials (64K: a DIMM add takes 8 pages) */
		if (space == last)
			continue;
		last = space;
		snprintf(id, sizeof(id), "%c%d", dir[strlen(dir) - 1] == 'b' ? 's' : 'p', t);
		dimm_add_trial(dir, id, space, &fired, &absent, &ok);
		tried++;
		injected += fired;
		refused += fired && absent;
	}
	note("%s: %d trials, %d with a failure injected, %d of them kept the whole DIMM out",
	     label, tried, injected, refused);
	CHECK(ok, "%s: a DIMM add under failing allocations went wrong (above)", label);
	CHECK(injected > 0, "no failure was injected in %d trials", tried);
	/* and a DIMM added now comes completely */
	CHECK(host_request(reply, sizeof(reply), "dimm-add clean %lu", DIMM_SIZE), "host: %s", reply);
	CHECK(sscanf(reply, "ok addr=%" SCNx64, &dimm_addr) == 1, "reply '%s'", reply);
	CHECK(wait_blocks(dimm_addr, dimm_addr + DIMM_SIZE, true, 20000), "clean add incomplete");
	CHECK(host_request(reply, sizeof(reply), "dimm-del clean"), "host: %s", reply);
	CHECK(wait_blocks(dimm_addr, dimm_addr + DIMM_SIZE, false, 20000), "blocks still there");
	snapshot_take(&now);
	same = snapshot_same(&before, &now);
	snapshot_free(&now);
	snapshot_free(&before);
	CHECK(same, "not back to the state before the trials");
	note("MemTotal, memory blocks and /proc/iomem as before the trials");
	return true;
}

static bool dimm_add_failslab(void) { return dimm_add_failing(FAILSLAB, "failslab"); }
static bool dimm_add_fail_page_alloc(void)
{
	return dimm_add_failing(FAIL_PAGE_ALLOC, "fail_page_alloc");
}

/* [*@start, *@end): the text of kernel function @func (to the next symbol in /proc/kallsyms). */
static bool symbol_range(const char *func, uint64_t *start, uint64_t *end)
{
	char type, name[128], line[256];
	uint64_t addr;
	FILE *f;

	*start = 0;
	*end = UINT64_MAX;
	for (int pass = 0; pass < 2 && (pass == 0 || *start); pass++) {
		f = fopen("/proc/kallsyms", "r");
		if (!f)
			return false;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%" SCNx64 " %c %127s", &addr, &type, name) != 3)
				continue;
			if (!pass && !strcmp(name, func) && strchr("tT", type))
				*start = addr;
			else if (pass && addr > *start && addr < *end)
				*end = addr;
		}
		fclose(f);
	}
	return *start && *end != UINT64_MAX;
}

static bool stack_filter(const char *dir, uint64_t start, uint64_t end)
{
	char text[2][24];

	snprintf(text[0], sizeof(text[0]), "0x%" PRIx64, start);
	snprintf(text[1], sizeof(text[1]), "0x%" PRIx64, end);
	return set_attr(dir, "require-start", text[0]) && set_attr(dir, "require-end", text[1]) &&
	       set_attr(dir, "stacktrace-depth", "32");
}

/*
 * DIMM adds whose slab allocations under @func alone fail (the fault injection's stack filter),
 * at up to FAULT_TRIALS points spread over what an add allocates there: @func's own failures, which the
 * trials spread over the whole worker may never hit. Each add is all or nothing, and device_del
 * brings back the state before it.
 */
static bool dimm_add_under(const char *func)
{
	bool fired, absent, ok = true;
	int tried = 0, injected = 0, refused = 0;
	uint64_t start, end;
	long total, step;
	char id[16];

	if (access(FAILSLAB "/require-start", F_OK)) {
		hp_skip("no %s/require-start (CONFIG_FAULT_INJECTION_STACKTRACE_FILTER)", FAILSLAB);
		return true;
	}
	CHECK(symbol_range(func, &start, &end), "%s is not in /proc/kallsyms", func);
	CHECK(fault_mode("slab") && stack_filter(FAILSLAB, start, end), "setup");
	total = dimm_add_trial(FAILSLAB, "measure", SPACE_ALL, &fired, &absent, &ok);
	CHECK(ok && !fired, "the measuring add failed (above)");
	CHECK(total > 0, "a DIMM add allocates nothing under %s", func);
	step = total / trials > 16 ? total / trials : 16;
	for (long space = 0; space < total; space += step) {
		snprintf(id, sizeof(id), "f%d", ++tried);
		dimm_add_trial(FAILSLAB, id, space, &fired, &absent, &ok);
		injected += fired;
		refused += fired && absent;
	}
	CHECK(stack_filter(FAILSLAB, 0, UINT64_MAX), "resetting the stack filter");
	note("under %s (%ld bytes of slab objects an add): %d trials, %d with a failure injected, "
	     "%d of them kept the whole DIMM out", func, total, tried, injected, refused);
	CHECK(ok, "a DIMM add with %s failing went wrong (above)", func);
	CHECK(injected > 0, "no allocation under %s failed", func);
	return true;
}

/* the integer methods the scan and the driver read (_STA, _PXM): acpi_memory_check_device()'s */
static bool dimm_add_acpi_eval_failing(void) { return dimm_add_under("acpi_evaluate_integer"); }
/* the links from the memory blocks to the ACPI device, made after the memory was added */
static bool dimm_add_bind_failing(void) { return dimm_add_under("acpi_bind_one"); }

static bool boot_state(void)
{
	bs = memory_block_size();
	check_linear_map_stable();
	snapshot_take(&boot);
	return true;
}

int main(int argc, char **argv)
{
	/* page sweeps of probe last: arm64 BUG()s when a linear map table cannot be allocated */
	static const struct hp_case dt_cases[] = {
		{ "reference_states", dt_setup },
		{ "online_slab", online_slab },
		{ "offline_slab", offline_slab },
		{ "remove_slab", remove_slab },
		{ "online_page", online_page },
		{ "offline_page", offline_page },
		{ "remove_page", remove_page },
		{ "probe_slab", probe_slab },
		{ "probe_page", probe_page },
		{ "back_to_boot", back_to_boot },
	};
	static const struct hp_case acpi_cases[] = {
		{ "add_dimm_online", add_dimm_online },
		{ "mem_on_off_test", mem_on_off_test },
		{ "notifier_failures", notifier_failures },
		{ "dimm_online_slab", dimm_online_slab },
		{ "dimm_offline_slab", dimm_offline_slab },
		{ "dimm_online_page", dimm_online_page },
		{ "dimm_offline_page", dimm_offline_page },
		{ "offline_with_data", offline_with_data },
		{ "remove_dimm", remove_dimm },
		{ "dimm_add_failslab", dimm_add_failslab },
		{ "dimm_add_fail_page_alloc", dimm_add_fail_page_alloc },
		{ "dimm_add_acpi_eval_failing", dimm_add_acpi_eval_failing },
		{ "dimm_add_bind_failing", dimm_add_bind_failing },
		{ "kmem_setup", kmem_setup },
		{ "kmem_slab", kmem_slab },
		/* last: arm64 BUG()s when a linear map table cannot be allocated */
		{ "kmem_page", kmem_page },
	};

	/* the DIMM adds alone (to reproduce one, FAULT_SPACES) */
	static const struct hp_case acpi_add_cases[] = {
		{ "boot_state", boot_state },
		{ "dimm_add_failslab", dimm_add_failslab },
		{ "dimm_add_fail_page_alloc", dimm_add_fail_page_alloc },
		{ "dimm_add_acpi_eval_failing", dimm_add_acpi_eval_failing },
		{ "dimm_add_bind_failing", dimm_add_bind_failing },
	};

	/* the kmem sweeps alone */
	static const struct hp_case kmem_cases[] = {
		{ "kmem_setup", kmem_setup },
		{ "kmem_slab", kmem_slab },
		{ "kmem_page", kmem_page },
	};

	nth_step = env_int("FAULT_NTH_STEP", 1);
	nth_first = env_int("FAULT_NTH_FIRST", 1);
	trials = env_int("FAULT_TRIALS", 12);
	settle_ms = env_int("FAULT_SETTLE_MS", 3000);
	trace = env_int("FAULT_TRACE", 0);
	verbose = getenv("FAULT_VERBOSE") ? getenv("FAULT_VERBOSE") : "0";
	if (nth_step < 1 || nth_first < 1)
		return 2;
	if (argc == 2 && !strcmp(argv[1], "dt"))
		return hp_run(dt_cases, sizeof(dt_cases) / sizeof(dt_cases[0]));
	if (argc == 2 && !strcmp(argv[1], "kmem"))
		return hp_run(kmem_cases, sizeof(kmem_cases) / sizeof(kmem_cases[0]));
	if (argc == 2 && !strcmp(argv[1], "acpi-add"))
		return hp_run_all(acpi_add_cases, sizeof(acpi_add_cases) / sizeof(acpi_add_cases[0]));
	if (argc == 2 && !strcmp(argv[1], "acpi"))
		return hp_run_all(acpi_cases, sizeof(acpi_cases) / sizeof(acpi_cases[0]));
	fprintf(stderr, "usage: fault-inject dt|acpi|acpi-add|kmem\n");
	return 2;
}
