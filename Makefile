# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree build of the WireGuard module (the kbuild side is in Kbuild).
#
#   make [KVER=...|KDIR=...]   build drivers/net/wg/wireguard.ko
#   make install               install it under /lib/modules/KVER/updates
#   make clean
#   make modules-all           build for every supported kernel (W=1, warnings fail)
#   make ynl-check             are drivers/net/wg/netlink-gen.[ch] what the YNL
#                              spec generates? (make check runs it too)
#   make ynl-regen             regenerate them after changing the spec
#   make check                 build for every supported kernel and run the
#                              selftests in a VM per kernel (selftests/check.sh;
#                              WG_KERNELS=6.1 WG_TESTS=10-config narrow it down)

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build

default: all

all: modules

modules: kdir-exists
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

install: kdir-exists
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install
	depmod -a $(shell cat $(KDIR)/include/config/kernel.release)

clean:
	if [ -d $(KDIR) ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; else \
		find . -path ./build -prune -o \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
			-o -name '*.mod.c' -o -name '.*.cmd' -o -name modules.order \
			-o -name Module.symvers \) -type f -print0 | xargs -0r rm -f; fi
	rm -rf build

kdir-exists:
	@test -d $(KDIR) || { echo "No kernel build tree at $(KDIR); set KVER= or KDIR=" \
		"(installed: $(patsubst /lib/modules/%/build,%,$(wildcard /lib/modules/*/build)))" >&2; exit 1; }

check:
	@selftests/check.sh

modules-all:
	@selftests/check.sh --build-only --no-apt

# The kernel's YNL generator (Debian's linux-source-6.12, cached outside the
# tree by selftests/tools/ynl.sh) on Documentation/netlink/specs/wireguard.yaml.
ynl-check:
	@selftests/tools/ynl.sh check

ynl-regen:
	@selftests/tools/ynl.sh regen

# The newest installed 6.12 kernel (the demo and benchmarks need just one).
DEMO_KVER = $(lastword $(sort $(patsubst /lib/modules/%/build,%,$(wildcard /lib/modules/6.12*/build))))

demo:
	WG_KERNELS=6.12 selftests/check.sh --build-only
	selftests/vm/run.sh --kernel $(DEMO_KVER) \
		--module build/$(DEMO_KVER)/drivers/net/wg/wireguard.ko -- selftests/demo/demo.sh

# Benchmarks: our module against the kernel's own wireguard in the same VM
# boot, as ratios (selftests/bench/bench.sh; README "Benchmarks").
#   make bench            data path on 6.12 then 6.1 (veth and loopback)
#   make bench-scale      configuration at scale on 6.12
#   make bench-scale-1m   1000000 peers, ours only, an 8 GiB VM
# Narrowed: WG_BENCH_KERNELS=6.12 WG_BENCH_PATHS=veth WG_BENCH_METRICS=tcp1
# WG_BENCH_SECS=5 WG_BENCH_REPS=1; WG_BENCH_BOOTS=3 for three boots.
bench:
	WG_KERNELS="$${WG_BENCH_KERNELS:-6.12 6.1}" selftests/check.sh --build-only
	selftests/bench/bench.sh data

bench-scale:
	WG_KERNELS="$${WG_BENCH_KERNELS:-6.12}" selftests/check.sh --build-only
	selftests/bench/bench.sh scale

bench-scale-1m:
	WG_KERNELS="$${WG_BENCH_KERNELS:-6.12}" selftests/check.sh --build-only
	selftests/bench/bench.sh scale-1m

.PHONY: bench-scale-1m

.PHONY: default all modules install clean kdir-exists check modules-all ynl-check \
	ynl-regen demo bench bench-scale

# --- packaging: DKMS and the Debian package -----------------------------------
#   make dkms-src [DESTDIR=...]  the sources DKMS builds from, into
#                                /usr/src/wireguard-oot-VERSION
#   make dkms-install [KVER=...] dkms-src, then dkms install (builds, installs
#                                under /lib/modules/KVER/updates/dkms, depmod)
#   make dkms-remove             dkms remove --all, the sources removed
#   make deb                     build/deb/wireguard-oot-dkms_VERSION_all.deb
#                                (dpkg-buildpackage -b with dh-dkms, in a
#                                copy under build/deb; lintian after it)
# VERSION is WG_VERSION of drivers/net/wg/version.h.

WG_VERSION := $(shell sed -n 's/^\#define WG_VERSION "\(.*\)"/\1/p' drivers/net/wg/version.h)
DKMS_NAME = wireguard-oot
DKMS_SRC = $(DESTDIR)/usr/src/$(DKMS_NAME)-$(WG_VERSION)
# What a kbuild of the module reads (no build products, no userspace tests).
PKG_FILES = find Kbuild Makefile dkms.conf COPYING drivers include \
	-path drivers/net/wg/tests/userspace -prune -o -type f \
	\( -name '*.[chS]' -o -name Kbuild -o -name 'Makefile*' -o -name dkms.conf \
	   -o -name COPYING \) ! -name '*.mod.c' -print0

dkms-src:
	@test -n "$(WG_VERSION)" || { echo "no WG_VERSION in drivers/net/wg/version.h" >&2; exit 1; }
	rm -rf $(DKMS_SRC)
	$(PKG_FILES) | xargs -0 -I{} install -D -m 644 {} $(DKMS_SRC)/{}

dkms-install: dkms-src
	dkms install $(DKMS_NAME)/$(WG_VERSION) -k $(KVER)

dkms-remove:
	-dkms remove $(DKMS_NAME)/$(WG_VERSION) --all
	rm -rf $(DKMS_SRC)

DEB_DIR = build/deb
DEB_SRC = $(DEB_DIR)/$(DKMS_NAME)-$(WG_VERSION)

deb:
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_SRC)
	{ $(PKG_FILES); find README debian -type f -print0; } | \
		xargs -0 -I{} install -D -m 644 {} $(DEB_SRC)/{}
	chmod 755 $(DEB_SRC)/debian/rules
	cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc >../dpkg-buildpackage.log 2>&1 || \
		{ tail -n 30 ../dpkg-buildpackage.log >&2; exit 1; }
	lintian --fail-on error $(DEB_DIR)/$(DKMS_NAME)-dkms_$(WG_VERSION)_all.deb
	@ls $(DEB_DIR)/*.deb

.PHONY: dkms-src dkms-install dkms-remove deb
