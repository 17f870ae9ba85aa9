# SPDX-License-Identifier: GPL-2.0
# Entry points of the patch-queue harness. Each target runs one script in
# scripts/; see README.md. Every knob is a variable:
#
#   BASE=7.3|6.12       kernel base and its queue: 7.3 = patches/upstream-7.3
#                       (default), 6.12 = patches/backport-6.12 (bases/*.pin)
#   ARCH=x86_64|arm64   target architecture (default x86_64)
#   TESTS="a b"         tests to run, by name from tests/$(BASE)/$(ARCH).list
#   EXTRA="prog ..."    more static programs to run in the test VM
#   SHOW_OUTPUT=1       show test output while the VM runs
#   BASES="7.3 6.12"    what 'make check' and 'make setup' cover
#   ARCHES="x86_64 arm64"  what 'make check' and 'make build-each' cover
#   FORCE=1             let 'make tree' discard unexported work
#   JOBS=N              parallel build jobs (default: all cores)
#   UNPATCHED=1         'make kernel': the bare base, without the queue
#                       (build/$BASE/unpatched/), as 'make regress' uses it
#   REGRESS_TIMEOUT=N   'make regress': per-test timeout (default 60 s)
#   REGRESS_RERUNS=N    'make regress': reruns of a test whose result differs (default 1)
#   REGRESS_LIST=FILE   'make regress': only the tests FILE names
#   BENCH_BASES="7.3"   the bases whose cost figures (make bench, x86_64)
#                       'make check' prints; "" for none
#   BENCH_ROUNDS=N      'make bench': rounds of four timed boots (default 2;
#                       1 in 'make check')
#   BENCH_ICOUNT=0      'make bench': skip the instruction counts (-icount)
#   BENCH_TRACE=0       'make bench': skip single-stepping the two calls in gdb
#   DEBUG=1             the debug kernel (configs/debug.config: KASAN, UBSAN,
#                       ...) in its own build/$BASE/kernel-$ARCH-debug and
#                       vm-$ARCH-debug; 'make kernel/vmtest DEBUG=1'

BASE ?= 7.3
ARCH ?= x86_64
S := scripts

pass = $(foreach v,$(1),$(if $(filter-out undefined,$(origin $(v))),$(v)="$($(v))"))
VARS := BASE=$(BASE) ARCH=$(ARCH) $(call pass,TESTS EXTRA EXTRA_TIMEOUT SHOW_OUTPUT BASES ARCHES \
	FORCE JOBS BUILD CLOCKSOURCE_TIMEOUT USE_INSTALLED DEBIAN_MIRROR DEBIAN_SECURITY_MIRROR \
	UNPATCHED REGRESS_TIMEOUT REGRESS_RERUNS REGRESS_LIST DEBUG DEBUG_TIMEOUT_FACTOR \
	BENCH_BASES BENCH_ROUNDS BENCH_ICOUNT BENCH_TRACE E2E_RUNS E2E_VARIANTS E2E_BASE_KERNEL E2E_CHECK \
	E2E_GUEST QEMU_CHECK QEMU_ARCHES RUN_QEMU)

.PHONY: help run check setup tree export lint kernel selftests vmtest unit build-each warnings \
	regress bench check-debug docs clean qemu qemu-tree qemu-export qemu-lint qemu-e2e

help:
	@sed -n 's/^## //p' $(firstword $(MAKEFILE_LIST))

## make run          build, boot the patched kernel (BASE=7.3), show its guest clocks
run:
	@$(VARS) $(S)/run.sh

## make check        every test on both bases and both arches (BASES, ARCHES)
check:
	@$(VARS) $(S)/check.sh

## make setup        install the Debian packages and the pinned bases (idempotent)
setup:
	@$(VARS) $(S)/setup.sh

## make tree         build/$BASE/linux = base + patches/<queue> as commits (FORCE=1 to discard work)
tree:
	@BASES=$(BASE) $(VARS) $(S)/setup.sh
	@$(VARS) $(S)/tree.sh

## make export       write base..HEAD of build/$BASE/linux back into patches/<queue>
export:
	@$(VARS) $(S)/export.sh

## make lint         the queue applies (git am), checkpatch --strict, MAINTAINERS, one uAPI
lint: setup
	@$(VARS) $(S)/lint.sh

## make kernel       build the patched kernel of BASE for ARCH
kernel:
	@BASES=$(BASE) $(VARS) $(S)/setup.sh
	@$(VARS) UNPATCHED=0 $(S)/tree.sh --if-missing
	@$(VARS) $(S)/build-kernel.sh

## make selftests    build the KVM selftests (and harness programs) of BASE for ARCH
selftests: kernel
	@$(VARS) $(S)/build-selftests.sh

## make vmtest       boot the test VM of BASE for ARCH and run TESTS and EXTRA
vmtest: selftests
	@$(VARS) $(S)/vmtest.sh

## make regress      every KVM selftest on the unpatched base and the series kernel (BASE, ARCH)
regress:
	@BASES=$(BASE) $(VARS) $(S)/setup.sh
	@$(VARS) UNPATCHED=0 $(S)/tree.sh --if-missing
	@$(VARS) $(S)/regress.sh

## make bench        clock-bench on the unpatched base and the series kernel, one run: cost ratios (x86_64)
bench:
	@BASES=$(BASE) $(VARS) $(S)/setup.sh
	@$(VARS) UNPATCHED=0 $(S)/tree.sh --if-missing
	@$(VARS) $(S)/bench.sh

## make check-debug  the debug kernel (KASAN, UBSAN, lockdep, ...): the listed tests (ARCHES=x86_64)
check-debug:
	@BASES=$(BASE) $(VARS) $(S)/setup.sh
	@$(VARS) UNPATCHED=0 $(S)/tree.sh --if-missing
	@$(VARS) $(S)/check-debug.sh

## make docs         htmldocs SPHINXDIRS=virt and kernel-doc: no new warnings from the series
docs: setup
	@$(VARS) $(S)/docs.sh

## make unit         host-side unit tests + decoder fuzz of the clockmig library
unit:
	@BASES=$(BASE) $(VARS) $(S)/setup.sh
	@$(VARS) $(S)/unit-test.sh

## make build-each   build the kernel of BASE at every patch of its queue (bisectability)
build-each:
	@BASES=$(BASE) $(VARS) $(S)/setup.sh
	@$(VARS) $(S)/build-each.sh

## make warnings     no new W=1 or sparse warnings in the C files BASE's queue touches
warnings:
	@BASES=$(BASE) $(VARS) $(S)/setup.sh
	@$(VARS) $(S)/check-warnings.sh

## make qemu         static x86_64 QEMU, stock and with patches/qemu (build/qemu/bin/)
qemu:
	@$(VARS) $(S)/qemu.sh all

## make qemu-e2e    stock and patched QEMU migrate a guest inside the test VM (ARCH=x86_64 or arm64; E2E_CHECK=1: bounds)
qemu-e2e:
	@$(VARS) $(S)/qemu-e2e.sh

## make qemu-tree    build/qemu/src = Debian's qemu source + patches/qemu as commits (FORCE=1)
qemu-tree:
	@$(VARS) $(S)/qemu.sh tree

## make qemu-export  write base..HEAD of build/qemu/src back into patches/qemu
qemu-export:
	@$(VARS) $(S)/qemu.sh export

## make qemu-lint    QEMU's scripts/checkpatch.pl on every patch of patches/qemu
qemu-lint:
	@$(VARS) $(S)/qemu.sh lint

## make clean        remove build outputs but keep the kernel trees and downloads
clean:
	rm -rf $(foreach b,7.3 6.12,build/$(b)/kernel-* build/$(b)/headers-* build/$(b)/selftests-* \
		build/$(b)/tools-* build/$(b)/vm-* build/$(b)/logs build/$(b)/clockmig-unit build/$(b)/run-* \
		build/$(b)/regress-* build/$(b)/unpatched/kernel-* build/$(b)/unpatched/headers-* \
		build/$(b)/docs-*) \
		build/logs
