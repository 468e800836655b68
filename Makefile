# SPDX-License-Identifier: BSD-3-Clause
# pinlab — exact vCPU pinning, host diagnostics and a reproducible vhost-user benchmark.
#
#   make            build every program into build/bin/
#   make check      run every test; last line "N passed, N failed, N skipped"
#   make demo       the main job (installs missing Debian packages first)
#   make deps       install missing Debian packages (root; no-op when nothing is missing)
#   make guest      the benchmark's guest image (build/guest)
#   make fuzz       every fuzz target for FUZZ_SECONDS (10); make lint: static analysis
#   SANITIZE=1      build into build/san with ASan and UBSan
#   make install    PREFIX=/usr/local DESTDIR=
#   make deb        the Debian package (build/deb/pinlab_VERSION_amd64.deb), lintian-checked
#   V=1             show the commands

PROJECT   := pinlab
VERSION   := $(shell cat VERSION)$(shell git describe --always --dirty --match none 2>/dev/null | sed 's/^/-g/')
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
DATADIR   ?= $(PREFIX)/share/$(PROJECT)

B         := build
CC        ?= cc
# make check SANITIZE=1: everything built with ASan and UBSan (leak detection on) into build/san.
ifeq ($(SANITIZE),1)
B         := build/san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
PKGS      := hwloc jansson inih zlib
# Messages are built in bounded buffers and may be cut short on purpose: no format-truncation.
WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral \
             -Wno-format-truncation
ifeq ($(CI),true)
WARN      += -Werror
endif
ifneq ($(findstring clang,$(CC)),)
WARN      += -Wno-unknown-warning-option
endif
CFLAGS    ?= -O2 -g
ALL_CFLAGS = $(SAN_FLAGS) $(CPPFLAGS) -std=gnu11 -D_GNU_SOURCE -DPROJECT_VERSION='"$(VERSION)"' -DDATADIR='"$(DATADIR)"' \
             -I. $(WARN) $(CFLAGS) $(shell pkg-config --cflags $(PKGS))
LDLIBS_PIN = $(shell pkg-config --libs $(PKGS))
# libvirt and libxml2: the libvirt backend (launcher/virt.c), linked only where it is
# used, so the DPDK programs (and the guest image) do not carry them.
VIRT_PKGS  := libvirt libxml-2.0
ALL_CFLAGS += $(shell pkg-config --cflags $(VIRT_PKGS))
LDLIBS_VIRT = $(shell pkg-config --libs $(VIRT_PKGS))

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-6s %s\n' $(1) $(2)
endif

# --- libraries, lowest layer first (docs/design.md; tests/lint checks the order) ----
# One archive per folder, every .c in it: a folder is a library, and only what a
# program uses of it is linked.  Each library may use the ones listed before it.
#   base       generic utilities: strings, numbers, files, the command line, INI, templates
#   pinning    CPU sets, topology, vCPU maps, threads, the host's and a VM's facts and checks
#   hugepages  pools, mounts, who holds them, the units that persist them
#   launcher   QEMU's command line, QMP, the runtime directory, pinning a VM, libvirt
#   dpdk       what both DPDK programs do around EAL (argv, preflight, cleanup, vhost facts)
#   reflector  the data path: frames, vhost options, the direct ring path and its guard
#   bench      the benchmark: profiles, searches, children, sweeps, tables, results
LIBS      := base pinning hugepages launcher dpdk reflector bench
lib_objs   = $(patsubst %.c,$(B)/obj/%.o,$(wildcard $(1)/*.c))
lib        = $(B)/lib/lib$(1).a
# A library and every library below it, highest first (the order the linker needs).
LIBS_REV  := bench reflector dpdk launcher hugepages pinning base
libs_upto  = $(foreach l,$(call _from,$(1),$(LIBS_REV)),$(call lib,$(l)))
_from      = $(if $(filter $(1),$(firstword $(2))),$(2),$(call _from,$(1),$(wordlist 2,99,$(2))))

$(foreach l,$(LIBS),$(eval $(call lib,$(l)): $(call lib_objs,$(l))))
$(B)/lib/%.a:
	$(call msg,AR,$@)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# --- programs: each in cmd/NAME/, linked against the libraries it uses -------------
PROGRAMS := $(B)/bin/pincheck $(B)/bin/hugepages $(B)/bin/vmlaunch $(B)/bin/reflector $(B)/bin/trafficgen $(B)/bin/vmbench
MANPAGES := $(patsubst docs/man/%.scd,$(B)/man/%,$(wildcard docs/man/*.scd))
prog_objs  = $(patsubst %.c,$(B)/obj/%.o,$(wildcard cmd/$(1)/*.c))

# --- fuzz targets: corpus replay in make check, libFuzzer in make fuzz -----------
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(B)/tests/fuzz-replay-%)
FUZZ_LIBS  = $(call libs_upto,bench)

# --- unit tests (cmocka) -----------------------------------------------------
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
UNIT_HELPERS := $(patsubst tests/unit/%.c,$(B)/obj/tests/unit/%.o,$(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c)))

.PHONY: all check unit cli demo deps install uninstall clean man bench guest fuzz lint check-build deb
all: $(PROGRAMS) $(MANPAGES)

$(B)/obj/%.o: %.c
	$(call msg,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# DPDK's flags from pkg-config (Debian's libdpdk-dev), -O3, for everything that
# includes DPDK's headers: the dpdk library, the reflector's DPDK files, both programs.
DPDK_CFLAGS = $(shell pkg-config --cflags libdpdk 2>/dev/null) -O3
DPDK_LIBS   = $(shell pkg-config --libs libdpdk 2>/dev/null)
DPDK_OBJ   := $(call lib_objs,dpdk) $(call prog_objs,reflector) $(call prog_objs,trafficgen)
$(DPDK_OBJ): ALL_CFLAGS += $(DPDK_CFLAGS)
# The direct path calls rte_vhost_vring_call_nonblock and the guard
# rte_vhost_extern_callback_register, both still experimental in DPDK 22.11.
$(B)/obj/reflector/direct.o $(B)/obj/reflector/vuguard.o: ALL_CFLAGS += $(DPDK_CFLAGS) -DALLOW_EXPERIMENTAL_API
# Per-frame code, plain C (unit-tested and fuzzed without DPDK).
$(B)/obj/reflector/pkt.o $(B)/obj/reflector/vring.o $(B)/obj/bench/tgen.o: ALL_CFLAGS += -O3
# The ring work is the direct path's hot loop: built for the CPU DPDK is built for.
$(B)/obj/reflector/vring.o: ALL_CFLAGS += $(filter -march=%,$(DPDK_CFLAGS))

# One stanza per program: its objects, the libraries it uses (with those below), the
# system libraries.  libvirt only where the libvirt backend is used.
$(B)/bin/pincheck: $(call prog_objs,pincheck) $(call libs_upto,launcher)
$(B)/bin/pincheck: PROG_LIBS = $(LDLIBS_PIN) $(LDLIBS_VIRT)
$(B)/bin/vmlaunch: $(call prog_objs,vmlaunch) $(call libs_upto,launcher)
$(B)/bin/vmlaunch: PROG_LIBS = $(LDLIBS_PIN) $(LDLIBS_VIRT)
$(B)/bin/hugepages: $(call prog_objs,hugepages) $(call libs_upto,hugepages)
$(B)/bin/hugepages: PROG_LIBS = $(LDLIBS_PIN)
$(B)/bin/reflector: $(call prog_objs,reflector) $(call libs_upto,reflector)
$(B)/bin/reflector: PROG_LIBS = $(LDLIBS_PIN) $(DPDK_LIBS)
$(B)/bin/trafficgen: $(call prog_objs,trafficgen) $(call libs_upto,bench)
$(B)/bin/trafficgen: PROG_LIBS = $(LDLIBS_PIN) $(DPDK_LIBS)
$(B)/bin/vmbench: $(call prog_objs,vmbench) $(call libs_upto,bench)
$(B)/bin/vmbench: PROG_LIBS = $(LDLIBS_PIN)
$(PROGRAMS):
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PROG_LIBS)

# A DPDK test peer for the reflector's functional tests.
$(B)/obj/tests/peer/vpeer.o: ALL_CFLAGS += $(DPDK_CFLAGS) -Wno-missing-prototypes
$(B)/tests/vpeer: $(B)/obj/tests/peer/vpeer.o
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(DPDK_LIBS)

# A hostile vhost-user frontend (no DPDK): rings laid out by hand, bad on purpose.
$(B)/tests/vhu: $(B)/obj/tests/peer/vhu.o
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^

# The libvirt unit test reads the test driver's custom node from the source tree.
$(B)/obj/tests/unit/test_virt.o: ALL_CFLAGS += -DTOP='"$(CURDIR)"'
# Unit tests link every library without DPDK (the archives give each what it uses).
$(B)/tests/test_%: $(B)/obj/tests/unit/test_%.o $(UNIT_HELPERS) $(call libs_upto,bench)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_PIN) $(LDLIBS_VIRT) -lpthread $(shell pkg-config --libs cmocka)

$(B)/man/%: docs/man/%.scd
	$(call msg,SCDOC,$@)
	@mkdir -p $(@D)
	$(Q)scdoc < $< > $@

man: $(MANPAGES)

# Each fuzz target with a main() that replays files: the seed corpus and every crash
# found so far (tests/fuzz/corpus/NAME/) are regression tests.
$(B)/tests/fuzz-replay-%: tests/fuzz/fuzz_%.c tests/fuzz/driver.c $(FUZZ_LIBS) $(wildcard tests/fuzz/*.h)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -DFUZZ_CORPUS='"$(CURDIR)/tests/fuzz/corpus/$*"' -o $@ $(filter-out %.h,$^) $(LDLIBS_PIN)

# libFuzzer (clang): every target for FUZZ_SECONDS, starting from the corpus; new
# inputs go to build/fuzz/corpus-NAME, crashes to build/fuzz/ (copy them into
# tests/fuzz/corpus/NAME/ to make them regression tests).
FUZZ_SECONDS ?= 10
FZ         := $(B)/fuzz
FUZZ_CFLAGS = $(filter-out $(WARN) -Werror,$(ALL_CFLAGS)) -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
             -fno-sanitize-recover=undefined
# What the targets use: the libraries without DPDK, and the reflector's plain-C files
# (its direct path and guard need EAL).
FUZZ_SRC   := $(foreach l,base pinning hugepages launcher bench,$(wildcard $(l)/*.c)) \
              reflector/pkt.c reflector/vhostopt.c reflector/vring.c
FUZZ_OBJ   := $(FUZZ_SRC:%.c=$(FZ)/obj/%.o)

.SECONDARY: $(FUZZ_OBJ)
$(FZ)/obj/%.o: %.c
	$(call msg,FUZZCC,$<)
	@mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -c -o $@ $<

$(FZ)/fuzz-%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ) $(wildcard tests/fuzz/*.h)
	$(call msg,FUZZLD,$@)
	@mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $(filter-out %.h,$^) $(LDLIBS_PIN) $(LDLIBS_VIRT)

fuzz: deps $(FUZZ_NAMES:%=$(FZ)/fuzz-%)
	$(Q)for t in $(FUZZ_NAMES); do \
		mkdir -p $(FZ)/corpus-$$t; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		(cd $(FZ) && ./fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix=$(CURDIR)/$(FZ)/crash-$$t- corpus-$$t $(CURDIR)/tests/fuzz/corpus/$$t 2>$$t.log) || \
			{ tail -20 $(FZ)/$$t.log; echo "fuzz: $$t found a crash: $(FZ)/crash-$$t-*"; exit 1; }; \
	done; echo "fuzz: no crash in $(words $(FUZZ_NAMES)) targets"

# --- the benchmark's guest image ---------------------------------------------
# From Debian packages and our two DPDK programs (cmd/mkguest/mkguest, docs/benchmark.md);
# rebuilt when an input changes, byte for byte the same from the same inputs.
GUEST       := $(B)/guest/initrd.img
GUEST_DEBS  := $(wildcard /boot/vmlinuz-*-cloud-amd64 /bin/busybox /usr/lib/x86_64-linux-gnu/librte_eal.so.23.0 \
                 /usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0/librte_net_virtio.so.23.0)
guest: $(GUEST)

$(GUEST): cmd/mkguest/mkguest templates/guest/init $(B)/bin/trafficgen $(B)/bin/reflector $(GUEST_DEBS)
	$(call msg,GUEST,$(B)/guest)
	$(Q)cmd/mkguest/mkguest $(B)/guest $(B)/bin >/dev/null

# --- Debian packages ---------------------------------------------------------
# Build, test and run-time dependencies.  `make deps` installs only what is
# missing, so it is a quick no-op on a prepared machine.
DEB_PACKAGES := build-essential pkg-config git libhwloc-dev hwloc libnuma-dev libjansson-dev \
                libinih-dev zlib1g-dev libcmocka-dev bats bats-assert bats-support scdoc util-linux procps jq \
                qemu-system-x86 dpdk dpdk-dev libdpdk-dev gnuplot-nox file \
                linux-image-cloud-amd64 busybox-static cpio \
                clang clang-tools libclang-rt-dev cppcheck shellcheck \
                libvirt-dev libxml2-dev libvirt-clients libvirt-daemon libvirt-daemon-driver-qemu netcat-openbsd \
                python3-jsonschema python3-prometheus-client \
                debhelper dpkg-dev fakeroot lintian ansible-core ansible-lint python3-apt

deps:
	$(Q)missing=$$(dpkg-query -W -f='$${db:Status-Abbrev} $${Package}\n' $(DEB_PACKAGES) 2>/dev/null | \
		awk '$$1 == "ii" { ok[$$2] = 1 } END { n = split("$(DEB_PACKAGES)", p, " "); \
		for (i = 1; i <= n; i++) if (!(p[i] in ok)) printf "%s ", p[i] }'); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then echo "deps: missing Debian packages: $$missing; run 'make deps' as root" >&2; exit 1; fi; \
		echo "deps: installing $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# --- tests -------------------------------------------------------------------
# Every test, twice: against the normal build (build/) and against one with ASan and
# UBSan (build/san/, leaks reported); static analysis once.  make check SANITIZE=1
# runs the sanitized set only.
# The reflector's functional tests run once more on the PMD data path (direct is the default).
# make install, the guest image's recipe, the package and the Ansible role (which
# installs it for real) run once, with the normal build: they test packaging, not
# the build.
ONCE_TESTS := tests/cli/015-install.bats tests/cli/095-guest-image.bats tests/cli/120-package.bats \
	      tests/cli/130-fleet.bats
CLI_TESTS  := $(filter-out $(ONCE_TESTS),$(wildcard tests/cli/*.bats))
check_set = --env=PINLAB_BUILD=$(CURDIR)/$(1) --env=PINLAB_SANITIZE=$(2) \
	    $(subst $(B)/,$(1)/,$(UNIT_BIN) $(FUZZ_REPLAY)) $(CLI_TESTS) \
	    --env=PINLAB_DATAPATH=pmd tests/cli/070-reflector.bats --env=PINLAB_DATAPATH=
check: deps
	$(Q)$(MAKE) --no-print-directory check-build
ifeq ($(SANITIZE),1)
	$(Q)tests/run tests/lint $(call check_set,$(B),1)
else
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 check-build
	$(Q)tests/run tests/lint $(call check_set,$(B),) $(ONCE_TESTS) tests/fuzz/brief $(call check_set,build/san,1)
endif

# The libFuzzer targets too (once, with the normal build): tests/fuzz/brief runs each
# for FUZZ_CHECK_SECONDS, so that none can rot unbuilt.
check-build: all $(UNIT_BIN) $(FUZZ_REPLAY) $(B)/tests/vpeer $(B)/tests/vhu guest $(if $(SANITIZE),,$(FUZZ_NAMES:%=$(FZ)/fuzz-%))

unit: $(UNIT_BIN)
	$(Q)tests/run $(UNIT_BIN)

cli: all $(B)/tests/vpeer $(B)/tests/vhu guest
	$(Q)PINLAB_BUILD=$(CURDIR)/$(B) tests/run tests/cli/*.bats

demo: deps
	$(Q)$(MAKE) --no-print-directory all guest
	$(Q)tests/demo

# Benchmarks print figures (ours vs the reference tool, same run); they need root.
bench: all
	$(Q)tests/bench/pincheck-vm
	$(Q)tests/bench/vmlaunch-start
	$(Q)tests/bench/reflector-vs-testpmd
	$(Q)tests/bench/trafficgen-vs-testpmd

# --- install -----------------------------------------------------------------
# The guest image goes along when it was built (make guest); mkguest always, so an
# installed toolkit can build it: DATADIR/mkguest DATADIR/guest BINDIR.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)/templates
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man1/
	cp -R templates/. $(DESTDIR)$(DATADIR)/templates/
	chmod 0755 $(DESTDIR)$(DATADIR)/templates/guest/init
	install -m 0755 cmd/mkguest/mkguest $(DESTDIR)$(DATADIR)/mkguest
	install -m 0644 docs/results.schema.json $(DESTDIR)$(DATADIR)/results.schema.json
	if [ -f $(GUEST) ]; then install -d $(DESTDIR)$(DATADIR)/guest && \
		install -m 0644 $(B)/guest/vmlinuz $(B)/guest/initrd.img $(B)/guest/manifest.json $(DESTDIR)$(DATADIR)/guest/; fi

lint:
	$(Q)tests/lint

# --- the Debian package ------------------------------------------------------
# dpkg-buildpackage on a copy of the tree in build/deb/ (it writes the .deb to the
# copy's parent), so the tree is left as it was; then lintian, failing on errors.
DEB_VERSION = $(shell dpkg-parsechangelog -S Version)
DEB_SRC     = build/deb/pinlab-$(DEB_VERSION)
deb: deps
	$(Q)test "$(DEB_VERSION)" = "$$(cat VERSION)" || \
		{ echo "deb: debian/changelog says $(DEB_VERSION), VERSION says $$(cat VERSION)" >&2; exit 1; }
	$(Q)rm -rf build/deb && mkdir -p $(DEB_SRC)
	$(Q)tar -c --exclude=./build --exclude=./.git --exclude=./results . | tar -x -C $(DEB_SRC)
	$(Q)cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc >../build.log 2>&1 || { tail -30 ../build.log; exit 1; }
	$(Q)lintian --allow-root --fail-on error build/deb/pinlab_$(DEB_VERSION)_amd64.deb
	@echo "deb: build/deb/pinlab_$(DEB_VERSION)_amd64.deb"

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(PROGRAMS)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MANPAGES)))
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf $(B)

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

# Unit tests find their fixture trees by absolute path, wherever they run from.
$(B)/obj/tests/%.o: ALL_CFLAGS += -Itests/unit -DFIXTURES='"$(CURDIR)/tests/fixtures"' -DTEMPLATES='"$(CURDIR)/templates"'
