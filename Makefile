# SPDX-License-Identifier: GPL-2.0
# Entry points of the patch-queue harness. Each target runs one script in
# scripts/; see README.md. Every knob is a variable:
#
#   ARCH=x86_64|arm64   target architecture (default x86_64)
#   TESTS="a b"         tests to run, by name from tests/$(ARCH).list
#   EXTRA="prog ..."    more static programs to run in the test VM
#   SHOW_OUTPUT=1       show test output while the VM runs
#   ARCHES="x86_64 arm64"  what 'make check' covers
#   FORCE=1             let 'make tree' discard unexported work
#   JOBS=N              parallel build jobs (default: all cores)

ARCH ?= x86_64
S := scripts

pass = $(foreach v,$(1),$(if $(filter-out undefined,$(origin $(v))),$(v)="$($(v))"))
VARS := ARCH=$(ARCH) $(call pass,TESTS EXTRA EXTRA_TIMEOUT SHOW_OUTPUT ARCHES FORCE JOBS BUILD)

.PHONY: help run check setup tree export lint kernel selftests vmtest unit build-each warnings clean

help:
	@sed -n 's/^## //p' $(firstword $(MAKEFILE_LIST))

## make run          build, boot the patched kernel, show its guest clocks (the main job)
run:
	@$(VARS) $(S)/run.sh

## make check        every test: lint, then kernel + selftests + VM tests on both arches
check:
	@$(VARS) $(S)/check.sh

## make setup        install the Debian packages and the pinned base (idempotent)
setup:
	@$(VARS) $(S)/setup.sh

## make tree         build/linux = base + patches/ as commits (FORCE=1 to discard work)
tree: setup
	@$(VARS) $(S)/tree.sh

## make export       write base..HEAD of build/linux back into patches/
export:
	@$(VARS) $(S)/export.sh

## make lint         the series applies to the base; checkpatch --strict on every patch
lint: setup
	@$(VARS) $(S)/lint.sh

## make kernel       build the patched kernel for ARCH
kernel: setup
	@$(VARS) $(S)/tree.sh --if-missing
	@$(VARS) $(S)/build-kernel.sh

## make selftests    build the KVM selftests (and harness programs) for ARCH
selftests: kernel
	@$(VARS) $(S)/build-selftests.sh

## make vmtest       boot the test VM for ARCH and run TESTS and EXTRA
vmtest: selftests
	@$(VARS) $(S)/vmtest.sh

## make unit        host-side unit tests + decoder fuzz of the clockmig library
unit: setup
	@$(VARS) $(S)/unit-test.sh

## make build-each  build the kernel at every patch of the series (bisectability)
build-each: setup
	@$(VARS) $(S)/build-each.sh

## make warnings    no new W=1 or sparse warnings in the C files the series touches
warnings: setup
	@$(VARS) $(S)/check-warnings.sh

## make clean        remove build outputs but keep build/linux and downloads
clean:
	rm -rf build/kernel-* build/headers-* build/selftests-* build/tools-* build/vm-* build/logs build/clockmig-unit
