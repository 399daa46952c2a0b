// SPDX-License-Identifier: GPL-2.0
/*
 * Harness module for make bench and the memunmap-refs test: maps and unmaps many 2 MiB ranges
 * of device private memory on command, so that the guest can time each step and read memblock
 * between steps, and holds references to their pagemaps across an unmap.
 * /sys/kernel/debug/memmap_bench takes
 *   "map NR STRIDE"     request NR * STRIDE bytes and map a 2 MiB range at each STRIDE
 *   "unmap FIRST STEP"  unmap the ranges FIRST, FIRST + STEP, ... that are mapped; once none
 *                       is left, the physical range is released for the next "map"
 *   "pin I MS"          take a reference to range I's pagemap; a thread waits for the pagemap
 *                       to be killed, holds the reference MS ms more, checks that no new one
 *                       is granted and drops it
 *   "hammer ON 0"       ON=1: a thread per online CPU takes and drops references to every
 *                       range, mapped or not, and between any two of them to the range being
 *                       unmapped, until "hammer 0 0" or the last unmap
 *   "reader I MS"       unmap range I while another CPU stays MS ms in an RCU read-side
 *                       section that saw its reference live (where percpu_ref_tryget_live()
 *                       could still take one), and note whether the pagemap was released
 *                       before the section ended
 *   "gp N EXPEDITED"    wait for N RCU grace periods, expedited ones if EXPEDITED is 1: what
 *                       the guest times them at is the bench's measure of a grace period
 * and reads back "pin_killed=K pin_refused=R unmap_after_drop=A hammer_refs=N
 * held_after_unmap=H reader_live=L reader_saw_release=E": for the last pin, whether its pagemap
 * was killed while it held it, whether the reference asked for then was refused, and whether
 * the unmap returned only after the pin was dropped; the references the last hammer got, and
 * how many unmaps returned while it held a reference to the range; for the last reader,
 * whether it saw the reference live and the release inside its section. All ranges left are
 * unmapped when the module is removed.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/ioport.h>
#include <linux/kthread.h>
#include <linux/memory_hotplug.h>
#include <linux/memremap.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#define RANGE_SIZE	SZ_2M

#define PIN_KILL_TIMEOUT_MS	10000
#define READER_MAX_MS		500

static struct resource *region;
static struct dev_pagemap *pgmaps;
static unsigned long nr_ranges, nr_mapped, range_stride;
static struct dentry *ctl;
static DEFINE_MUTEX(bench_lock);

static struct {
	struct dev_pagemap *pgmap;
	unsigned long pfn;
	unsigned int hold_ms;
	bool killed, refused;
	ktime_t dropped;
	struct task_struct *thread;
} pin;
static ktime_t unmap_done;

static struct {
	struct dev_pagemap *pgmap;
	unsigned long hold_ms;
	bool live, saw_release;
	struct completion entered;
} reader;

static struct task_struct **hammers;
static atomic_long_t hammer_refs;
static unsigned long hammer_target = ULONG_MAX;	/* the range being unmapped */
static atomic_t *hammer_held;			/* per range: references the hammer holds */
static atomic_long_t held_after_unmap;

static void bench_page_free(struct page *page)
{
}

static vm_fault_t bench_migrate_to_ram(struct vm_fault *vmf)
{
	return VM_FAULT_SIGBUS;
}

static const struct dev_pagemap_ops bench_ops = {
	.page_free	= bench_page_free,
	.migrate_to_ram	= bench_migrate_to_ram,
};

static unsigned long range_pfn(unsigned long i)
{
	return PHYS_PFN(region->start + i * range_stride);
}

static unsigned long hammer_ref(unsigned long i)
{
	struct dev_pagemap *pgmap;

	if (i >= nr_ranges)
		return 0;
	pgmap = get_dev_pagemap(range_pfn(i), NULL);
	if (!pgmap)
		return 0;
	atomic_inc(&hammer_held[i]);
	atomic_dec(&hammer_held[i]);
	put_dev_pagemap(pgmap);
	return 1;
}

static int hammer_fn(void *unused)
{
	unsigned long i, refs = 0;

	while (!kthread_should_stop()) {
		for (i = 0; i < nr_ranges; i++) {
			refs += hammer_ref(i);
			refs += hammer_ref(READ_ONCE(hammer_target));
		}
		cond_resched();
	}
	atomic_long_add(refs, &hammer_refs);
	return 0;
}

static void hammer_stop(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		if (hammers && hammers[cpu])
			kthread_stop(hammers[cpu]);
	kfree(hammers);
	hammers = NULL;
	kfree(hammer_held);
	hammer_held = NULL;
}

static int hammer_start(void)
{
	unsigned int cpu;

	if (hammers || !nr_mapped)
		return -EINVAL;
	hammers = kcalloc(nr_cpu_ids, sizeof(*hammers), GFP_KERNEL);
	hammer_held = kcalloc(nr_ranges, sizeof(*hammer_held), GFP_KERNEL);
	if (!hammers || !hammer_held) {
		hammer_stop();
		return -ENOMEM;
	}
	atomic_long_set(&hammer_refs, 0);
	atomic_long_set(&held_after_unmap, 0);
	for_each_online_cpu(cpu) {
		struct task_struct *t = kthread_create_on_cpu(hammer_fn, NULL, cpu,
							      "memmap_hammer/%u");

		if (IS_ERR(t)) {
			hammer_stop();
			return PTR_ERR(t);
		}
		hammers[cpu] = t;
		wake_up_process(t);
	}
	return 0;
}

static int pin_fn(void *unused)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(PIN_KILL_TIMEOUT_MS);
	struct dev_pagemap *again;

	while (!percpu_ref_is_dying(&pin.pgmap->ref) && time_before(jiffies, deadline) &&
	       !kthread_should_stop())
		usleep_range(1000, 2000);
	pin.killed = percpu_ref_is_dying(&pin.pgmap->ref);
	msleep(pin.hold_ms);
	again = get_dev_pagemap(pin.pfn, NULL);
	pin.refused = !again;
	if (again)
		put_dev_pagemap(again);
	pin.dropped = ktime_get();
	put_dev_pagemap(pin.pgmap);
	return 0;
}

static int pin_range(unsigned long i, unsigned long hold_ms)
{
	struct task_struct *t;

	if (i >= nr_ranges || !pgmaps[i].nr_range || pin.pgmap)
		return -EINVAL;
	pin.pfn = range_pfn(i);
	pin.pgmap = get_dev_pagemap(pin.pfn, NULL);
	if (pin.pgmap != &pgmaps[i]) {
		if (pin.pgmap)
			put_dev_pagemap(pin.pgmap);
		pin.pgmap = NULL;
		return -ENXIO;
	}
	pin.hold_ms = hold_ms;
	pin.killed = false;
	pin.refused = false;
	t = kthread_run(pin_fn, NULL, "memmap_pin");
	if (IS_ERR(t)) {
		put_dev_pagemap(pin.pgmap);
		pin.pgmap = NULL;
		return PTR_ERR(t);
	}
	get_task_struct(t);
	pin.thread = t;
	return 0;
}

/* Waits for the last pin's thread: a pin's outcome is known once its unmap has returned. */
static void pin_reap(void)
{
	if (!pin.thread)
		return;
	kthread_stop(pin.thread);
	put_task_struct(pin.thread);
	pin.thread = NULL;
	pin.pgmap = NULL;
}

static void unmap_ranges(unsigned long first, unsigned long step)
{
	unsigned long i;

	for (i = first; i < nr_ranges; i += step) {
		if (!pgmaps[i].nr_range)
			continue;
		WRITE_ONCE(hammer_target, i);
		memunmap_pages(&pgmaps[i]);
		/* memunmap_pages() waits for every reference: none may be left */
		if (hammer_held && atomic_read(&hammer_held[i]))
			atomic_long_inc(&held_after_unmap);
		pgmaps[i].nr_range = 0;
		nr_mapped--;
	}
	WRITE_ONCE(hammer_target, ULONG_MAX);
	unmap_done = ktime_get();
}

static int reader_fn(void *unused)
{
	rcu_read_lock();
	reader.live = !percpu_ref_is_dying(&reader.pgmap->ref);
	complete(&reader.entered);
	mdelay(reader.hold_ms);
	/* not completion_done(&done): the unmap's wait may have taken the completion already */
	reader.saw_release = percpu_ref_is_zero(&reader.pgmap->ref);
	rcu_read_unlock();
	return 0;
}

static int unmap_under_reader(unsigned long i, unsigned long hold_ms)
{
	struct task_struct *t;
	unsigned int cpu;

	if (i >= nr_ranges || !pgmaps[i].nr_range || !hold_ms || hold_ms > READER_MAX_MS)
		return -EINVAL;
	/* the unmap stays on this CPU, the reader holds the other one */
	migrate_disable();
	cpu = cpumask_any_but(cpu_online_mask, smp_processor_id());
	if (cpu >= nr_cpu_ids) {
		migrate_enable();
		return -ENODEV;
	}
	reader.pgmap = &pgmaps[i];
	reader.hold_ms = hold_ms;
	reader.live = false;
	reader.saw_release = false;
	init_completion(&reader.entered);
	t = kthread_create_on_cpu(reader_fn, NULL, cpu, "memmap_reader/%u");
	if (IS_ERR(t)) {
		migrate_enable();
		return PTR_ERR(t);
	}
	get_task_struct(t);
	wake_up_process(t);
	wait_for_completion(&reader.entered);
	unmap_ranges(i, nr_ranges);
	migrate_enable();
	kthread_stop(t);
	put_task_struct(t);
	return 0;
}

static void release_all(void)
{
	hammer_stop();
	unmap_ranges(0, 1);
	pin_reap();
	kvfree(pgmaps);
	pgmaps = NULL;
	if (region)
		release_mem_region(region->start, resource_size(region));
	region = NULL;
	nr_ranges = 0;
}

/*
 * The highest free, section-aligned physical range that hotplug allows and the memory map can
 * describe; not request_free_mem_region(): with 64K pages the baseline's goes past
 * MAX_PHYSMEM_BITS.
 */
static struct resource *request_below_physmem_end(u64 size)
{
	struct range pluggable = mhp_get_pluggable_range(false);
	u64 end = min_t(u64, pluggable.end + 1, 1ULL << MAX_PHYSMEM_BITS);
	u64 section = 1ULL << PA_SECTION_SHIFT;
	u64 addr = ALIGN_DOWN(end - size, section);
	struct resource *res = NULL;

	for (; addr >= section && !res; addr -= section)
		res = request_mem_region(addr, size, "memmap-bench");
	return res;
}

static int map_ranges(unsigned long nr, unsigned long stride)
{
	unsigned long i;

	if (region || !nr || stride < RANGE_SIZE || stride % RANGE_SIZE)
		return -EINVAL;
	pgmaps = kvcalloc(nr, sizeof(*pgmaps), GFP_KERNEL);
	if (!pgmaps)
		return -ENOMEM;
	region = request_below_physmem_end(nr * stride);
	if (!region) {
		kvfree(pgmaps);
		pgmaps = NULL;
		return -EBUSY;
	}
	nr_ranges = nr;
	range_stride = stride;
	for (i = 0; i < nr; i++) {
		struct dev_pagemap *pgmap = &pgmaps[i];
		void *addr;

		pgmap->type = MEMORY_DEVICE_PRIVATE;
		pgmap->range.start = region->start + i * stride;
		pgmap->range.end = pgmap->range.start + RANGE_SIZE - 1;
		pgmap->nr_range = 1;
		pgmap->ops = &bench_ops;
		pgmap->owner = &pgmaps;
		addr = memremap_pages(pgmap, NUMA_NO_NODE);
		if (IS_ERR(addr)) {
			pgmap->nr_range = 0;
			release_all();
			return PTR_ERR(addr);
		}
		nr_mapped++;
	}
	return 0;
}

static ssize_t ctl_write(struct file *file, const char __user *ubuf, size_t len, loff_t *ppos)
{
	unsigned long a, b;
	char buf[64], cmd[8];
	int ret = -EINVAL;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (sscanf(buf, "%7s %lu %lu", cmd, &a, &b) != 3)
		return -EINVAL;
	mutex_lock(&bench_lock);
	if (!strcmp(cmd, "map")) {
		ret = map_ranges(a, b);
	} else if (!strcmp(cmd, "unmap") && b) {
		unmap_ranges(a, b);
		if (!nr_mapped)
			release_all();
		ret = 0;
	} else if (!strcmp(cmd, "pin") && region) {
		pin_reap();
		ret = pin_range(a, b);
	} else if (!strcmp(cmd, "reader") && region) {
		ret = unmap_under_reader(a, b);
		if (!ret && !nr_mapped)
			release_all();
	} else if (!strcmp(cmd, "gp") && b <= 1) {
		for (; a; a--) {
			if (b)
				synchronize_rcu_expedited();
			else
				synchronize_rcu();
		}
		ret = 0;
	} else if (!strcmp(cmd, "hammer") && region) {
		if (a) {
			ret = hammer_start();
		} else {
			hammer_stop();
			ret = 0;
		}
	}
	mutex_unlock(&bench_lock);
	return ret ? ret : len;
}

static ssize_t ctl_read(struct file *file, char __user *ubuf, size_t len, loff_t *ppos)
{
	char buf[192];
	int n;

	mutex_lock(&bench_lock);
	pin_reap();
	n = scnprintf(buf, sizeof(buf),
		      "pin_killed=%d pin_refused=%d unmap_after_drop=%d hammer_refs=%ld held_after_unmap=%ld reader_live=%d reader_saw_release=%d\n",
		      pin.killed, pin.refused, ktime_after(unmap_done, pin.dropped),
		      atomic_long_read(&hammer_refs), atomic_long_read(&held_after_unmap),
		      reader.live, reader.saw_release);
	mutex_unlock(&bench_lock);
	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations ctl_fops = {
	.owner	= THIS_MODULE,
	.write	= ctl_write,
	.read	= ctl_read,
};

static int __init memmap_bench_init(void)
{
	ctl = debugfs_create_file("memmap_bench", 0600, NULL, NULL, &ctl_fops);
	return 0;
}

static void __exit memmap_bench_exit(void)
{
	debugfs_remove(ctl);
	release_all();
}

module_init(memmap_bench_init);
module_exit(memmap_bench_exit);
MODULE_DESCRIPTION("Map, unmap and pin many 2 MiB device private ranges for make bench and tests");
MODULE_LICENSE("GPL");
