# SPDX-License-Identifier: GPL-2.0
# Read by make after tools/testing/selftests/kvm/Makefile of the patched tree
# (make -f Makefile -f programs.mk), so the harness's programs are built with
# exactly the selftests' flags and linked with their library (kvm_util).
# Works with both bases' selftests (6.12's Makefile, 7.3's Makefile.kvm):
# both define LIBKVM_OBJS and GEN_HDRS.
#
# Needs HARNESS_SRC (this directory) and HARNESS_OUT (where binaries go).
# scripts/build-selftests.sh builds each program on its own: one that does
# not compile against a base (uAPI the queue lacks) is skipped there.

HARNESS_PROGS := clockinfo clockmig_demo kunit-results clock-bench clock_fuzz
HARNESS_BINS := $(patsubst %,$(HARNESS_OUT)/%,$(HARNESS_PROGS))

# The VMM-side library (clockmig/ in the project), linked into the demo;
# its clockmig_uapi.h gives every program the series' uAPI on older headers.
CLOCKMIG_DIR := $(HARNESS_SRC)/../clockmig
CLOCKMIG_SRCS := $(wildcard $(CLOCKMIG_DIR)/*.c)

$(shell mkdir -p $(HARNESS_OUT))

$(HARNESS_OUT)/%: $(HARNESS_SRC)/%.c $(CLOCKMIG_DIR)/clockmig_uapi.h $(LIBKVM_OBJS) $(GEN_HDRS)
	$(CC) $(CFLAGS) -I$(CLOCKMIG_DIR) $(CPPFLAGS) $(LDFLAGS) $(TARGET_ARCH) $< \
		$(LIBKVM_OBJS) $(LDLIBS) -o $@

$(HARNESS_OUT)/clockmig_demo: $(HARNESS_SRC)/clockmig_demo.c $(CLOCKMIG_SRCS) \
		$(wildcard $(CLOCKMIG_DIR)/*.h) $(LIBKVM_OBJS) $(GEN_HDRS)
	$(CC) $(CFLAGS) -I$(CLOCKMIG_DIR) $(CPPFLAGS) $(LDFLAGS) $(TARGET_ARCH) $< \
		$(CLOCKMIG_SRCS) $(LIBKVM_OBJS) $(LDLIBS) -o $@

harness-programs: $(HARNESS_BINS)
print-harness-programs:
	@echo $(HARNESS_PROGS)
.PHONY: harness-programs print-harness-programs

# make regress: every KVM selftest of the tree for the arch, as paths
# relative to the selftests build (x86/amx_test, steal_time, ...).
print-kvm-selftests:
	@echo $(patsubst $(OUTPUT)/%,%,$(TEST_GEN_PROGS))
.PHONY: print-kvm-selftests
