// SPDX-License-Identifier: GPL-2.0
/*
 * Hot-remove under load: ACPI DIMMs go offline and away while the guest works.
 *
 * Load: a worker keeps an madvise(MADV_HUGEPAGE) region full of a pattern (THPs, some in the
 * DIMMs: /proc/kpageflags and AnonHugePages), another churns tmpfs files (written, read back,
 * truncated) beside a file it keeps; each verifies all its data on every pass. This process
 * holds io_uring registered buffers (FOLL_LONGTERM pins, raw syscalls). Under that load:
 * offline/online cycles of the DIMMs' blocks; the blocks that held the buffers go offline with
 * them registered (the pin moved them out of ZONE_MOVABLE); a ZONE_NORMAL block holding pinned
 * pages refuses to go offline within a timeout (SIGALRM: EINTR, or EBUSY; nothing changed) and
 * goes once the buffers are unregistered; several processes online/offline different blocks
 * while a DIMM is removed, and two race on one block (one wins, the other gets EINVAL); the
 * DIMMs are removed, one by the eject of online memory. Every pattern is verified at the end of
 * each phase, both views (mapping, and the kernel's writes from the registered buffers) of the
 * pinned ones; every offline has a timeout; every child is reaped.
 *
 * Environment: LOAD_CYCLES (offline/online cycles per block, default 3), LOAD_RACES (race
 * rounds, default 4), LOAD_THP_MIB (THP region, default max(256, two PMD pages)),
 * LOAD_CACHE_MIB (churned file, default 32), LOAD_CORRUPT=1 (overwrite a word of the THP
 * region through /proc/PID/mem after the cycles: the verification must fail),
 * LOAD_NORMAL_TIMEOUT (seconds for the refused ZONE_NORMAL offline, default 3; 0: no timeout,
 * the kernel retries for ever and the scenario's timeout ends the run), LOAD_NORMAL_SLACK (how
 * much longer it may take: the kernel sees the signal only between passes over the block,
 * default 30 s), LOAD_ZONE_NORMAL=0 (skip the ZONE_NORMAL case).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <linux/io_uring.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hp.h"

#define NR_DIMMS 3
#define DIMM_BLOCKS 2
#define OFFLINE_TIMEOUT 60	/* s: an offline of movable memory under load must finish */
#define VERIFY_TIMEOUT 180	/* s: for two full passes of a worker */
#define PIN_BYTES (8 * MiB)	/* io_uring registered buffers, in PIN_BUFS buffers */
#define PIN_BUFS 8
#define KPF_THP 22		/* /proc/kpageflags */
#define SEED_THP 0x74687000ULL
#define SEED_CACHE 0x6361636800ULL
#define SEED_KEEP 0x6b65657000ULL
#define SEED_PIN 0x70696e0000ULL

enum { W_THP, W_CACHE, NR_WORKERS };

/* Shared with the workers (MAP_SHARED). */
struct worker {
	pid_t pid;
	long passes;		/* complete verifications of all its data */
	long bad;		/* words found wrong */
	long errors;		/* failed syscalls */
	int stop;
	uintptr_t addr;		/* THP worker: its region */
	char why[160];		/* the first problem */
};

static const char *const worker_name[NR_WORKERS] = { "thp", "cache" };
static struct worker *workers;
static struct mem_snapshot boot;
static uint64_t bs, hpage, dimm_size, dimm_addr[NR_DIMMS];
static size_t thp_bytes, cache_bytes;
static int cycles = 3, races = 4, normal_timeout = 3, normal_slack = 30, zone_normal_case = 1;
static long long boot_memtotal;
static char *thp_setting;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long block_nr(int dimm, int i)
{
	return (dimm_addr[dimm] + i * bs) / bs;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * Offlines block @nr. The kernel retries migration until a signal arrives: SIGALRM after
 * @timeout_s (0: none) ends it with EINTR. 0 or -errno; @took: seconds.
 */
static int offline_within(unsigned long nr, unsigned int timeout_s, double *took)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	double t0 = now();
	int err;

	sigaction(SIGALRM, &sa, NULL);
	alarm(timeout_s);
	err = set_block_state(nr, "offline");
	alarm(0);
	if (took)
		*took = now() - t0;
	return err;
}

/* Reaps @pid within @timeout_s: its wait status, or -1 after killing it. */
static int reap(pid_t pid, int timeout_s)
{
	double end = now() + timeout_s;
	int status;

	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now() > end) {
			note("pid %d did not exit within %d s: killed", pid, timeout_s);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(20 * 1000);
	}
	return status;
}

static bool in_dimms(uint64_t phys)
{
	for (int i = 0; i < NR_DIMMS; i++)
		if (phys >= dimm_addr[i] && phys < dimm_addr[i] + dimm_size)
			return true;
	return false;
}

static long dimm_pages(const void *buf, size_t bytes)
{
	long n = 0;

	for (int i = 0; i < NR_DIMMS; i++)
		n += pages_in_range(buf, bytes, dimm_addr[i], dimm_addr[i] + dimm_size);
	return n;
}

/* ---- the workers ---- */

static void worker_fail(struct worker *w, bool is_error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void worker_fail(struct worker *w, bool is_error, const char *fmt, ...)
{
	va_list ap;

	if (!w->why[0]) {
		va_start(ap, fmt);
		vsnprintf(w->why, sizeof(w->why), fmt, ap);
		va_end(ap);
	}
	if (is_error)
		__atomic_add_fetch(&w->errors, 1, __ATOMIC_SEQ_CST);
}

#define THP_CHUNK (64 * 1024)

/* The pattern of chunk @nr of the THP region in pass @pass. */
static uint64_t thp_seed(long pass, size_t nr)
{
	return (SEED_THP + pass) * 1000003 + nr;
}

/*
 * Each pass checks a chunk and at once rewrites it for the next pass: every word holds data
 * that the next pass checks, all the time.
 */
static void thp_worker(struct worker *w)
{
	char *raw = mmap(NULL, thp_bytes + hpage, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *buf;
	long pass;

	if (raw == MAP_FAILED) {
		worker_fail(w, true, "mmap %zu MiB: %s", thp_bytes / MiB, strerror(errno));
		_exit(1);
	}
	buf = (char *)(((uintptr_t)raw + hpage - 1) & ~(hpage - 1));
	if (madvise(buf, thp_bytes, MADV_HUGEPAGE))
		worker_fail(w, true, "madvise(MADV_HUGEPAGE): %s", strerror(errno));
	for (size_t nr = 0; nr < thp_bytes / THP_CHUNK; nr++)
		pattern_fill((uint64_t *)(buf + nr * THP_CHUNK), THP_CHUNK, thp_seed(0, nr));
	w->addr = (uintptr_t)buf;
	for (pass = 0;; pass++) {
		bool stop = __atomic_load_n(&w->stop, __ATOMIC_SEQ_CST);

		for (size_t nr = 0; nr < thp_bytes / THP_CHUNK; nr++) {
			uint64_t *chunk = (uint64_t *)(buf + nr * THP_CHUNK);
			size_t bad = pattern_check(chunk, THP_CHUNK, thp_seed(pass, nr));

			if (bad) {
				__atomic_add_fetch(&w->bad, bad, __ATOMIC_SEQ_CST);
				worker_fail(w, false, "%zu words of the THP region wrong at +%zu in pass %ld",
					    bad, nr * THP_CHUNK, pass + 1);
			}
			pattern_fill(chunk, THP_CHUNK, thp_seed(pass + 1, nr));
		}
		__atomic_add_fetch(&w->passes, 1, __ATOMIC_SEQ_CST);
		if (stop)
			_exit(w->bad || w->errors);
	}
}

#define CHUNK (1 * MiB)

/* The pattern of chunk @nr of a file written with @seed. */
static void chunk_fill(uint64_t *chunk, uint64_t seed, size_t nr)
{
	pattern_fill(chunk, CHUNK, seed * 1000003 + nr);
}

static void write_file_pattern(struct worker *w, int fd, size_t bytes, uint64_t seed,
			       uint64_t *chunk)
{
	for (size_t nr = 0; nr < bytes / CHUNK; nr++) {
		chunk_fill(chunk, seed, nr);
		if (pwrite(fd, chunk, CHUNK, nr * CHUNK) != (ssize_t)CHUNK)
			worker_fail(w, true, "pwrite chunk %zu: %s", nr, strerror(errno));
	}
}

static void check_file_pattern(struct worker *w, int fd, size_t bytes, uint64_t seed,
			       uint64_t *chunk, const char *what)
{
	for (size_t nr = 0; nr < bytes / CHUNK; nr++) {
		size_t bad;

		if (pread(fd, chunk, CHUNK, nr * CHUNK) != (ssize_t)CHUNK) {
			worker_fail(w, true, "%s: pread chunk %zu: %s", what, nr, strerror(errno));
			continue;
		}
		bad = pattern_check(chunk, CHUNK, seed * 1000003 + nr);
		if (bad) {
			__atomic_add_fetch(&w->bad, bad, __ATOMIC_SEQ_CST);
			worker_fail(w, false, "%s: %zu words of chunk %zu wrong", what, bad, nr);
		}
	}
}

/* A file it keeps (checked every pass) and a file it writes, reads, truncates and drops. */
static void cache_worker(struct worker *w)
{
	uint64_t *chunk = malloc(CHUNK), seed = SEED_CACHE;
	int keep = open("/tmp/load-keep", O_RDWR | O_CREAT | O_TRUNC, 0600);
	struct stat st;

	if (keep < 0 || !chunk) {
		worker_fail(w, true, "open /tmp/load-keep: %s", strerror(errno));
		_exit(1);
	}
	write_file_pattern(w, keep, cache_bytes / 2, SEED_KEEP, chunk);
	for (;;) {
		bool stop = __atomic_load_n(&w->stop, __ATOMIC_SEQ_CST);
		int fd = open("/tmp/load-churn", O_RDWR | O_CREAT | O_TRUNC, 0600);

		check_file_pattern(w, keep, cache_bytes / 2, SEED_KEEP, chunk, "kept file");
		if (fd < 0) {
			worker_fail(w, true, "open /tmp/load-churn: %s", strerror(errno));
		} else {
			write_file_pattern(w, fd, cache_bytes, ++seed, chunk);
			check_file_pattern(w, fd, cache_bytes, seed, chunk, "churned file");
			if (ftruncate(fd, cache_bytes / 2) || fstat(fd, &st) ||
			    st.st_size != (off_t)cache_bytes / 2)
				worker_fail(w, true, "truncate to half: %s", strerror(errno));
			check_file_pattern(w, fd, cache_bytes / 2, seed, chunk, "truncated file");
			if (ftruncate(fd, 0))
				worker_fail(w, true, "truncate to 0: %s", strerror(errno));
			close(fd);
			if (seed & 1)
				unlink("/tmp/load-churn");
		}
		__atomic_add_fetch(&w->passes, 1, __ATOMIC_SEQ_CST);
		if (stop)
			_exit(w->bad || w->errors);
	}
}

static void kill_workers(void)
{
	for (int i = 0; workers && i < NR_WORKERS; i++) {
		if (workers[i].pid > 0) {
			kill(workers[i].pid, SIGKILL);
			waitpid(workers[i].pid, NULL, 0);
			workers[i].pid = 0;
		}
	}
}

/* Waits until every worker has verified all its data from scratch since now. */
static bool workers_verified(const char *phase)
{
	long want[NR_WORKERS];
	double t0 = now();
	int i;

	for (i = 0; i < NR_WORKERS; i++)
		want[i] = __atomic_load_n(&workers[i].passes, __ATOMIC_SEQ_CST) + 2;
	for (i = 0; i < NR_WORKERS; i++) {
		while (__atomic_load_n(&workers[i].passes, __ATOMIC_SEQ_CST) < want[i]) {
			if (waitpid(workers[i].pid, NULL, WNOHANG) != 0) {
				workers[i].pid = 0;
				CHECK(false, "%s worker exited during %s: %s", worker_name[i], phase,
				      workers[i].why);
			}
			CHECK(now() - t0 < VERIFY_TIMEOUT, "%s worker: no full pass in %d s",
			      worker_name[i], VERIFY_TIMEOUT);
			usleep(50 * 1000);
		}
	}
	for (i = 0; i < NR_WORKERS; i++)
		CHECK(!workers[i].bad && !workers[i].errors,
		      "%s worker after %s: %ld words wrong, %ld errors; first: %s",
		      worker_name[i], phase, workers[i].bad, workers[i].errors, workers[i].why);
	note("%s: all data verified (thp pass %ld, cache pass %ld, %.1f s)", phase,
	     workers[W_THP].passes, workers[W_CACHE].passes, now() - t0);
	return true;
}

/* AnonHugePages (kB) of the mapping of @pid that starts at @addr; -1 if none. */
static long smaps_anon_huge_kb(pid_t pid, uintptr_t addr)
{
	char path[64], *text, *p, head[32];
	long kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	text = read_file(path);
	snprintf(head, sizeof(head), "%lx-", (unsigned long)addr);
	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		if (!strncmp(p, head, strlen(head))) {
			p = strstr(p, "AnonHugePages:");
			kb = p ? strtol(p + 14, NULL, 10) : -1;
			break;
		}
	}
	free(text);
	return kb;
}

/* THPs (/proc/kpageflags) among the PMD pages of @pid's [addr, addr + len); in the DIMMs. */
static bool thp_count(pid_t pid, uintptr_t addr, size_t len, long *total, long *in_dimm)
{
	char path[64];
	long page = sysconf(_SC_PAGESIZE);
	int map, flags;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	map = open(path, O_RDONLY);
	flags = open("/proc/kpageflags", O_RDONLY);
	*total = *in_dimm = 0;
	for (uintptr_t a = addr; map >= 0 && flags >= 0 && a < addr + len; a += hpage) {
		uint64_t ent, pfn, kpf;

		if (pread(map, &ent, 8, a / page * 8) != 8 || !(ent >> 63))
			continue;
		pfn = ent & ((1ULL << 55) - 1);
		if (pread(flags, &kpf, 8, pfn * 8) != 8 || !(kpf & (1ULL << KPF_THP)))
			continue;
		(*total)++;
		*in_dimm += in_dimms(pfn * page);
	}
	if (map >= 0)
		close(map);
	if (flags >= 0)
		close(flags);
	return map >= 0 && flags >= 0;
}

static void note_thps(const char *when)
{
	long total, in_dimm, kb = smaps_anon_huge_kb(workers[W_THP].pid, workers[W_THP].addr);

	thp_count(workers[W_THP].pid, workers[W_THP].addr, thp_bytes, &total, &in_dimm);
	note("%s: THP region %zu MiB: AnonHugePages %ld kB, %ld THPs of %" PRIu64
	     " KiB, %ld in the DIMMs", when, thp_bytes / MiB, kb, total, hpage / 1024, in_dimm);
}

/* ---- io_uring through raw syscalls ---- */

struct ring {
	int fd;
	struct io_uring_params p;
	void *sq, *cq;
	struct io_uring_sqe *sqes;
	size_t sq_len, cq_len, sqes_len;
};

#define RING_U32(base, off) ((unsigned int *)((char *)(base) + (off)))

static int ring_setup(struct ring *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = syscall(__NR_io_uring_setup, 4, &r->p);
	if (r->fd < 0)
		return -errno;
	r->sq_len = r->p.sq_off.array + r->p.sq_entries * sizeof(__u32);
	r->cq_len = r->p.cq_off.cqes + r->p.cq_entries * sizeof(struct io_uring_cqe);
	r->sqes_len = r->p.sq_entries * sizeof(struct io_uring_sqe);
	r->sq = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		     IORING_OFF_SQ_RING);
	r->cq = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		     IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       r->fd, IORING_OFF_SQES);
	if (r->sq == MAP_FAILED || r->cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return -errno;
	return 0;
}

static void ring_close(struct ring *r)
{
	munmap(r->sq, r->sq_len);
	munmap(r->cq, r->cq_len);
	munmap(r->sqes, r->sqes_len);
	close(r->fd);
	r->fd = -1;
}

/* One IORING_OP_WRITE_FIXED from registered buffer @index; the completion's res. */
static int ring_write_fixed(struct ring *r, int index, const void *buf, unsigned int len,
			    int fd, off_t off)
{
	unsigned int tail = *RING_U32(r->sq, r->p.sq_off.tail);
	unsigned int idx = tail & *RING_U32(r->sq, r->p.sq_off.ring_mask);
	struct io_uring_cqe *cqes = (void *)((char *)r->cq + r->p.cq_off.cqes);
	struct io_uring_sqe *sqe = &r->sqes[idx];
	unsigned int head;
	int res;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_WRITE_FIXED;
	sqe->fd = fd;
	sqe->off = off;
	sqe->addr = (uintptr_t)buf;
	sqe->len = len;
	sqe->buf_index = index;
	RING_U32(r->sq, r->p.sq_off.array)[idx] = idx;
	__atomic_store_n(RING_U32(r->sq, r->p.sq_off.tail), tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	head = __atomic_load_n(RING_U32(r->cq, r->p.cq_off.head), __ATOMIC_ACQUIRE);
	if (head == __atomic_load_n(RING_U32(r->cq, r->p.cq_off.tail), __ATOMIC_ACQUIRE))
		return -ENODATA;
	res = cqes[head & *RING_U32(r->cq, r->p.cq_off.ring_mask)].res;
	__atomic_store_n(RING_U32(r->cq, r->p.cq_off.head), head + 1, __ATOMIC_RELEASE);
	return res;
}

/* A buffer registered with its own ring as @nr_bufs equal buffers (FOLL_LONGTERM pins). */
struct pinned {
	struct ring ring;
	uint64_t *buf;
	size_t bytes;
	int nr_bufs;
	uint64_t seed;		/* 0: no pattern (a filler) */
	bool registered;
};

static bool pin_alloc(struct pinned *p, uint64_t seed, size_t bytes, int nr_bufs)
{
	int err = ring_setup(&p->ring);

	CHECK(!err, "io_uring_setup: %s", strerror(-err));
	p->bytes = bytes;
	p->nr_bufs = nr_bufs;
	p->buf = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p->buf != MAP_FAILED, "mmap: %s", strerror(errno));
	/* children (forked later) must not copy the pinned pages */
	CHECK(!madvise(p->buf, bytes, MADV_DONTFORK), "MADV_DONTFORK: %s", strerror(errno));
	p->seed = seed;
	if (seed)
		pattern_fill(p->buf, bytes, seed);
	else
		memset(p->buf, 0x5a, bytes);
	return true;
}

static void pin_free(struct pinned *p)
{
	ring_close(&p->ring);
	munmap(p->buf, p->bytes);
}

static int pin_register(struct pinned *p)
{
	struct iovec iov[PIN_BUFS];

	for (int i = 0; i < p->nr_bufs; i++) {
		iov[i].iov_base = (char *)p->buf + i * (p->bytes / p->nr_bufs);
		iov[i].iov_len = p->bytes / p->nr_bufs;
	}
	if (syscall(__NR_io_uring_register, p->ring.fd, IORING_REGISTER_BUFFERS, iov, p->nr_bufs))
		return -errno;
	p->registered = true;
	return 0;
}

static int pin_unregister(struct pinned *p)
{
	if (syscall(__NR_io_uring_register, p->ring.fd, IORING_UNREGISTER_BUFFERS, NULL, 0))
		return -errno;
	p->registered = false;
	return 0;
}

/*
 * Made before any case that must not allocate: a 1 MiB tmpfs file (overwritten in place, so
 * its pages and xarray nodes exist) and a buffer to read it back into.
 */
static int pin_file = -1;
static char *pin_scratch;
#define VIEW_BYTES (1 * MiB)

/* What the kernel writes from [off, off + len) of the registered buffers equals the mapping. */
static bool pin_kernel_view(struct pinned *p, size_t off, size_t len, const char *when)
{
	size_t part = p->bytes / p->nr_bufs;
	int i = off / part, res;

	len = len < part - off % part ? len : part - off % part;
	len = len < VIEW_BYTES ? len : VIEW_BYTES;
	res = ring_write_fixed(&p->ring, i, (char *)p->buf + off, len, pin_file, 0);
	CHECK(res == (int)len, "%s: WRITE_FIXED of buffer %d: %d (%s)", when, i, res,
	      res < 0 ? strerror(-res) : "short");
	CHECK(pread(pin_file, pin_scratch, len, 0) == (ssize_t)len, "pread: %s", strerror(errno));
	CHECK(!memcmp(pin_scratch, (char *)p->buf + off, len),
	      "%s: what the kernel wrote from buffer %d at +%zu differs from the user mapping",
	      when, i, off % part);
	return true;
}

/*
 * Both views of the pinned pages hold the pattern: the user mapping (all of it), and what the
 * kernel writes from the registered buffers (WRITE_FIXED to a tmpfs file, read back: the
 * first MiB of each buffer, and the MiB at @extra if it is not -1). If a pinned page had been
 * migrated, the two would differ.
 */
static bool pin_intact(struct pinned *p, const char *when, long extra)
{
	size_t bad = pattern_check(p->buf, p->bytes, p->seed);

	CHECK(!bad, "%s: %zu words of the registered buffers wrong (user mapping)", when, bad);
	for (int i = 0; p->registered && i < p->nr_bufs; i++)
		if (!pin_kernel_view(p, i * (p->bytes / p->nr_bufs), VIEW_BYTES, when))
			return false;
	if (p->registered && extra >= 0 && !pin_kernel_view(p, extra, VIEW_BYTES, when))
		return false;
	return true;
}

/* ---- the cases ---- */

static void signal_workers(int sig)
{
	for (int i = 0; i < NR_WORKERS; i++)
		if (workers[i].pid > 0)
			kill(workers[i].pid, sig);
}

/*
 * Empty slabs go back to the page allocator (/sys/kernel/slab/<cache>/shrink): a slab page
 * that a cache took in the block during the pin and emptied since stays with the cache.
 */
static void shrink_slabs(void)
{
	DIR *dir = opendir("/sys/kernel/slab");
	struct dirent *de;

	while (dir && (de = readdir(dir))) {
		char path[300];

		if (de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", de->d_name);
			write_file(path, "1");
		}
	}
	if (dir)
		closedir(dir);
}

/* Free memory of zone @zone of node 0 (/proc/zoneinfo), in kB; -1 if absent. */
static long long zone_free_kb(const char *zone)
{
	char *text = read_file("/proc/zoneinfo"), head[64], *p;
	long long kb = -1;

	snprintf(head, sizeof(head), "Node 0, zone %8s", zone);
	p = text ? strstr(text, head) : NULL;
	p = p ? strstr(p, "pages free") : NULL;
	if (p)
		kb = strtoll(p + 10, NULL, 10) * (sysconf(_SC_PAGESIZE) / 1024);
	free(text);
	return kb;
}

static bool memtotal_is(int online_blocks, const char *when)
{
	long long want = boot_memtotal + (long long)(online_blocks * bs / 1024);

	CHECK(meminfo_kb("MemTotal") == want, "%s: MemTotal %lld kB, expected %lld kB (%d blocks)",
	      when, meminfo_kb("MemTotal"), want, online_blocks);
	return true;
}

static bool boot_state(void)
{
	char *text;
	struct ring r;
	int err;

	snapshot_take(&boot);
	boot_memtotal = boot.memtotal_kb;
	bs = memory_block_size();
	CHECK(bs, "no %s/block_size_bytes", MEMORY_SYSFS);
	text = read_file("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
	CHECK(text, "no transparent_hugepage in sysfs (CONFIG_TRANSPARENT_HUGEPAGE=y?)");
	hpage = strtoull(text, NULL, 10);
	free(text);
	thp_setting = read_file("/sys/kernel/mm/transparent_hugepage/enabled");
	/* THPs only where asked for: the region's madvise() is what makes them. */
	CHECK(!write_file("/sys/kernel/mm/transparent_hugepage/enabled", "madvise"),
	      "cannot set transparent_hugepage/enabled to madvise");
	err = ring_setup(&r);
	CHECK(!err, "io_uring_setup: %s (CONFIG_IO_URING=y?)", strerror(-err));
	ring_close(&r);
	pin_file = open("/tmp/load-pin", O_RDWR | O_CREAT | O_TRUNC, 0600);
	pin_scratch = mmap(NULL, VIEW_BYTES, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	CHECK(pin_file >= 0 && pin_scratch != MAP_FAILED, "/tmp/load-pin: %s", strerror(errno));
	CHECK(pwrite(pin_file, pin_scratch, VIEW_BYTES, 0) == (ssize_t)VIEW_BYTES, "pwrite: %s",
	      strerror(errno));
	dimm_size = DIMM_BLOCKS * bs;
	if (!thp_bytes)
		thp_bytes = 256 * MiB > 2 * hpage ? 256 * MiB : 2 * hpage;
	thp_bytes = (thp_bytes + hpage - 1) / hpage * hpage;	/* whole PMD pages */
	note("boot: MemTotal %lld kB, block %" PRIu64 " MiB, PMD THP %" PRIu64 " KiB; %d DIMMs of %"
	     PRIu64 " MiB; THP region %zu MiB, churned file %zu MiB, pins %lu MiB",
	     boot_memtotal, bs / MiB, hpage / 1024, NR_DIMMS, dimm_size / MiB, thp_bytes / MiB,
	     cache_bytes / MiB, PIN_BYTES / MiB);
	return true;
}

/* dimm0, dimm1 and the second block of dimm2 online movable; the first of dimm2 stays offline. */
static bool hot_add(void)
{
	char reply[256];

	for (int i = 0; i < NR_DIMMS; i++) {
		CHECK(host_request(reply, sizeof(reply), "dimm-add dimm%d %" PRIu64, i, dimm_size),
		      "host: %s", reply);
		CHECK(sscanf(reply, "ok addr=%" SCNx64, &dimm_addr[i]) == 1, "reply '%s'", reply);
		CHECK(wait_blocks(dimm_addr[i], dimm_addr[i] + dimm_size, true, 20000),
		      "blocks of dimm%d not all present 20 s after the hot-add", i);
		for (int b = 0; b < DIMM_BLOCKS; b++) {
			int err;

			if (i == 2 && b == 0)
				continue;
			err = set_block_state(block_nr(i, b), "online_movable");
			CHECK(!err, "online_movable memory%lu: %s", block_nr(i, b), strerror(-err));
		}
		note("dimm%d: [0x%" PRIx64 "-0x%" PRIx64 "] memory%lu..memory%lu", i, dimm_addr[i],
		     dimm_addr[i] + dimm_size - 1, block_nr(i, 0), block_nr(i, DIMM_BLOCKS - 1));
	}
	return memtotal_is(NR_DIMMS * DIMM_BLOCKS - 1, "online");
}

static void run_worker(int i)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (i == W_THP)
			thp_worker(&workers[i]);
		cache_worker(&workers[i]);
	}
	/* only the parent writes it: the page is shared */
	workers[i].pid = pid;
}

static bool load_with_thps_in_dimms(void)
{
	long total, in_dimm;

	workers = mmap(NULL, sizeof(*workers) * NR_WORKERS, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(workers != MAP_FAILED, "mmap shared: %s", strerror(errno));
	atexit(kill_workers);
	for (int i = 0; i < NR_WORKERS; i++) {
		run_worker(i);
		CHECK(workers[i].pid > 0, "fork: %s", strerror(errno));
	}
	if (!workers_verified("start"))
		return false;
	note_thps("start");
	CHECK(smaps_anon_huge_kb(workers[W_THP].pid, workers[W_THP].addr) > 0,
	      "no AnonHugePages in the madvised region");
	CHECK(thp_count(workers[W_THP].pid, workers[W_THP].addr, thp_bytes, &total, &in_dimm),
	      "cannot read pagemap/kpageflags");
	CHECK(in_dimm > 0, "no THP of the region in the hot-added memory");
	return true;
}

/* Offline/online every movable block of dimm0 and dimm1, LOAD_CYCLES times. */
static bool offline_online_cycles(void)
{
	double took, sum = 0, max = 0;
	int n = 0, err;

	for (int c = 0; c < cycles; c++) {
		for (int i = 0; i < 2; i++) {
			for (int b = 0; b < DIMM_BLOCKS; b++) {
				unsigned long nr = block_nr(i, b);

				err = offline_within(nr, OFFLINE_TIMEOUT, &took);
				CHECK(!err, "cycle %d: offline memory%lu: %s after %.1f s", c, nr,
				      strerror(-err), took);
				CHECK(!strcmp(block_state(nr), "offline"), "memory%lu is %s", nr,
				      block_state(nr));
				err = set_block_state(nr, "online_movable");
				CHECK(!err, "online_movable memory%lu: %s", nr, strerror(-err));
				sum += took;
				max = took > max ? took : max;
				n++;
			}
		}
	}
	note("%d offline/online cycles of a %" PRIu64 " MiB block under load: offline %.2f s on"
	     " average, %.2f s at most", n, bs / MiB, sum / n, max);
	note_thps("after the cycles");
	if (getenv("LOAD_CORRUPT")) {
		/* Break the data on purpose: the verification below must see it. */
		char path[64];
		uint64_t junk = 0xdeadbeef;
		int fd;

		snprintf(path, sizeof(path), "/proc/%d/mem", workers[W_THP].pid);
		fd = open(path, O_RDWR);
		CHECK(fd >= 0 && pwrite(fd, &junk, 8, workers[W_THP].addr + thp_bytes / 2) == 8,
		      "LOAD_CORRUPT: cannot write %s: %s", path, strerror(errno));
		close(fd);
		note("LOAD_CORRUPT: one word of the THP region overwritten");
	}
	if (!workers_verified("offline/online cycles"))
		return false;
	return memtotal_is(NR_DIMMS * DIMM_BLOCKS - 1, "after the cycles");
}

static struct pinned pins;

/* Pinning moves the buffers out of ZONE_MOVABLE: their blocks go offline with them registered. */
static bool pins_leave_zone_movable(void)
{
	bool held[NR_DIMMS][DIMM_BLOCKS];
	long before, after;
	int err, blocks = 0;
	double took;

	if (!pin_alloc(&pins, SEED_PIN, PIN_BYTES, PIN_BUFS))
		return false;
	before = dimm_pages(pins.buf, PIN_BYTES);
	CHECK(before > 0, "no page of the buffers in the DIMMs (ZONE_MOVABLE): nothing to show");
	for (int i = 0; i < NR_DIMMS; i++)
		for (int b = 0; b < DIMM_BLOCKS; b++)
			held[i][b] = pages_in_range(pins.buf, PIN_BYTES, dimm_addr[i] + b * bs,
						    dimm_addr[i] + (b + 1) * bs) > 0;
	err = pin_register(&pins);
	CHECK(!err, "IORING_REGISTER_BUFFERS: %s", strerror(-err));
	after = dimm_pages(pins.buf, PIN_BYTES);
	note("registered %d buffers of %lu KiB: pages in ZONE_MOVABLE %ld before, %ld after", PIN_BUFS,
	     PIN_BYTES / PIN_BUFS / 1024, before, after);
	CHECK(after == 0, "%ld pinned pages still in ZONE_MOVABLE", after);
	if (!pin_intact(&pins, "registered", -1))
		return false;
	for (int i = 0; i < NR_DIMMS; i++) {
		for (int b = 0; b < DIMM_BLOCKS; b++) {
			unsigned long nr = block_nr(i, b);

			if (!held[i][b])
				continue;
			err = offline_within(nr, OFFLINE_TIMEOUT, &took);
			CHECK(!err, "offline memory%lu (held the buffers before the pin): %s after %.1f s",
			      nr, strerror(-err), took);
			note("memory%lu, which held the buffers before they were pinned, offline in %.2f s",
			     nr, took);
			blocks++;
		}
	}
	if (!pin_intact(&pins, "after the offline", -1))
		return false;
	if (!workers_verified("offline with pins"))
		return false;
	for (int i = 0; i < NR_DIMMS; i++) {
		for (int b = 0; b < DIMM_BLOCKS; b++) {
			if (!held[i][b])
				continue;
			err = set_block_state(block_nr(i, b), "online_movable");
			CHECK(!err, "online_movable memory%lu: %s", block_nr(i, b), strerror(-err));
		}
	}
	note("%d block(s) offline and back with the buffers registered", blocks);
	return true;
}

/*
 * A ZONE_NORMAL block holding a long-term pinned page cannot go offline: the kernel retries
 * until a signal (EINTR), or finds an unmovable page (EBUSY); nothing changes. Once the
 * buffers are unregistered it goes.
 */
static bool pin_blocks_zone_normal_stopped(void);

static bool pin_blocks_zone_normal(void)
{
	cpu_set_t all, one;
	bool ok;

	if (!zone_normal_case) {
		hp_skip("LOAD_ZONE_NORMAL=0: the kernel's own unmovable allocations while the pin fills"
			" the block (many on a debug kernel) stay there and refuse its offline after"
			" the unregistration");
		return true;
	}
	/*
	 * On one CPU: the pin's allocations then leave no page of the block in another CPU's
	 * per-cpu lists, where the kernel's next unmovable allocation there would find it.
	 */
	sched_getaffinity(0, sizeof(all), &all);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	ok = pin_blocks_zone_normal_stopped();
	sched_setaffinity(0, sizeof(all), &all);
	signal_workers(SIGCONT);
	if (!ok || !workers_verified("ZONE_NORMAL pin"))
		return false;
	return memtotal_is(NR_DIMMS * DIMM_BLOCKS - 1, "after the pin case");
}

static bool pin_blocks_zone_normal_stopped(void)
{
	unsigned long k = block_nr(2, 0);
	long page = sysconf(_SC_PAGESIZE), in_k, first_in_k = -1;
	struct mem_snapshot before, after;
	struct pinned normal, filler;
	long long normal_kb;
	size_t size, nr;
	double took;
	int err, tries = 1;
	bool same;

	/*
	 * Unmovable allocations, the pins among them, come from ZONE_NORMAL, boot memory first
	 * (the head of the free lists). One that stayed in the block would refuse the offline by
	 * itself. So, before the block goes online: the workers stop; the buffer to pin is made
	 * (in ZONE_MOVABLE), 1.25 blocks in one io_uring buffer; a filler of buffers of the same
	 * size is pinned: its pages fill boot ZONE_NORMAL (up to its watermark, or, where a
	 * pageblock is larger than what is free, as far as whole pageblocks go), and its
	 * registration makes the slabs that one of this size takes (the page array of the pin:
	 * a slab with 64K pages). Then the buffer's pin fills the block before the kernel
	 * allocates the registration's bvec array, which goes elsewhere.
	 */
	signal_workers(SIGSTOP);
	/* the lookups of what runs while the block is online, before: their dentries exist */
	snapshot_take(&before);
	snapshot_free(&before);
	shrink_slabs();
	size = (bs + bs / 4) / page * page;
	if (!pin_alloc(&normal, SEED_PIN + 1, size, 1))
		return false;
	normal_kb = zone_free_kb("Normal");
	CHECK(normal_kb > 0, "no free ZONE_NORMAL memory at boot (mem= too small?)");
	nr = ((size_t)normal_kb * 1024 + 64 * MiB + size - 1) / size;
	nr = nr < PIN_BUFS ? nr : PIN_BUFS;
	if (!pin_alloc(&filler, 0, nr * size, nr))
		return false;
	err = pin_register(&filler);
	CHECK(!err, "IORING_REGISTER_BUFFERS (filler): %s", strerror(-err));
	note("filler: %d buffers of %zu MiB pinned; ZONE_NORMAL free %lld kB -> %lld kB",
	     filler.nr_bufs, size / MiB, normal_kb, zone_free_kb("Normal"));

	err = set_block_state(k, "online_kernel");
	CHECK(!err, "online_kernel memory%lu: %s", k, strerror(-err));
	err = pin_register(&normal);
	CHECK(!err, "IORING_REGISTER_BUFFERS: %s", strerror(-err));
	CHECK(!strcmp(valid_zones(k), "Normal"), "memory%lu zone %s", k, valid_zones(k));
	in_k = pages_in_range(normal.buf, normal.bytes, dimm_addr[2], dimm_addr[2] + bs);
	for (size_t off = 0; off < normal.bytes && first_in_k < 0; off += page)
		if (pages_in_range((char *)normal.buf + off, page, dimm_addr[2], dimm_addr[2] + bs))
			first_in_k = off;
	note("registered %zu MiB: %ld of memory%lu's %" PRIu64 " pages pinned, %lld kB of"
	     " ZONE_NORMAL free", normal.bytes / MiB, in_k, k, bs / page, zone_free_kb("Normal"));
	CHECK(in_k > 0, "no pinned page in memory%lu: nothing to show", k);

	shrink_slabs();
	snapshot_take(&before);
	err = offline_within(k, normal_timeout, &took);
	snapshot_take(&after);
	same = snapshot_same(&before, &after);
	snapshot_free(&before);
	snapshot_free(&after);
	note("offline of memory%lu with pinned pages: %s after %.2f s (timeout %d s)", k,
	     err ? strerror(-err) : "success", took, normal_timeout);
	CHECK(err == -EINTR || err == -EBUSY, "offline memory%lu: %s, expected EINTR or EBUSY", k,
	      err ? strerror(-err) : "success");
	/* the kernel looks for a signal between passes over the block: allow for one pass */
	CHECK(took < normal_timeout + normal_slack, "offline took %.1f s, timeout %d s + %d s",
	      took, normal_timeout, normal_slack);
	CHECK(same, "a refused offline changed the memory state");
	CHECK(pages_in_range(normal.buf, normal.bytes, dimm_addr[2], dimm_addr[2] + bs) == in_k,
	      "pinned pages moved");
	if (!pin_intact(&normal, "after the refused offline", first_in_k))
		return false;

	err = pin_unregister(&normal);
	CHECK(!err, "IORING_UNREGISTER_BUFFERS: %s", strerror(-err));
	/*
	 * A slab page the kernel took in the block meanwhile may still hold objects that are
	 * being freed (RCU, KASAN's quarantine): retry for up to the slack.
	 */
	for (double t0 = now(), t = 0;; tries++) {
		shrink_slabs();
		err = offline_within(k, OFFLINE_TIMEOUT, &took);
		t = now() - t0;
		if (err != -EBUSY || t > normal_slack)
			break;
		sleep(1);
	}
	CHECK(!err, "offline memory%lu after unregistering: %s (try %d)", k, strerror(-err), tries);
	note("after IORING_UNREGISTER_BUFFERS: memory%lu offline in %.2f s (try %d)", k, took, tries);
	CHECK(pages_in_range(normal.buf, normal.bytes, dimm_addr[2], dimm_addr[2] + bs) == 0,
	      "buffer pages still in memory%lu", k);
	if (!pin_intact(&normal, "after the offline", -1))
		return false;
	err = pin_unregister(&filler);
	CHECK(!err, "IORING_UNREGISTER_BUFFERS (filler): %s", strerror(-err));
	pin_free(&normal);
	pin_free(&filler);
	return true;
}

/* A child cycles block @nr offline/online @n times; exits 0, or 1 after a note. */
static void cycler(unsigned long nr, int n)
{
	for (int c = 0; c < n; c++) {
		double took;
		int err = offline_within(nr, OFFLINE_TIMEOUT, &took);

		if (err) {
			note("cycler memory%lu: offline %d: %s after %.1f s", nr, c, strerror(-err),
			     took);
			_exit(1);
		}
		err = set_block_state(nr, "online_movable");
		if (err) {
			note("cycler memory%lu: online %d: %s", nr, c, strerror(-err));
			_exit(1);
		}
	}
	_exit(0);
}

/* Two children write @state to block @nr at once; each exits with 0 or its errno. */
static bool race(unsigned long nr, const char *state, int *errs)
{
	int go[2], status;
	pid_t pid[2];

	CHECK(!pipe(go), "pipe: %s", strerror(errno));
	fflush(stdout);
	for (int i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			char c;
			int err;

			close(go[1]);
			if (read(go[0], &c, 1) != 1)
				_exit(255);
			if (!strcmp(state, "offline"))
				err = offline_within(nr, OFFLINE_TIMEOUT, NULL);
			else
				err = set_block_state(nr, state);
			_exit(-err);
		}
		CHECK(pid[i] > 0, "fork: %s", strerror(errno));
	}
	close(go[0]);
	CHECK(write(go[1], "gg", 2) == 2, "write: %s", strerror(errno));
	close(go[1]);
	for (int i = 0; i < 2; i++) {
		status = reap(pid[i], OFFLINE_TIMEOUT + 10);
		CHECK(status >= 0 && WIFEXITED(status), "racer %d of memory%lu: status %#x", i, nr,
		      status);
		errs[i] = WEXITSTATUS(status);
	}
	return true;
}

/*
 * Different blocks go offline and online from several processes while dimm2 is removed, and
 * two processes race on one block: one wins, the other gets EINVAL.
 */
static bool concurrent_ops_and_remove(void)
{
	const unsigned long cycled[] = { block_nr(0, 0), block_nr(0, 1), block_nr(1, 0) };
	const unsigned long raced = block_nr(1, 1);
	const int nr_cyclers = sizeof(cycled) / sizeof(cycled[0]);
	pid_t pid[sizeof(cycled) / sizeof(cycled[0])];
	int errs[2], status, err, wins = 0;
	char reply[256];
	double took, t0 = now(), removed = 0;
	bool ok = true;

	fflush(stdout);
	for (int i = 0; i < nr_cyclers; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			cycler(cycled[i], cycles);
		CHECK(pid[i] > 0, "fork: %s", strerror(errno));
	}
	/* dimm2 goes away meanwhile: its movable block offline, then the eject */
	err = offline_within(block_nr(2, 1), OFFLINE_TIMEOUT, &took);
	if (err)
		note("FAIL offline memory%lu: %s after %.1f s", block_nr(2, 1), strerror(-err), took);
	ok &= !err;
	if (ok && !host_request(reply, sizeof(reply), "dimm-del dimm2")) {
		note("FAIL dimm-del dimm2: %s", reply);
		ok = false;
	}
	if (ok && !wait_blocks(dimm_addr[2], dimm_addr[2] + dimm_size, false, 20000)) {
		note("FAIL blocks of dimm2 still present after its removal");
		ok = false;
	}
	removed = now() - t0;
	for (int r = 0; ok && r < races; r++) {
		for (int s = 0; s < 2; s++) {
			const char *state = s ? "online_movable" : "offline";

			if (!race(raced, state, errs)) {
				ok = false;
				break;
			}
			if (!((errs[0] == 0 && errs[1] == EINVAL) ||
			      (errs[1] == 0 && errs[0] == EINVAL))) {
				note("FAIL race %d on memory%lu (%s): errnos %d and %d, expected one 0 and one EINVAL",
				     r, raced, state, errs[0], errs[1]);
				ok = false;
				break;
			}
			wins += errs[0] == 0;
		}
	}
	for (int i = 0; i < nr_cyclers; i++) {
		status = reap(pid[i], OFFLINE_TIMEOUT * cycles * 2 + 30);
		CHECK(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "cycler of memory%lu: status %#x", cycled[i], status);
	}
	CHECK(ok, "see above");
	note("dimm2 removed %.1f s after %d processes began cycling other blocks %d times; all"
	     " cyclers and racers done after %.1f s", removed, nr_cyclers, cycles, now() - t0);
	note("%d races x 2 on memory%lu: one writer won, the other got EINVAL (first won %d times)",
	     races, raced, wins);
	for (int i = 0; i < 2; i++)
		for (int b = 0; b < DIMM_BLOCKS; b++)
			CHECK(!strcmp(block_state(block_nr(i, b)), "online"), "memory%lu is %s",
			      block_nr(i, b), block_state(block_nr(i, b)));
	CHECK(!iomem_overlaps(dimm_addr[2], dimm_addr[2] + dimm_size, "System RAM"),
	      "dimm2 still in /proc/iomem");
	if (!pin_intact(&pins, "after the concurrent phase", -1))
		return false;
	if (!workers_verified("concurrent online/offline/remove"))
		return false;
	return memtotal_is(2 * DIMM_BLOCKS, "after dimm2 went");
}

/* dimm1 is ejected online (the eject offlines it under load), dimm0 offlined first. */
static bool hot_remove_under_load(void)
{
	char reply[256];
	double t0 = now(), took;
	int err;

	CHECK(host_request(reply, sizeof(reply), "dimm-del dimm1"), "dimm-del dimm1 (online): %s",
	      reply);
	CHECK(wait_blocks(dimm_addr[1], dimm_addr[1] + dimm_size, false, 20000),
	      "blocks of dimm1 still present");
	note("dimm1 ejected while online, under load, in %.1f s", now() - t0);
	for (int b = 0; b < DIMM_BLOCKS; b++) {
		err = offline_within(block_nr(0, b), OFFLINE_TIMEOUT, &took);
		CHECK(!err, "offline memory%lu: %s after %.1f s", block_nr(0, b), strerror(-err), took);
	}
	CHECK(host_request(reply, sizeof(reply), "dimm-del dimm0"), "dimm-del dimm0: %s", reply);
	CHECK(wait_blocks(dimm_addr[0], dimm_addr[0] + dimm_size, false, 20000),
	      "blocks of dimm0 still present");
	for (int i = 0; i < NR_DIMMS; i++)
		CHECK(!iomem_overlaps(dimm_addr[i], dimm_addr[i] + dimm_size, "System RAM"),
		      "dimm%d still in /proc/iomem", i);
	note_thps("all DIMMs removed");
	if (!pin_intact(&pins, "after the removal", -1))
		return false;
	if (!workers_verified("hot-remove"))
		return false;
	return memtotal_is(0, "after the removal");
}

static bool load_stops(void)
{
	int err = pin_unregister(&pins), status;

	CHECK(!err, "IORING_UNREGISTER_BUFFERS: %s", strerror(-err));
	if (!pin_intact(&pins, "unregistered", -1))
		return false;
	ring_close(&pins.ring);
	for (int i = 0; i < NR_WORKERS; i++)
		__atomic_store_n(&workers[i].stop, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < NR_WORKERS; i++) {
		status = reap(workers[i].pid, VERIFY_TIMEOUT);
		workers[i].pid = 0;
		CHECK(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "%s worker: status %#x, %ld words wrong, %ld errors; first: %s",
		      worker_name[i], status, workers[i].bad, workers[i].errors, workers[i].why);
	}
	note("workers stopped after a last full verification (thp %ld passes, cache %ld)",
	     workers[W_THP].passes, workers[W_CACHE].passes);
	return true;
}

static bool back_to_boot_state(void)
{
	struct mem_snapshot now_state;
	bool same;

	if (thp_setting) {
		char *sel = strchr(thp_setting, '['), *end = sel ? strchr(sel, ']') : NULL;

		if (end) {
			*end = '\0';
			write_file("/sys/kernel/mm/transparent_hugepage/enabled", sel + 1);
		}
	}
	unlink("/tmp/load-keep");
	unlink("/tmp/load-pin");
	unlink("/tmp/load-churn");
	snapshot_take(&now_state);
	same = snapshot_same(&boot, &now_state);
	note("after removal: MemTotal %lld kB (boot %lld kB)", now_state.memtotal_kb,
	     boot.memtotal_kb);
	snapshot_free(&now_state);
	CHECK(same, "memory state differs from boot");
	return true;
}

int main(void)
{
	static const struct hp_case cases[] = {
		{ "boot_state", boot_state },
		{ "hot_add_three_dimms", hot_add },
		{ "load_with_thps_in_dimms", load_with_thps_in_dimms },
		{ "offline_online_cycles_under_load", offline_online_cycles },
		{ "longterm_pins_leave_zone_movable", pins_leave_zone_movable },
		{ "longterm_pin_blocks_zone_normal_offline", pin_blocks_zone_normal },
		{ "concurrent_online_offline_remove", concurrent_ops_and_remove },
		{ "hot_remove_under_load", hot_remove_under_load },
		{ "load_stops_data_intact", load_stops },
		{ "back_to_boot_state", back_to_boot_state },
	};

	cycles = env_int("LOAD_CYCLES", cycles);
	races = env_int("LOAD_RACES", races);
	normal_timeout = env_int("LOAD_NORMAL_TIMEOUT", normal_timeout);
	normal_slack = env_int("LOAD_NORMAL_SLACK", normal_slack);
	zone_normal_case = env_int("LOAD_ZONE_NORMAL", zone_normal_case);
	thp_bytes = env_int("LOAD_THP_MIB", 0) * MiB;
	cache_bytes = env_int("LOAD_CACHE_MIB", 32) * MiB;
	return hp_run(cases, sizeof(cases) / sizeof(cases[0]));
}
