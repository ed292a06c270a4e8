# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree build of the WireGuard module (the kbuild side is in Kbuild).
#
#   make [KVER=...|KDIR=...]   build drivers/net/wg/wireguard.ko
#   make install               install it under /lib/modules/KVER/updates
#   make clean
#   make modules-all           build for every supported kernel (W=1, warnings fail)
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

.PHONY: default all modules install clean kdir-exists check modules-all demo bench bench-scale
