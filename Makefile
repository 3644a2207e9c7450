# SPDX-License-Identifier: GPL-2.0
#
# sipk - in-kernel SIP fast-path proxy.
#
#   make            build sipk.ko and the userspace tools
#   make check      install what is missing, build, run the whole test suite
#   make demo       boot a VM, load sipk.ko, route SIPp calls, show counters
#   make fuzz       fuzz the SIP core (FUZZ_SECONDS=N, default: until stopped)
#   make bench      the benchmark (bench/)
#   make style      checkpatch --strict over kmod/
#   make sparse     sparse (C=1) over kmod/
#   make deps       install the Debian packages everything needs

TOP := $(CURDIR)
BUILD := $(TOP)/build
export TOP BUILD

# The kernel to build against: the running one when its build tree is
# there, else the newest Debian linux-headers-*-amd64.
KDIR ?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then \
	echo /lib/modules/$$(uname -r)/build; else \
	ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1; fi)
export KDIR

.PHONY: all kmod userspace check deps demo fuzz bench style sparse clean

all: kmod userspace

kmod:
	@test -n "$(KDIR)" || { echo "no kernel build tree: run 'make deps'" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP)/kmod W=1 modules
	@# modpost's generated sipk.mod.c is compiled by now; kmod/ keeps
	@# only our sources (checkpatch and sparse look at kmod/*.c), and
	@# modpost writes it again on the next build
	rm -f $(TOP)/kmod/*.mod.c

userspace:
	$(MAKE) -C userspace

deps:
	bash scripts/deps.sh

check: deps
	$(MAKE) all
	$(MAKE) -C bench
	$(MAKE) -C tests
	bash tests/run.sh

demo: deps
	$(MAKE) all
	bash tests/demo.sh

fuzz: userspace
	$(MAKE) -C tests fuzz
	bash tests/fuzz/run.sh $(FUZZ_SECONDS)

bench: deps
	$(MAKE) all
	bash bench/run.sh

style:
	cp=$$(ls /usr/src/linux-source-*/scripts/checkpatch.pl 2>/dev/null | head -n 1); \
	test -n "$$cp" || { echo "checkpatch.pl not found: run 'make deps'" >&2; exit 1; }; \
	$$cp --strict --no-tree --terse -f $$(ls kmod/*.[ch] | grep -v '\.mod\.c$$') include/uapi/linux/*.h

sparse:
	$(MAKE) -C $(KDIR) M=$(TOP)/kmod C=2 W=1 modules
	rm -f $(TOP)/kmod/*.mod.c

clean:
	-$(MAKE) -C $(KDIR) M=$(TOP)/kmod clean
	rm -rf $(BUILD)
