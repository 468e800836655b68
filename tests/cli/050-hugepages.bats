#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2154,SC2016 # bats' run sets output, stderr, lines; awk programs are in single quotes
# hugepages on the real kernel (root) and its usage errors.  Every test puts the
# pools and mounts back as it found them.
load helper

setup() {
	MNT=$BATS_TEST_TMPDIR/huge
	TMPFS=$BATS_TEST_TMPDIR/tmpfs
	if [ "$(id -u)" = 0 ]; then save_hugepages; fi
}

teardown() {
	stop_qemu
	if mountpoint -q "$TMPFS"; then umount "$TMPFS"; fi
	if [ "$(id -u)" = 0 ]; then restore_hugepages; fi
}

free_2m() { cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages; }
total_2m() { cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages; }

@test "--help and --version" {
	run -0 hugepages --help
	assert_line --partial "hugepages reserve SIZE|--pages N"
	run -0 hugepages --version
	assert_output --regexp '^hugepages \(pinlab\) '
}

@test "bad input: one line, exit 2, nothing changed" {
	run -2 --separate-stderr hugepages reserve abc
	[[ $stderr == "hugepages: invalid size 'abc' (expected a number with K, M, G or T)"* ]]
	run -2 --separate-stderr hugepages reserve 0
	[[ $stderr == "hugepages: size must be more than 0"* ]]
	run -2 --separate-stderr hugepages reserve -- -1G
	[[ $stderr == "hugepages: invalid size '-1G'"* ]]
	run -2 --separate-stderr hugepages reserve 1X
	[[ $stderr == *"unknown suffix 'X'"* ]]
	run -2 --separate-stderr hugepages reserve
	[[ $stderr == *"reserve needs a SIZE (such as 1G) or --pages N"* ]]
	run -2 --separate-stderr hugepages reserve 1G --pages 3
	run -2 --separate-stderr hugepages reserve 1G --page-size 3M
	[[ $stderr == *"invalid page size '3M' (a power of two such as 2M or 1G)"* ]]
	run -2 --separate-stderr hugepages reserve 1G --page-size 16G
	[[ $stderr == "hugepages: this kernel does not offer 16G pages (it offers "*"); to get them, boot with hugepagesz=16G hugepages=N" ]]
	run -2 --separate-stderr hugepages reserve 1G --node 77
	[[ $stderr == "hugepages: no NUMA node 77 (this host has "* ]]
	run -2 --separate-stderr hugepages reserve 1G --node x
	run -2 --separate-stderr hugepages reserve 1G --node 0 --spread
	[[ $stderr == *"--node and --spread exclude each other"* ]]
	run -2 --separate-stderr hugepages mount relative/dir
	[[ $stderr == *"must be an absolute path"* ]]
	run -2 --separate-stderr hugepages mount --mode 999
	run -2 --separate-stderr hugepages mount --user no-such-user-here
	[[ $stderr == *"no such user 'no-such-user-here'"* ]]
	run -2 --separate-stderr hugepages status --stale
	run -2 --separate-stderr hugepages frob
}

@test "not root: a clear line, exit 1; --dry-run still shows the writes" {
	need_root
	local before
	before=$(total_2m)
	run -1 --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups "$BUILD/bin/hugepages" reserve 64M
	assert_equal "$stderr" "hugepages: changing hugepages needs root: run it with sudo (or --dry-run to see the changes)"
	# More than is free now, whatever this shared host already holds: a write is due.
	local want=$(( ($(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages) + 32) * 2 ))
	run -0 setpriv --reuid=65534 --regid=65534 --clear-groups "$BUILD/bin/hugepages" reserve "${want}M" --page-size 2M --dry-run
	assert_line --regexp '^would write [0-9]+ > /sys/'
	assert_equal "$(total_2m)" "$before"
}

@test "reserve adds only what is missing, status shows it, release gives it back" {
	need_root
	local before
	before=$(total_2m)
	run -0 hugepages reserve 64M --page-size 2M
	[ "$(free_2m)" -ge 32 ]
	run -0 hugepages reserve 32M --page-size 2M
	assert_output --partial "already"
	run -0 hugepages status --json
	[ "$(jqo '[.pools[] | select(.page_size == "2M") | .free] | add')" -ge 32 ]
	run -0 hugepages reserve --pages 40 --page-size 2M
	[ "$(free_2m)" -ge 40 ]
	run -0 hugepages release --page-size 2M
	assert_equal "$(total_2m)" 0
	# Without --page-size: every size, not only the kernel's default one (a 1G page
	# too where the kernel can still find one; teardown puts the pools back).
	local g1=/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages one_g=0
	run -0 hugepages reserve --pages 8 --page-size 2M
	if [ -e "$g1" ] && [ "$(cat "$g1")" = 0 ] && hugepages reserve --pages 1 --page-size 1G >/dev/null 2>&1; then
		one_g=1
	fi
	run -0 hugepages release
	assert_equal "$(total_2m)" 0
	assert_line --partial "2M: 8 -> 0 pages"
	if [ "$one_g" = 1 ]; then
		assert_line --partial "1G: 1 -> 0 pages"
		assert_equal "$(cat "$g1")" 0
	fi
	[ "$before" -eq 0 ] || echo "$before" > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
}

@test "an oversize reservation fails clearly and leaves the pool as it was" {
	need_root
	local before
	before=$(total_2m)
	run -1 --separate-stderr hugepages reserve 100T --page-size 2M
	[[ $stderr == "hugepages: adding 100.0"*"needs more memory than is available"*"nothing changed"* ]]
	assert_equal "$(total_2m)" "$before"
}

@test "mount is idempotent, with owner and mode; unmount too" {
	need_root
	run -0 hugepages mount "$MNT" --page-size 2M --mode 0770 --group 0
	assert_output "$MNT: hugetlbfs (2M) mounted"
	run -0 awk -v d="$MNT" '$2 == d { print $3, $4 }' /proc/mounts
	assert_output --partial "hugetlbfs"
	assert_output --partial "pagesize=2M"
	assert_equal "$(stat -c %a "$MNT")" 770
	run -0 hugepages mount "$MNT" --page-size 2M
	assert_output "$MNT: hugetlbfs (2M) already mounted"
	# Another page size on it: refused where the kernel offers one (not every host does).
	if [ -d /sys/kernel/mm/hugepages/hugepages-1048576kB ]; then
		run -1 --separate-stderr hugepages mount "$MNT" --page-size 1G
		[[ $stderr == *"is already a mount point of another page size or filesystem"* ]]
	fi
	run -0 hugepages status --json
	assert_equal "$(jqo --arg d "$MNT" '.mounts[] | select(.path == $d) | .mode')" 0770
	run -0 hugepages unmount "$MNT"
	run -0 hugepages unmount "$MNT"
	assert_output "$MNT: no hugetlbfs mounted"
	# Another filesystem there: refused, and left mounted.
	mkdir -p "$TMPFS"
	mount -t tmpfs pinlab-test "$TMPFS"
	run -1 --separate-stderr hugepages mount "$TMPFS" --page-size 2M
	[[ $stderr == *"$TMPFS is already a mount point of another page size or filesystem; unmount it or choose another directory"* ]]
	run -0 awk -v d="$TMPFS" '$2 == d { print $3 }' /proc/mounts
	assert_output tmpfs
}

@test "stale files are found and removed; release then frees their pages" {
	need_root
	hugepages reserve 8M --page-size 2M
	hugepages mount "$MNT" --page-size 2M
	fallocate -l 4M "$MNT/rtemap_0"
	run -0 hugepages status --json
	assert_equal "$(jqo --arg p "$MNT/rtemap_0" '.stale[] | select(.path == $p) | .pages')" 2
	run -0 hugepages release --page-size 2M
	assert_output --partial "2 pages are in use and were kept"
	assert_output --partial "$MNT/rtemap_0 (stale: hugepages release --stale): 2 pages"
	run -0 hugepages release --page-size 2M --stale
	assert_line "removed $MNT/rtemap_0 (2 pages)"
	[ ! -e "$MNT/rtemap_0" ]
}

@test "a QEMU holding guest RAM in hugepages is named as the holder; its mount is busy" {
	need_root
	need_qemu
	hugepages setup 64M --page-size 2M
	hugepages mount "$MNT" --page-size 2M
	QEMU_PIDFILE=$BATS_TEST_TMPDIR/qemu.pid
	qemu-system-x86_64 -name guest=hp,debug-threads=on -accel tcg -m 32 -nodefaults -display none -S \
		-object memory-backend-file,id=mem,size=32M,mem-path="$MNT",share=on,prealloc=on \
		-numa node,memdev=mem -daemonize -pidfile "$QEMU_PIDFILE" 3>&-
	QEMU_PID=$(cat "$QEMU_PIDFILE")
	run -0 hugepages status --json
	assert_equal "$(jqo --argjson p "$QEMU_PID" '.holders[] | select(.pid == $p) | .pages')" 16
	run -0 hugepages release --page-size 2M
	assert_output --partial "held by pid $QEMU_PID (qemu-system-x86): 16 pages"
	run -1 --separate-stderr hugepages unmount "$MNT"
	[[ $stderr == *"$MNT is busy"* ]]
	# The vCPU is not pinned (exit 1), but guest RAM is seen on hugepages.
	run -1 pincheck vm --json --pid "$QEMU_PID"
	assert_equal "$(jqo '.findings[] | select(.id == "memory-hugepages") | .severity')" ok
	assert_equal "$(jqo '.memory.page_kb')" 2048
}

@test "mount: a long path is mounted where asked or refused, never cut; a directory with files is refused; absurd sizes" {
	need_root
	# A path of 300 bytes: mounted exactly there (before, cut at 255 and mounted elsewhere).
	local long
	long=$BATS_TEST_TMPDIR/$(printf 'd%.0s' {1..120})/$(printf 'e%.0s' {1..120})
	mkdir -p "$long"
	run -0 hugepages mount "$long" --page-size 2M
	assert_equal "$(awk -v d="$long" '$2 == d && $3 == "hugetlbfs"' /proc/mounts | wc -l)" 1
	run -0 hugepages unmount "$long" --page-size 2M
	run -2 --separate-stderr hugepages mount "/$(printf 'x%.0s' {1..5000})"
	[[ $stderr == "hugepages: mount point too long"* ]]
	# Files there would be hidden by the mount.
	mkdir "$BATS_TEST_TMPDIR/full"
	echo data >"$BATS_TEST_TMPDIR/full/keep"
	run -1 --separate-stderr hugepages mount "$BATS_TEST_TMPDIR/full"
	assert_equal "$stderr" "hugepages: $BATS_TEST_TMPDIR/full is not empty: a mount would hide its files; choose an empty directory"
	assert_equal "$(awk -v d="$BATS_TEST_TMPDIR/full" '$2 == d' /proc/mounts | wc -l)" 0
	# 2^64-1 bytes does not wrap to nothing.
	local before
	before=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)
	run -2 --separate-stderr hugepages reserve 18446744073709551615
	[[ $stderr == "hugepages: size '18446744073709551615' is too large (more memory than any machine has)"* ]]
	run -1 --separate-stderr hugepages reserve 100T
	[[ $stderr == *"needs more memory than is available"*"nothing changed"* ]]
	run -2 --separate-stderr hugepages reserve 18446744073709551616
	assert_equal "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)" "$before"
}

@test "setup --persist: a systemd unit that does the same setup at boot, enabled; idempotent; release --persist removes it" {
	need_root
	local units=$BATS_TEST_TMPDIR/units name=pinlab-hugepages-2M-node0.service
	run -0 --separate-stderr hugepages setup 64M --page-size 2M --node 0 --persist --unit-dir "$units" --json
	assert_equal "$(jqo '.persist.changed and .changed')" true
	assert_equal "$(jqo -r '.persist.unit')" "$units/$name"
	# The unit runs this very binary with the request in canonical words, early at boot.
	run -0 grep -x "ExecStart=$(command -v hugepages) setup 64M --page-size 2M --node 0" "$units/$name"
	run -0 grep -x 'WantedBy=sysinit.target' "$units/$name"
	run -0 head -1 "$units/$name"
	assert_output --partial "Written by 'hugepages setup --persist'"
	assert_equal "$(readlink "$units/sysinit.target.wants/$name")" "../$name"
	# Enough pages, mounted, unit there: nothing changes, and --json says so.
	run -0 --separate-stderr hugepages setup 64M --page-size 2M --node 0 --persist --unit-dir "$units" --json
	assert_equal "$(jqo '.changed')" false
	run -0 hugepages setup 64M --page-size 2M --node 0 --persist --unit-dir "$units"
	assert_line "$units/$name: unchanged"
	# A different request rewrites it; a removed link is put back.
	rm "$units/sysinit.target.wants/$name"
	run -0 hugepages setup 96M --page-size 2M --node 0 --persist --unit-dir "$units"
	assert_line "$units/$name: written and enabled: the same setup at every boot"
	run -0 grep -x "ExecStart=$(command -v hugepages) setup 96M --page-size 2M --node 0" "$units/$name"
	[ -L "$units/sysinit.target.wants/$name" ]
	# --dry-run shows the unit and writes nothing.
	run -0 hugepages setup 2M --page-size 2M --spread --persist --unit-dir "$units" --dry-run
	assert_line --partial "would write $units/pinlab-hugepages-2M-spread.service"
	[ ! -e "$units/pinlab-hugepages-2M-spread.service" ]
	# release --persist removes our unit and its link, nothing else.
	echo keep >"$units/other.service"
	run -0 hugepages release --page-size 2M --persist --unit-dir "$units"
	assert_line "$units/$name"
	[ ! -e "$units/$name" ]
	[ ! -L "$units/sysinit.target.wants/$name" ]
	[ -e "$units/other.service" ]
	run -0 hugepages release --page-size 2M --persist --unit-dir "$units"
	assert_line "no unit of hugepages in $units"
}

@test "setup --persist never overwrites a unit it did not write; usage errors" {
	need_root
	local units=$BATS_TEST_TMPDIR/units name=pinlab-hugepages-2M-node0.service
	mkdir -p "$units"
	printf '[Service]\nExecStart=/bin/true\n' >"$units/$name"
	run -1 --separate-stderr hugepages setup 2M --page-size 2M --node 0 --persist --unit-dir "$units"
	[[ $stderr == "hugepages: $units/$name (or its link in sysinit.target.wants) is not one hugepages wrote: move it away first" ]]
	assert_equal "$(cat "$units/$name")" "$(printf '[Service]\nExecStart=/bin/true')"
	[ ! -e "$units/sysinit.target.wants/$name" ]
	# A symlink where the unit goes is not followed.
	rm "$units/$name"
	ln -s /etc/passwd "$units/$name"
	run -1 --separate-stderr hugepages setup 2M --page-size 2M --node 0 --persist --unit-dir "$units"
	assert_equal "$(readlink "$units/$name")" /etc/passwd
	run -2 --separate-stderr hugepages reserve 2M --persist
	assert_equal "$stderr" "hugepages: --persist is an option of setup and release"$'\n'"Try 'hugepages --help' for more information."
	run -2 --separate-stderr hugepages setup 2M --unit-dir /tmp/x
	[[ $stderr == "hugepages: --unit-dir goes with --persist"* ]]
	run -2 --separate-stderr hugepages setup 2M --persist --unit-dir relative
	[[ $stderr == "hugepages: --unit-dir 'relative' must be an absolute path"* ]]
	run -2 --separate-stderr hugepages mount --json
	[[ $stderr == "hugepages: --json is an option of status, reserve and setup"* ]]
}
