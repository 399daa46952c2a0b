# arm64 memory hot-add / hot-remove series for Linux 6.12: build, boot and test under QEMU.
#   make run      the demo: build the patched kernel, hot-add and hot-remove two DIMMs
#   make check    what CI runs: series applies, checkpatch, per-patch builds, QEMU tests
#   make check-full  every scenario on every page size (see Documentation/testing.md)
#   make bench    hot-plug latency against size per path, removal times, device memory loop,
#                 patched vs baseline in one run (BENCH="removal memmap latency")
# See README.md. Everything built goes under build/.

KERNEL ?= patched
PAGE ?= 4k
SCENARIO ?= dimm
SH = sh

.PHONY: all deps tree kernels guest run check check-full bench shell export clean help

all: help

help:
	@sed -n 's/^#   //p' Makefile
	@echo "  other targets: deps tree kernels guest shell export clean"
	@echo "  variables: KERNEL=patched|baseline PAGE=4k|16k|64k|x86_64 SCENARIO=<qemu-test/scenarios name>"
	@echo "             KERNEL_SRC=<6.12.y tree or tarball>  PAGE_SIZES='4k 16k 64k' DEBUG=1 (check)"

deps:
	@$(SH) scripts/deps.sh

tree: deps
	@$(SH) scripts/apply-series.sh

kernels: tree
	@$(SH) scripts/build-kernel.sh $(KERNEL)-$(PAGE)

guest: tree
	@$(SH) scripts/build-guest.sh

run: deps
	@KERNEL=$(KERNEL) PAGE=$(PAGE) $(SH) scripts/run-demo.sh

check: deps
	@$(SH) scripts/check.sh

check-full: deps
	@FULL=1 $(SH) scripts/check.sh

bench: deps
	@$(SH) scripts/bench.sh

shell: kernels guest
	@python3 scripts/qemu.py --shell --kernel $(KERNEL)-$(PAGE) \
		--scenario qemu-test/scenarios/$(SCENARIO).conf

export:
	@$(SH) scripts/export-series.sh

clean:
	rm -rf build/out build/runs build/guest build/logs build/bench
