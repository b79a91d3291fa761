# dpupool top-level Makefile.
#   make            modules + userspace
#   make modules    dpu.ko, dpu_sim.ko against the guest kernel's headers
#   make user       libdpu, dpuctl
#   make check      every test suite; ends with "N passed, N failed"
#   make demo       boot a guest with the simulated DPU and show it
#   make bench      benchmarks (README table)
#   make fuzz       the netlink fuzzer for FUZZ_SECONDS (600) on the debug kernel
#   make deb        Debian packages into build/deb (dpkg-buildpackage)
#   make rpm        RPM packages into build/rpm (rpmbuild)
#   make install    userspace, units, config and man pages into DESTDIR
#                   (install-dkms-src: the module sources for DKMS)

SHELL := /bin/bash
VERSION := $(shell cat VERSION)
# looked up only by targets that need the kernel (not by packaging)
KENV = $(shell scripts/kernel.sh --env 2>/dev/null)
KDIR ?= $(patsubst KDIR=%,%,$(filter KDIR=%,$(KENV)))
KSRC ?= $(patsubst KSRC=%,%,$(filter KSRC=%,$(KENV)))

.PHONY: all modules user deps kernel check demo bench clean kcheck \
	selftests unit kunit fuzz debug-kernel deb rpm install install-user \
	install-dist install-dkms-src

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
	scripts/bench-niclim.sh

deb:
	scripts/package.sh deb

rpm:
	scripts/package.sh rpm

# ------------------------------------------------------------- install
DESTDIR ?=
PREFIX ?= /usr
SYSCONFDIR ?= /etc
UNITDIR ?= /lib/systemd/system
DOCDIR ?= $(PREFIX)/share/doc
MANDIR ?= $(PREFIX)/share/man

install: install-user install-dist

install-user:
	$(MAKE) -C user install PREFIX=$(PREFIX)

# units, the default config, modprobe and modules-load snippets, man pages
install-dist:
	install -D -m 0644 dist/systemd/dpud.service $(DESTDIR)$(UNITDIR)/dpud.service
	install -D -m 0644 dist/systemd/dpu-provider.service $(DESTDIR)$(UNITDIR)/dpu-provider.service
	install -D -m 0644 user/dpud/dpud.conf.example $(DESTDIR)$(SYSCONFDIR)/dpupool/dpud.conf
	install -D -m 0644 dist/desired.d/README $(DESTDIR)$(SYSCONFDIR)/dpupool/desired.d/README
	install -D -m 0644 dist/modprobe.d/dpupool.conf $(DESTDIR)$(SYSCONFDIR)/modprobe.d/dpupool.conf
	install -D -m 0644 dist/modules-load.d/dpupool.conf $(DESTDIR)$(SYSCONFDIR)/modules-load.d/dpupool.conf
	install -D -m 0644 user/provider/provider.conf.example \
		$(DESTDIR)$(DOCDIR)/dpu-provider/examples/provider.conf
	for m in dpuctl dpud dpu-provider; do \
		install -D -m 0644 Documentation/man/$$m.8 $(DESTDIR)$(MANDIR)/man8/$$m.8 || exit 1; \
	done

# what DKMS builds from: the Kbuild tree, the uapi headers, VERSION
DKMS_SRCS = Kbuild VERSION kmod/Kbuild $(wildcard kmod/*/Kbuild) \
	$(filter-out %.mod.c,$(wildcard kmod/dpu/*.[ch] kmod/dpu_sim/*.[ch] kmod/dpu_pci/*.[ch])) \
	include/uapi/linux/dpu.h include/uapi/linux/dpu_pci.h
install-dkms-src:
	for f in $(DKMS_SRCS); do \
		install -D -m 0644 $$f $(DESTDIR)/usr/src/dpupool-$(VERSION)/$$f || exit 1; \
	done

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C user clean
	-$(MAKE) -C tools/testing/selftests/dpu clean KSRC=$(KSRC)
	rm -rf build
