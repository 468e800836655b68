#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2154 # bats' run sets output, stderr and lines
# The guest image (make guest, cmd/mkguest/mkguest): made of Debian packages and our two
# programs only, every input in the manifest, and the same bytes every time.
load helper

setup() {
	local k
	# One image for the file's tests (a build takes a while): built by the first.
	A=$BATS_FILE_TMPDIR/a
	k=$(find /boot -maxdepth 1 -name 'vmlinuz-*-cloud-amd64' | head -1)
	if ! command -v cpio >/dev/null || [ ! -r "$k" ]; then
		skip "the guest's packages are missing (make deps installs linux-image-cloud-amd64, busybox-static, cpio)"
	fi
}

@test "two builds from the same packages give the same initrd.img, byte for byte" {
	SOURCE_DATE_EPOCH=1700000000 run -0 "$TOP/cmd/mkguest/mkguest" "$A" "$BUILD/bin"
	SOURCE_DATE_EPOCH=1700000000 run -0 "$TOP/cmd/mkguest/mkguest" "$BATS_TEST_TMPDIR/b" "$BUILD/bin"
	cmp "$A/initrd.img" "$BATS_TEST_TMPDIR/b/initrd.img"
	cmp "$A/manifest.json" "$BATS_TEST_TMPDIR/b/manifest.json"
	# Another time is another archive: the epoch is really what the mtimes are.
	SOURCE_DATE_EPOCH=1700000001 run -0 "$TOP/cmd/mkguest/mkguest" "$BATS_TEST_TMPDIR/c" "$BUILD/bin"
	run cmp -s "$A/initrd.img" "$BATS_TEST_TMPDIR/c/initrd.img"
	assert_failure
	# Nothing left of the build but the three outputs.
	run ls -A "$A"
	assert_output $'initrd.img\nmanifest.json\nvmlinuz'
}

@test "the manifest names every input: package, version and sha256 of each file; our binaries with theirs" {
	[ -s "$A/manifest.json" ] || fail "the first test's image is missing"
	local d=$BATS_TEST_TMPDIR/m m=$A/manifest.json
	# Every file of the archive is in the manifest, and nothing else is.
	mkdir -p "$d/x"
	(cd "$d/x" && zcat "$A/initrd.img" | cpio --quiet -id)
	local listed files
	listed=$(jq -r '(.packages[].files[].path, .project[].path) | select(. != "/vmlinuz")' "$m" | sort)
	files=$(cd "$d/x" && find . -type f | sed 's/^\.//' | grep -v '^/etc/pinlab-modules$' |
		while read -r f; do readlink -f "$d/x$f" | sed "s|^$d/x||"; done | sort -u)
	assert_equal "$files" "$(echo "$listed" | sed 's|^/lib/|/usr/lib/|; s|^/lib64/|/usr/lib64/|; s|^/bin/|/usr/bin/|' | sort -u)"
	# Packages with versions as dpkg has them; digests as sha256sum computes them.
	assert_equal "$(jq -r '.packages[] | select(.package == "busybox-static") | .version' "$m")" \
		"$(dpkg-query -W -f='${Version}' busybox-static)"
	assert_equal "$(jq -r '.packages[] | select(.package | startswith("librte-net-virtio")) | .files | length' "$m")" 1
	assert_equal "$(jq -r '.project[] | select(.path == "/usr/bin/trafficgen") | .sha256' "$m")" \
		"$(sha256sum <"$BUILD/bin/trafficgen" | cut -d' ' -f1)"
	assert_equal "$(jq -r '.outputs["initrd.img"].sha256' "$m")" "$(sha256sum <"$A/initrd.img" | cut -d' ' -f1)"
	assert_equal "$(jq -r '.kernel' "$m")" "$(jq -r '.packages[] | select(.package | startswith("linux-image")) | .package' "$m" | sed 's/^linux-image-//')"
	# Debian's symlink chains are kept: one library, one file.
	[ -L "$d/x/usr/lib/x86_64-linux-gnu/librte_net_virtio.so.23" ]
	assert_equal "$(find "$d/x" -name 'librte_bus_pci.so*' -type f | wc -l)" 1
}

@test "make guest does nothing when nothing changed; mkguest's errors name the fix" {
	run -0 make -C "$TOP" SANITIZE="${PINLAB_SANITIZE:-}" guest
	run -0 make -C "$TOP" SANITIZE="${PINLAB_SANITIZE:-}" -q "${BUILD#"$TOP"/}/guest/initrd.img"
	run -1 --separate-stderr "$TOP/cmd/mkguest/mkguest" "$BATS_TEST_TMPDIR/n" "$BATS_TEST_TMPDIR/nobin"
	assert_equal "$stderr" "mkguest: $BATS_TEST_TMPDIR/nobin/trafficgen is missing: run 'make' first"
	[ ! -e "$BATS_TEST_TMPDIR/n/initrd.img" ]
}
