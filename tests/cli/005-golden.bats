#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2154 # bats' run sets output
# Golden files, in the style of libvirt's qemuxml2argv tests: the long outputs
# (vmlaunch --dry-run and --emit-xml, pincheck host --fix and plan) compared whole
# with tests/golden/NAME, so a change anywhere in them shows as a diff to review.
# After a deliberate change: PINLAB_GOLDEN=update bats tests/cli/005-golden.bats
# rewrites them; review with git diff tests/golden.
load helper

# Compare stdin (with the build's and the tree's paths replaced) with tests/golden/$1.
golden() {
	local want=$TOP/tests/golden/$1 got
	got=$(sed "s|$BUILD/bin|@BINDIR@|g; s|$TOP/|@TOP@/|g")
	if [ "${PINLAB_GOLDEN:-}" = update ]; then
		printf '%s\n' "$got" >"$want"
		return
	fi
	[ -f "$want" ] || fail "no tests/golden/$1: PINLAB_GOLDEN=update writes it"
	diff -u "$want" <(printf '%s\n' "$got") || fail "the output differs from tests/golden/$1 (PINLAB_GOLDEN=update rewrites it)"
}

@test "golden: vmlaunch --dry-run (the QEMU command line and the pinning plan)" {
	need_root # the runtime directory in the command line is /run/vmlaunch as root
	run -0 --separate-stderr vmlaunch --dry-run --name golden --vcpu-map 0:0,1:1 --memory 256M --accel tcg --allow-shared
	golden vmlaunch-dry-run.txt <<<"$output"
	run -0 --separate-stderr vmlaunch --dry-run --name golden --vcpu-map 0:1,1:0 --emulator-cpus 0 --memory 512M \
		--accel tcg --allow-shared --profile nfv --vhost-user /tmp/golden.sock,queues=2 \
		--kernel /boot/golden-vmlinuz --initrd /boot/golden-initrd --append "console=ttyS0 quiet"
	golden vmlaunch-dry-run-nfv.txt <<<"$output"
}

@test "golden: vmlaunch --emit-xml (the libvirt domain)" {
	run -0 --separate-stderr vmlaunch --emit-xml --name golden --vcpu-map 0:0,1:1 --memory 256M --accel tcg
	golden vmlaunch-emit-xml.xml <<<"$output"
	run -0 --separate-stderr vmlaunch --emit-xml --name golden --vcpu-map 0:1,1:0 --emulator-cpus 0 --memory 512M \
		--accel tcg --profile nfv --vhost-user /tmp/golden.sock,queues=2
	golden vmlaunch-emit-xml-nfv.xml <<<"$output"
}

@test "golden: pincheck host --fix on the 2017 host and on a bare one" {
	cd "$TOP"
	run -0 --separate-stderr pincheck host --fix --root tests/fixtures/host-2017 --vcpu-map 0:4,1:5,2:6,3:7 --hugepages 2G
	golden pincheck-host-fix-2017.txt <<<"$output"
	run -0 --separate-stderr pincheck host --fix --root tests/fixtures/host-bare
	golden pincheck-host-fix-bare.txt <<<"$output"
}

@test "golden: pincheck plan of the 2017 layout on its topology" {
	run -1 pincheck plan --topology "$HOST_2017" --host-lcores 0x0f --vcpu-map 0:4,1:5,2:6,3:7
	golden pincheck-plan-2017.txt <<<"$output"
	run -0 pincheck plan --topology "$HOST_2017" --host-lcores 0-1,4-5 --vcpu-map 0:2,1:6,2:3,3:7
	golden pincheck-plan-2017-fixed.txt <<<"$output"
}
