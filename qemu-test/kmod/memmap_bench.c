// SPDX-License-Identifier: GPL-2.0
/*
 * Harness module for make bench: maps and unmaps many 2 MiB ranges of device private memory on
 * command, so that the guest can time each step and read memblock between steps.
 * /sys/kernel/debug/memmap_bench takes
 *   "map NR STRIDE"     request NR * STRIDE bytes and map a 2 MiB range at each STRIDE
 *   "unmap FIRST STEP"  unmap the ranges FIRST, FIRST + STEP, ... that are mapped; once none
 *                       is left, the physical range is released for the next "map"
 * All ranges left are unmapped when the module is removed.
 */
#include <linux/debugfs.h>
#include <linux/ioport.h>
#include <linux/memory_hotplug.h>
#include <linux/memremap.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#define RANGE_SIZE	SZ_2M

static struct resource *region;
static struct dev_pagemap *pgmaps;
static unsigned long nr_ranges, nr_mapped;
static struct dentry *ctl;
static DEFINE_MUTEX(bench_lock);

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

static void unmap_ranges(unsigned long first, unsigned long step)
{
	unsigned long i;

	for (i = first; i < nr_ranges; i += step) {
		if (!pgmaps[i].nr_range)
			continue;
		memunmap_pages(&pgmaps[i]);
		pgmaps[i].nr_range = 0;
		nr_mapped--;
	}
}

static void release_all(void)
{
	unmap_ranges(0, 1);
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
	}
	mutex_unlock(&bench_lock);
	return ret ? ret : len;
}

static const struct file_operations ctl_fops = {
	.owner	= THIS_MODULE,
	.write	= ctl_write,
};

static int __init memmap_bench_init(void)
{
	ctl = debugfs_create_file("memmap_bench", 0200, NULL, NULL, &ctl_fops);
	return 0;
}

static void __exit memmap_bench_exit(void)
{
	debugfs_remove(ctl);
	release_all();
}

module_init(memmap_bench_init);
module_exit(memmap_bench_exit);
MODULE_DESCRIPTION("Map and unmap many 2 MiB device private ranges for make bench");
MODULE_LICENSE("GPL");
