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
             -Ipinning -Ihugepages -Ilauncher -Ireflector -Ibench $(WARN) $(CFLAGS) $(shell pkg-config --cflags $(PKGS))
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

# --- the pinning library -----------------------------------------------------
PIN_SRC  := $(filter-out pinning/pincheck.c,$(wildcard pinning/*.c))
PIN_OBJ  := $(PIN_SRC:%.c=$(B)/obj/%.o)
PIN_LIB  := $(B)/lib/libpinning.a

# --- the hugepages library ---------------------------------------------------
HP_LIB   := $(B)/lib/libhp.a
HP_OBJ   := $(B)/obj/hugepages/hp.o $(B)/obj/hugepages/persist.o

# --- the launcher library ----------------------------------------------------
LAUNCH_SRC := $(filter-out launcher/vmlaunch.c,$(wildcard launcher/*.c))
LAUNCH_OBJ := $(LAUNCH_SRC:%.c=$(B)/obj/%.o)
LAUNCH_LIB := $(B)/lib/liblauncher.a

# --- the benchmark's library: profiles, children, results, the guest's port ------
BENCH_SRC  := $(filter-out bench/vmbench.c bench/trafficgen.c,$(wildcard bench/*.c))
BENCH_OBJ  := $(BENCH_SRC:%.c=$(B)/obj/%.o)
BENCH_LIB  := $(B)/lib/libbench.a

# --- packet code shared by the DPDK programs (plain C, unit-tested) ------------
PKT_OBJ    := $(B)/obj/reflector/pkt.o $(B)/obj/reflector/vhostopt.o $(B)/obj/bench/tgen.o

# --- the direct path's ring work: plain C, unit-tested and fuzzed ------------------
RING_OBJ   := $(B)/obj/reflector/vring.o

# --- programs ----------------------------------------------------------------
PROGRAMS := $(B)/bin/pincheck $(B)/bin/hugepages $(B)/bin/vmlaunch $(B)/bin/reflector $(B)/bin/trafficgen $(B)/bin/vmbench
MANPAGES := $(patsubst docs/man/%.scd,$(B)/man/%,$(wildcard docs/man/*.scd))

# --- fuzz targets: corpus replay in make check, libFuzzer in make fuzz -----------
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(B)/tests/fuzz-replay-%)
FUZZ_LIBS  = $(BENCH_LIB) $(B)/obj/reflector/pkt.o $(B)/obj/reflector/vhostopt.o $(B)/obj/bench/tgen.o $(RING_OBJ) \
             $(LAUNCH_LIB) $(HP_LIB) $(PIN_LIB)

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

$(PIN_LIB): $(PIN_OBJ)
	$(call msg,AR,$@)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(B)/bin/vmlaunch: $(B)/obj/launcher/vmlaunch.o $(LAUNCH_LIB) $(HP_LIB) $(PIN_LIB)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_PIN) $(LDLIBS_VIRT)

# DPDK programs: -O3 and DPDK's flags from pkg-config (Debian's libdpdk-dev).
DPDK_CFLAGS = $(shell pkg-config --cflags libdpdk 2>/dev/null) -O3
DPDK_LIBS   = $(shell pkg-config --libs libdpdk 2>/dev/null)
$(B)/obj/reflector/reflector.o $(B)/obj/reflector/app.o $(B)/obj/bench/trafficgen.o: ALL_CFLAGS += $(DPDK_CFLAGS) -Wno-missing-prototypes
# The direct path calls rte_vhost_vring_call_nonblock, still experimental in DPDK 22.11.
$(B)/obj/reflector/direct.o: ALL_CFLAGS += $(DPDK_CFLAGS) -DALLOW_EXPERIMENTAL_API
# rte_vhost_extern_callback_register is experimental too.
$(B)/obj/reflector/vuguard.o: ALL_CFLAGS += $(DPDK_CFLAGS) -DALLOW_EXPERIMENTAL_API
$(B)/obj/reflector/pkt.o $(B)/obj/reflector/vring.o $(B)/obj/bench/tgen.o: ALL_CFLAGS += -O3
# The ring work is the direct path's hot loop: built for the CPU DPDK is built for,
# as it was inside direct.c (without DPDK's headers: unit tests and fuzzing use it).
$(B)/obj/reflector/vring.o: ALL_CFLAGS += $(filter -march=%,$(DPDK_CFLAGS))

$(B)/bin/reflector: $(B)/obj/reflector/reflector.o $(B)/obj/reflector/direct.o $(B)/obj/reflector/vuguard.o $(RING_OBJ) $(B)/obj/reflector/app.o $(B)/obj/reflector/preflight.o $(PKT_OBJ) $(LAUNCH_LIB) $(HP_LIB) $(PIN_LIB)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_PIN) $(DPDK_LIBS)

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

$(B)/bin/trafficgen: $(B)/obj/bench/trafficgen.o $(B)/obj/bench/shape.o $(B)/obj/bench/search.o $(B)/obj/reflector/app.o $(B)/obj/reflector/preflight.o $(PKT_OBJ) $(LAUNCH_LIB) $(HP_LIB) $(PIN_LIB)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_PIN) $(DPDK_LIBS)

$(B)/bin/vmbench: $(B)/obj/bench/vmbench.o $(BENCH_LIB) $(LAUNCH_LIB) $(HP_LIB) $(PIN_LIB)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_PIN)

$(B)/bin/pincheck: $(B)/obj/pinning/pincheck.o $(LAUNCH_LIB) $(HP_LIB) $(PIN_LIB)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_PIN) $(LDLIBS_VIRT)

$(HP_LIB): $(HP_OBJ)
	$(call msg,AR,$@)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(B)/bin/hugepages: $(B)/obj/hugepages/hugepages.o $(HP_LIB) $(PIN_LIB)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_PIN)

$(LAUNCH_LIB): $(LAUNCH_OBJ)
	$(call msg,AR,$@)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BENCH_LIB): $(filter-out $(B)/obj/bench/tgen.o,$(BENCH_OBJ))
	$(call msg,AR,$@)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# The libvirt unit test reads the test driver's custom node from the source tree.
$(B)/obj/tests/unit/test_virt.o: ALL_CFLAGS += -DTOP='"$(CURDIR)"'
$(B)/tests/test_%: $(B)/obj/tests/unit/test_%.o $(UNIT_HELPERS) $(PKT_OBJ) $(RING_OBJ) $(BENCH_LIB) $(LAUNCH_LIB) $(HP_LIB) $(PIN_LIB)
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
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -Itests/fuzz -DFUZZ_CORPUS='"$(CURDIR)/tests/fuzz/corpus/$*"' -o $@ $(filter-out %.h,$^) $(LDLIBS_PIN)

# libFuzzer (clang): every target for FUZZ_SECONDS, starting from the corpus; new
# inputs go to build/fuzz/corpus-NAME, crashes to build/fuzz/ (copy them into
# tests/fuzz/corpus/NAME/ to make them regression tests).
FUZZ_SECONDS ?= 10
FZ         := $(B)/fuzz
FUZZ_CFLAGS = $(filter-out $(WARN) -Werror,$(ALL_CFLAGS)) -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
             -fno-sanitize-recover=undefined
FUZZ_SRC   := $(PIN_SRC) hugepages/hp.c $(LAUNCH_SRC) $(BENCH_SRC) reflector/pkt.c reflector/vhostopt.c reflector/vring.c
FUZZ_OBJ   := $(FUZZ_SRC:%.c=$(FZ)/obj/%.o)

.SECONDARY: $(FUZZ_OBJ)
$(FZ)/obj/%.o: %.c
	$(call msg,FUZZCC,$<)
	@mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -c -o $@ $<

$(FZ)/fuzz-%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ) $(wildcard tests/fuzz/*.h)
	$(call msg,FUZZLD,$@)
	@mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -Itests/fuzz -o $@ $(filter-out %.h,$^) $(LDLIBS_PIN) $(LDLIBS_VIRT)

fuzz: deps $(FUZZ_NAMES:%=$(FZ)/fuzz-%)
	$(Q)for t in $(FUZZ_NAMES); do \
		mkdir -p $(FZ)/corpus-$$t; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		(cd $(FZ) && ./fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix=$(CURDIR)/$(FZ)/crash-$$t- corpus-$$t $(CURDIR)/tests/fuzz/corpus/$$t 2>$$t.log) || \
			{ tail -20 $(FZ)/$$t.log; echo "fuzz: $$t found a crash: $(FZ)/crash-$$t-*"; exit 1; }; \
	done; echo "fuzz: no crash in $(words $(FUZZ_NAMES)) targets"

# --- the benchmark's guest image ---------------------------------------------
# From Debian packages and our two DPDK programs (bench/mkguest, docs/benchmark.md);
# rebuilt when an input changes, byte for byte the same from the same inputs.
GUEST       := $(B)/guest/initrd.img
GUEST_DEBS  := $(wildcard /boot/vmlinuz-*-cloud-amd64 /bin/busybox /usr/lib/x86_64-linux-gnu/librte_eal.so.23.0 \
                 /usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0/librte_net_virtio.so.23.0)
guest: $(GUEST)

$(GUEST): bench/mkguest templates/guest/init $(B)/bin/trafficgen $(B)/bin/reflector $(GUEST_DEBS)
	$(call msg,GUEST,$(B)/guest)
	$(Q)bench/mkguest $(B)/guest $(B)/bin >/dev/null

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
	install -m 0755 bench/mkguest $(DESTDIR)$(DATADIR)/mkguest
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
