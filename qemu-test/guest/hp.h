/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-side helpers for the hot-plug tests: KTAP output, sysfs and /proc access, and requests
 * to the host (DIMM add/remove) over the virtio-serial port "hp.ctl".
 */
#ifndef HP_H
#define HP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MEMORY_SYSFS "/sys/devices/system/memory"
#define REMOVE_BOOT_MEMORY "/sys/module/memory_hotplug/parameters/remove_boot_memory"
#define MiB (1024UL * 1024)

struct hp_case {
	const char *name;
	/* Returns true when the case passed; may call hp_skip() first. */
	bool (*run)(void);
};

/* Runs the cases in order as one KTAP test; after a failure the rest are skipped. */
int hp_run(const struct hp_case *cases, int nr_cases);
/* The same, but every case runs: where a later step shows what an earlier failure did. */
int hp_run_all(const struct hp_case *cases, int nr_cases);
/* Marks the running case as skipped, with a reason. */
void hp_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A diagnostic line ("# ...") in the KTAP output. */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Record a failed check with its context; the case returns false. */
#define CHECK(cond, fmt, ...) do {						\
	if (!(cond)) {								\
		note("FAIL %s:%d: %s: " fmt, __FILE__, __LINE__, #cond, ##__VA_ARGS__); \
		return false;							\
	}									\
} while (0)

char *read_file(const char *path);		/* malloc'd, NULL on error (errno set) */
int write_file(const char *path, const char *s); /* 0 or -errno of write(2) */
/* write_file(), timed: its time in ms; 0 or -errno in *err */
double write_file_ms(const char *path, const char *s, int *err);
long long meminfo_kb(const char *key);		/* -1 if absent */
long long vmstat_value(const char *key);	/* -1 if absent */
/* "key: N kB" of a /proc status file (/proc/PID/status), -1 if absent */
long long status_kb(const char *path, const char *key);
uint64_t memory_block_size(void);
/* "online"/"offline"/... of memory block @nr, or NULL if the block does not exist. */
const char *block_state(unsigned long nr);
int set_block_state(unsigned long nr, const char *state); /* 0 or -errno */
/* Sets every block of [start, end) (blocks of @block_size) to @state; stops at the first error. */
int set_range_state(uint64_t start, uint64_t end, uint64_t block_size, const char *state);
/* Writes "start,size" to the remove file; 0 or -errno. */
int remove_range(uint64_t start, uint64_t size);
int remove_range_unchanged(uint64_t start, uint64_t size, bool *unchanged);
int env_int(const char *name, int def);
/* Wait up to @timeout_ms for every block in [start, end) to exist (present) or to be gone. */
bool wait_blocks(uint64_t start, uint64_t end, bool present, int timeout_ms);
/* How many lines of the kernel log contain @needle. */
int dmesg_count(const char *needle);
/* Does /proc/iomem have a top-level line "start-end : @name"? */
bool iomem_has(uint64_t start, uint64_t end, const char *name);
/* Does a line of /proc/iomem (at any depth) whose name starts with @name overlap [start, end)? */
bool iomem_overlaps(uint64_t start, uint64_t end, const char *name);

/* What a test compares before and after: MemTotal, block states, /proc/iomem. */
struct mem_snapshot {
	long long memtotal_kb;
	char *blocks;	/* "memoryN:state\n" for each block, sorted */
	char *iomem;
};
void snapshot_take(struct mem_snapshot *s);
/* true if equal; otherwise notes each difference. */
bool snapshot_same(const struct mem_snapshot *a, const struct mem_snapshot *b);
/* true if equal; otherwise notes the first line where @a and @b differ. */
bool same_text(const char *what, const char *a, const char *b);
void snapshot_free(struct mem_snapshot *s);

/*
 * Send one request line to the host and read its one-line reply into @reply.
 * Returns true when the reply starts with "ok".
 */
bool host_request(char *reply, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Make arch_check_remove_memory() return @err (a negative errno) through fail_function, so
 * that every removal is refused; false if this kernel cannot (no series, no fail_function).
 * inject_remove_failure_once() fails only its @nth call from now (1 = the next one).
 */
bool inject_remove_failure(int err);
bool inject_remove_failure_once(int err, int nth);
void clear_remove_failure(void);

/* memoryNR/valid_zones without its newline ("" if absent); a static buffer. */
const char *valid_zones(unsigned long nr);
/* Regions of memblock.reserved marked UNUSED_VMEMMAP (0 on a kernel without the flag). */
int unused_vmemmap_marks(void);
/* Whether memblock holds a reservation in [start, end) (debugfs memblock/reserved). */
bool memblock_reserved_overlaps(uint64_t start, uint64_t end);
/* Loads /lib/modules/@name.ko (its init runs, e.g. a KUnit suite); 0 or -errno. */
int load_module(const char *name);
/*
 * The KTAP of KUnit suite SUITE from debugfs: notes its lines, counts its cases and those that
 * failed or were skipped. false if the suite left no results.
 */
bool kunit_suite_results(const char *suite, int *cases, int *failed);

/* Fills @buf with a pattern derived from @seed and checks it; returns bad 64-bit words. */
void pattern_fill(uint64_t *buf, size_t bytes, uint64_t seed);
size_t pattern_check(const uint64_t *buf, size_t bytes, uint64_t seed);
/* Counts the pages of [buf, buf + bytes) whose frames lie in [start, end) (needs root). */
long pages_in_range(const void *buf, size_t bytes, uint64_t start, uint64_t end);
/* The /proc/kpageflags words of @n pages from @pfn into @flags. */
bool kpageflags(uint64_t pfn, uint64_t *flags, size_t n);

/*
 * The size after @key (" mem=": a leading space matches the whole word) on the kernel command
 * line, with its K/M/G suffix: "hp.ram=2G" -> 2 GiB; 0 if absent.
 */
uint64_t cmdline_size(const char *key);
/* virtio-mem: the hex number after the last "@key" in the kernel log; false if none. */
bool dmesg_hex(const char *key, uint64_t *value);


/* Kernel page tables from the ptdump (moved from bootmem-remove.c). */
#define PTDUMP "/sys/kernel/debug/kernel_page_tables"
/* Mapped ranges of one region of the kernel page tables, from the ptdump. */
struct mapping {
	uint64_t start, end;
	int level;	/* 0 PGD .. 4 PTE */
	bool cont;	/* a contiguous range (CON) */
};
struct region_map {
	struct mapping *m;
	int nr;
	uint64_t bytes;
};
struct pgtables {
	struct region_map linear, vmemmap;
};
/* Reads the mapped (present) ranges of the linear map and of the vmemmap from the ptdump. */
bool pgtables_read(struct pgtables *pt);
void pgtables_free(struct pgtables *pt);
/*
 * The PTE and PMD table pages that hold the mappings of @r: one for each PMD-sized span with a
 * page mapped in it, one for each PUD-sized span with a PMD or a page mapped in it.
 */
long pgtable_pages(const struct region_map *r);

/* Where the memory is, in pages, and the leak verdict over cycles (moved from bootmem-remove.c). */
struct reading {
	long long free, pcp, slab, user, kernel, depot, unaccounted;
	long long slab_unreclaimable, pagetables;	/* SUnreclaim, PageTables */
};
long long meminfo_pages(const char *key);
/* Folds the per-cpu counters and reads; "unaccounted" is MemTotal less every counter. */
void take_reading(struct reading *r);
/* Drops the page cache, dentries and inodes (the kernel frees them on demand anyway). */
void drop_caches(void);
/* Least-squares slope of y[0..n) against 0..n-1. */
double trend(const long long *y, int n);
long long median(const long long *y, int n);
/*
 * The verdict of "Leak checks" (Documentation/testing.md) over @n readings, one a cycle: a leak
 * keeps growing, so the series leaks when its least-squares trend rises by n/10 over the run
 * and the median of each quarter of the run is at least n/80 above the one before. Below 200
 * readings the noise (~40 pages either way) is as large as the thresholds: judged is false.
 */
struct drift {
	double rise;		/* the trend over the run */
	long long quarter[4];	/* medians of the quarters, less the first reading */
	bool judged, leaking;
};
void drift_judge(const long long *y, int n, struct drift *d);

/* The memory map of one memory block: its bytes, and those memmap_on_memory puts in the block. */
uint64_t block_memmap_bytes(void);
/*
 * With memory_hotplug.memmap_on_memory=1, hot-added blocks whose memmap is a whole number of
 * PMDs (4K pages: 2 MiB per 128 MiB block) carry it themselves (altmap) and it is never online:
 * block_memmap_bytes() then, 0 otherwise (parameter off, or 16K/64K pages: not a whole PMD).
 */
uint64_t block_memmap_on_memory_bytes(void);

/* Repeated hot-plug cycles (dimm-repeat, probe-repeat): times and per-cycle readings. */
/* Notes the median, minimum and maximum of @n cycle times. */
void note_cycle_times(const char *what, const double *seconds, int n);
/* Judges @n per-cycle readings of @what (pages) with drift_judge(); notes the figures. */
bool steady_over_cycles(const char *what, const long long *y, int n);
double seconds_since(const struct timespec *t0);
/* What must be back after the cycles: MemTotal, blocks, /proc/iomem, memmap, page tables. */
struct hp_state {
	struct mem_snapshot snap;
	long long memmap;	/* nr_memmap_pages */
	struct pgtables pt;
	long pt_pages[2];	/* pgtable_pages() of the linear map and the vmemmap */
};
bool hp_state_take(struct hp_state *s);
/* Notes both and returns true if @now is @start again (the page tables exactly). */
bool hp_state_same(const struct hp_state *start, const struct hp_state *now);
void hp_state_free(struct hp_state *s);
/* Per-cycle readings, after drop_caches(): unaccounted pages, SUnreclaim, PageTables. */
struct cycle_readings {
	int n;
	long long *unaccounted, *unreclaimable, *pagetables;
	bool kasan;	/* its quarantine keeps freed objects in their slabs: SUnreclaim grows */
};
void cycle_readings_init(struct cycle_readings *c, int cycles);
void cycle_readings_take(struct cycle_readings *c, struct reading *r);
/* steady_over_cycles() for the three series (SUnreclaim not under KASAN); true if none leaks. */
bool cycle_readings_steady(const struct cycle_readings *c);
/* After @n cycles: notes their @seconds, judges the readings' trend, compares with @start. */
bool cycles_verdict(const char *what, const double *seconds, int n,
		    const struct cycle_readings *c, const struct hp_state *start);
/*
 * Waits up to @timeout_ms until no kworker runs a work item of workqueue @wq (its name in
 * /proc/PID/stat is "kworker/...+WQ" while it does). E.g. "kacpi_hotplug": QEMU reports
 * DEVICE_DELETED at the guest's _EJ0, before the guest's eject has read _STA and sent _OST.
 */
bool wait_workqueue_idle(const char *wq, int timeout_ms);


#endif
