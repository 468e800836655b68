#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2154 # bats' run sets output, stderr and lines
# make install: programs, man pages, templates, the guest builder (and the guest
# image when it was built) under DESTDIR; the installed mkguest still builds it.
load helper

@test "make install PREFIX=/usr/local DESTDIR=…: everything in place, and the installed mkguest works" {
	local d=$BATS_TEST_TMPDIR/stage share
	run -0 make -C "$TOP" --no-print-directory install PREFIX=/usr/local DESTDIR="$d"
	share=$d/usr/local/share/pinlab
	for p in pincheck hugepages vmlaunch reflector trafficgen vmbench; do
		[ -x "$d/usr/local/bin/$p" ] || fail "no $p"
		[ -s "$d/usr/local/share/man/man1/$p.1" ] || fail "no $p(1)"
	done
	for t in bench/vm.conf bench/loopback.conf bench/seed-2017.conf qemu/default.conf guest/init; do
		[ -s "$share/templates/$t" ] || fail "no template $t"
	done
	[ -x "$share/mkguest" ]
	[ -s "$share/results.schema.json" ]
	if [ -s "$TOP/build/guest/initrd.img" ]; then
		cmp "$share/guest/initrd.img" "$TOP/build/guest/initrd.img"
	fi
	# The installed builder finds the installed init, not the source tree's.
	[ -r "$(find /boot -maxdepth 1 -name 'vmlinuz-*-cloud-amd64' | head -1)" ] || skip "no cloud kernel (make deps)"
	run -0 "$share/mkguest" "$BATS_TEST_TMPDIR/g" "$d/usr/local/bin"
	assert_equal "$(jq -r '.project[] | select(.path == "/init") | .source' "$BATS_TEST_TMPDIR/g/manifest.json")" \
		"$share/templates/guest/init"
}
