# dpupool top-level Makefile.
#   make            modules + userspace
#   make modules    dpu.ko, dpu_sim.ko against the guest kernel's headers
#   make user       libdpu, dpuctl
#   make check      every test suite; ends with "N passed, N failed"
#   make demo       boot a guest with the simulated DPU and show it
#   make bench      benchmarks (README table)
#   make fuzz       the netlink fuzzer for FUZZ_SECONDS (600) on the debug kernel

SHELL := /bin/bash
KENV := $(shell scripts/kernel.sh --env 2>/dev/null)
KDIR ?= $(patsubst KDIR=%,%,$(filter KDIR=%,$(KENV)))
KSRC ?= $(patsubst KSRC=%,%,$(filter KSRC=%,$(KENV)))

.PHONY: all modules user deps kernel check demo bench clean kcheck \
	selftests unit kunit fuzz debug-kernel

all: modules user

deps:
	scripts/deps.sh

kernel:
	scripts/kernel.sh

modules:
	@test -n "$(KDIR)" || { echo "no kernel headers: run scripts/kernel.sh" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

# W=1 and sparse (C=2 checks every file, built or not)
kcheck:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 C=2 modules 2>&1 | tee build/kcheck.log
	@! grep -E 'warning:|error:' build/kcheck.log

user:
	$(MAKE) -C user

selftests: modules user
	$(MAKE) -C tools/testing/selftests/dpu KSRC=$(KSRC)

check:
	scripts/check.sh

demo:
	scripts/demo.sh

FUZZ_SECONDS ?= 600
fuzz: modules user selftests
	scripts/debug-kernel.sh
	scripts/vm --debug-kernel -t $$(( $(FUZZ_SECONDS) + 600 )) -- \
		tools/testing/selftests/dpu/dpu_fuzz -t $(FUZZ_SECONDS) $(if $(SEED),-s $(SEED))

debug-kernel:
	scripts/debug-kernel.sh

bench:
	scripts/bench.sh
	scripts/bench-provider.sh
	scripts/bench-dpud.sh
	scripts/bench-pci.sh
	scripts/bench-qos.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C user clean
	-$(MAKE) -C tools/testing/selftests/dpu clean KSRC=$(KSRC)
	rm -rf build
