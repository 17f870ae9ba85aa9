# SPDX-License-Identifier: GPL-2.0
# gdb script for make bench: single-step calls in the test VM's kernel
# through QEMU's gdbstub and write the address of every instruction each
# executes, one per line, to $TRACE_DIR/NAME.pcs.
#
#   TRACE_SOCKET  the gdbstub's Unix socket (vmtest.sh VM_GDB)
#   TRACE_SPECS   the calls, in the order the test makes them, separated
#                 by ";", each "NAME|LOCATION|SKIP[|END]": a gdb breakpoint
#                 location with its condition (e.g. "*kvm_arch_vm_ioctl if
#                 $esi == 0x4030ae7b"), how many hits to let pass first, so
#                 that the traced call runs on code and data the earlier
#                 ones warmed, and optionally a function END
#   TRACE_DIR     where to write
#
# A trace starts at the breakpoint, which must be a function's first
# instruction, and ends where that function returns to its caller, or with
# END, where the first call of END after the start returns. QEMU
# single-steps with interrupts and timers masked, so a trace is the call's
# own path. gdb exits with 1 if anything fails; at the end it detaches.
import os
import time
import gdb

MAX_STEPS = 200000


def connect(path):
    # vmtest.sh packs the initramfs before it starts QEMU.
    for _ in range(60):
        if os.path.exists(path):
            try:
                gdb.execute("target remote " + path)
                return
            except gdb.error:
                pass
        time.sleep(1)
    raise gdb.GdbError("no gdbstub at " + path)


def trace(name, location, skip, end=None):
    gdb.execute("hbreak " + location)
    for _ in range(skip + 1):
        gdb.execute("continue")
    gdb.execute("delete")
    sp = int(gdb.parse_and_eval("$rsp"))
    ret = int(gdb.parse_and_eval("*(unsigned long *)$rsp"))
    if end is not None:
        end = int(gdb.parse_and_eval("(unsigned long)&" + end))
        ret = sp = None
    pcs = []
    while len(pcs) < MAX_STEPS:
        pc = int(gdb.parse_and_eval("$pc"))
        if ret is None and pc < 0xffffffff80000000:
            raise gdb.GdbError("%s: back in user space before %#x" % (name, end))
        if ret is None and pc == end:
            sp = int(gdb.parse_and_eval("$rsp"))
            ret = int(gdb.parse_and_eval("*(unsigned long *)$rsp"))
        if pc == ret and int(gdb.parse_and_eval("$rsp")) > sp:
            break
        pcs.append(pc)
        gdb.execute("stepi", to_string=True)
    else:
        raise gdb.GdbError("%s: no return after %d instructions" % (name, MAX_STEPS))
    with open(os.path.join(os.environ["TRACE_DIR"], name + ".pcs"), "w") as f:
        f.writelines("%x\n" % pc for pc in pcs)


try:
    gdb.execute("set pagination off")
    gdb.execute("set confirm off")
    connect(os.environ["TRACE_SOCKET"])
    for spec in os.environ["TRACE_SPECS"].split(";"):
        name, location, skip, *end = spec.split("|")
        trace(name, location, int(skip), *end)
    gdb.execute("detach")
except Exception as e:  # gdb -batch exits 0 after a Python error
    print("ioctl-trace: %s" % e)
    gdb.execute("quit 1")
