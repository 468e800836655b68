#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2154 # bats' run sets output, stderr and lines
# make deb: the Debian package, lintian-clean for errors (make deb fails otherwise),
# with the binaries, man pages, templates (the Ansible role too), docs and the
# dependencies it needs at run time; nothing of the build tree compiled in.
# Installed for real, with apt, by 130-fleet's playbook.
load helper

@test "make deb: a package with everything, the right Depends, no build-tree path; lintian clean for errors" {
	need_root
	run -0 make -C "$TOP" --no-print-directory deb
	local deb
	deb=$(ls "$TOP"/build/deb/pinlab_*_amd64.deb)
	assert_equal "$(dpkg-deb -f "$deb" Package Version | tr '\n' ' ')" "Package: pinlab Version: $(cat "$TOP/VERSION") "
	run -0 dpkg-deb -f "$deb" Depends
	for d in qemu-system-x86 librte-net-vhost23 librte-net-virtio23 librte-mempool-ring23 'libhwloc15' 'libjansson4' 'libvirt0'; do
		assert_output --partial "$d"
	done
	run -0 dpkg-deb -c "$deb"
	local contents=$output
	for f in usr/bin/pincheck usr/bin/hugepages usr/bin/vmlaunch usr/bin/reflector usr/bin/trafficgen usr/bin/vmbench \
		usr/share/man/man1/vmbench.1 usr/share/man/man1/pincheck.1 usr/share/pinlab/mkguest \
		usr/share/pinlab/results.schema.json usr/share/pinlab/templates/bench/loopback.conf \
		usr/share/pinlab/templates/qemu/default.conf usr/share/pinlab/templates/ansible/fleet.yml \
		usr/share/pinlab/templates/ansible/roles/pinlab/tasks/prepare.yml usr/share/doc/pinlab/copyright \
		usr/share/doc/pinlab/fleet.md usr/share/doc/pinlab/README.md; do
		# (dh_compress gzips man pages and all but the smallest docs)
		grep -qE " \./$f(\.gz)?\$" <<<"$contents" || fail "no $f in the package"
	done
	grep -q '^-rwxr-xr-x .* \./usr/share/pinlab/templates/guest/init$' <<<"$contents"
	# Installed to /usr, the tools look there: no path of this build tree in them.
	local x=$BATS_TEST_TMPDIR/x
	dpkg-deb -x "$deb" "$x"
	run grep -rlF "$TOP" "$x"
	assert_failure
	run -0 grep -c '/usr/share/pinlab' "$x/usr/bin/vmbench"
	# Built with Debian's hardening flags: full RELRO and immediate binding.
	run -0 readelf -d "$x/usr/bin/reflector"
	assert_output --partial "BIND_NOW"
}
