# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # FIX and HOST_2017 are for the tests; bats' run sets output
# Common setup for the CLI tests: the built programs on PATH, bats-assert, fixtures,
bats_require_minimum_version 1.5.0
# and a real QEMU (TCG, paused) that every test stops again.
load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
FIX=$TOP/tests/fixtures
# The build under test: build/, or build/san/ for make check SANITIZE=1.
BUILD=${PINLAB_BUILD:-$TOP/build}
PATH=$BUILD/bin:$PATH
HOST_2017="pack:1 core:4 pu:2(indexes=0,4,1,5,2,6,3,7)"

# Skip (with the reason) when QEMU is missing; CI installs it, so CI skips nothing.
need_qemu() {
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed (make deps)"
}

# Start a paused TCG guest with N vCPUs (default 2); sets QEMU_PID.  Thread names
# need debug-threads=on.  Stopped by stop_qemu in teardown.
start_qemu() {
	local n=${1:-2}
	QEMU_PIDFILE=$BATS_TEST_TMPDIR/qemu.pid
	qemu-system-x86_64 -name guest=bats,debug-threads=on -accel tcg,thread=multi -cpu max \
		-smp "$n" -m 64 -S -nodefaults -display none -daemonize -pidfile "$QEMU_PIDFILE" 3>&-
	QEMU_PID=$(cat "$QEMU_PIDFILE")
}

stop_qemu() {
	if [ -n "${QEMU_PID:-}" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
		kill "$QEMU_PID"
		# Bounded wait for it to go.
		for _ in $(seq 100); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.05; done
		kill -9 "$QEMU_PID" 2>/dev/null || true
	fi
	QEMU_PID=
}

# The tid of QEMU thread "CPU n/TCG".
vcpu_tid() {
	local t
	for t in /proc/"$QEMU_PID"/task/*; do
		if [ "$(cat "$t/comm")" = "CPU $1/TCG" ]; then basename "$t"; return; fi
	done
	return 1
}

# Read a JSON value with jq from $output.
jqo() { jq -r "$@" <<<"$output"; }

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
}

# Remember the hugepage pools and hugetlbfs mounts, to put them back in teardown.
save_hugepages() {
	SAVED_POOLS=()
	local f
	for f in /sys/kernel/mm/hugepages/hugepages-*/nr_hugepages /sys/devices/system/node/node*/hugepages/hugepages-*/nr_hugepages; do
		[ -e "$f" ] && SAVED_POOLS+=("$f=$(cat "$f")")
	done
	SAVED_MOUNTS=$(awk '$3 == "hugetlbfs" { print $2 }' /proc/mounts | sort)
}

restore_hugepages() {
	local m e
	while read -r m; do
		if [ -n "$m" ] && ! grep -qxF "$m" <<<"$SAVED_MOUNTS"; then umount "$m"; fi
	done < <(awk '$3 == "hugetlbfs" { print $2 }' /proc/mounts | sort)
	for e in "${SAVED_POOLS[@]}"; do
		echo "${e#*=}" > "${e%%=*}"
	done
}

# vmlaunch's runtime directory for VM $1.
vm_dir() {
	if [ "$(id -u)" = 0 ]; then echo "/run/vmlaunch/$1"; else echo "${XDG_RUNTIME_DIR:-/nonexistent}/vmlaunch/$1"; fi
}

# Stop every VM a test launched (names start with bats-), whatever state it is in:
# vmlaunch stop, then the QEMU pid its state recorded if that outlived it.  Never
# by pattern: other VMs on this machine are not ours.
cleanup_vms() {
	local d n pid
	for d in "$(dirname "$(vm_dir x)")"/bats-*; do
		[ -d "$d" ] || continue
		n=$(basename "$d")
		pid=$(jq -r '.pid // empty' "$d/state.json" 2>/dev/null)
		vmlaunch stop "$n" >/dev/null 2>&1 || true
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	done
	return 0
}

# The DPDK runtime directory our programs use: whether it is there before a test, so
# that the test can check it left none behind only when it was not.
dpdk_dir_before() {
	DPDK_DIR_WAS_THERE=
	if [ -e /var/run/dpdk/rte ]; then DPDK_DIR_WAS_THERE=1; fi
}

assert_dpdk_dir_as_before() {
	[ -n "$DPDK_DIR_WAS_THERE" ] || [ ! -e /var/run/dpdk/rte ] || fail "/var/run/dpdk/rte was left behind"
}

# The allowed CPU list of QEMU thread "$2" of process $1.
thread_cpus() {
	local t
	for t in /proc/"$1"/task/*; do
		if [ "$(cat "$t/comm")" = "$2" ]; then awk '/Cpus_allowed_list/ { print $2 }' "$t/status"; return; fi
	done
	return 1
}

# Wait (bounded) until a file exists.
wait_for_file() {
	local i
	for i in $(seq 200); do [ -e "$1" ] && return 0; sleep 0.05; done
	return 1
}

# Wait (bounded) until vmlaunch's VM $1 runs pinned (its state says so, not just exists).
wait_running() {
	local i
	for i in $(seq 400); do
		[ "$(jq -r '.phase // empty' "$(vm_dir "$1")/state.json" 2>/dev/null)" = running ] && return 0
		sleep 0.05
	done
	return 1
}

# Wait (bounded) until process $1 is gone.
wait_gone() {
	local i
	for i in $(seq 200); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
	return 1
}

# Wait (bounded) until file $1 has a line containing $2.
wait_for_line() {
	local i
	for _ in $(seq 600); do grep -qF -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}

# A VM-mode results directory ($1, mode $2, backend $3 or qemu; the 1-queue fixtures of
# tests/fixtures/bench): every vCPU on its own CPU while traffic flowed, results from the port.
# $4: the loss allowed, in % (0 unless given), $5: the least Mpps (0.04 unless given).
assert_guest_run() {
	local dir=$1 mode=$2 backend=${3:-qemu} max_loss=${4:-0} min_mpps=${5:-0.04}
	for f in results.json results.csv table.txt env.json pinning.json raw/port-1q.log raw/console-1q.log; do
		[ -s "$dir/$f" ] || fail "missing $f"
	done
	assert_equal "$(jq -r '.mode' "$dir/results.json")" "$mode"
	# Zero loss at the low fixed rate, at every size (or what the caller allows).
	assert_equal "$(jq --argjson l "$max_loss" --argjson m "$min_mpps" \
		'[.configurations[0].results[] | .loss_pct <= $l and .mpps > $m] | all' "$dir/results.json")" true
	assert_equal "$(jq '.configurations[0].results | length' "$dir/results.json")" 2
	# The guest's vrings have the profile's 1024 entries (not QEMU's default 256), as the
	# host program's vhost port saw the guest set them.
	assert_equal "$(jq -c '.configurations[0].virtio.ring_sizes' "$dir/results.json")" '[1024,1024]'
	# The residency the 2017 note asked for: 100 % on the mapped CPU, both vCPUs.
	assert_equal "$(jq '.configurations[0].residency.vcpus | length' "$dir/results.json")" 2
	assert_equal "$(jq '[.configurations[0].residency.vcpus[] | .share == 1] | all' "$dir/results.json")" true
	assert_equal "$(jq '.configurations[0].residency.seconds > 0.5' "$dir/results.json")" true
	grep -q '^vCPU residency while traffic ran, 1 queue .*: vCPU 0 on CPU [0-9]* 100.0%, vCPU 1 on CPU [0-9]* 100.0%$' "$dir/table.txt"
	# The port's frame was complete and checked.
	grep -q '^PINLAB-BEGIN role=' "$dir/raw/port-1q.log"
	grep -q '^PINLAB-END status=0 ' "$dir/raw/port-1q.log"
	# The fingerprint: accelerator, vCPU map, the guest image's digest.
	assert_equal "$(jq -r '.mode' "$dir/env.json")" "$mode"
	[[ $(jq -r '.accel' "$dir/env.json") =~ ^(kvm|tcg)$ ]]
	[[ $(jq -r '.guest_image' "$dir/env.json") =~ ^[0-9a-f]{64}$ ]]
	assert_equal "$(jq -r '.backend' "$dir/env.json")" "$backend"
	assert_equal "$(jq -r '.backend' "$dir/results.json")" "$backend"
	assert_results_schema "$dir"
	# Per-queue truth: the features the guest's virtio driver negotiated, and the findings.
	assert_equal "$(jq '.configurations[0].virtio | .version_1 and .queue_pairs == 1' "$dir/results.json")" true
	[[ $(jq -r '.virtio_features' "$dir/env.json") =~ ^0x[0-9a-f]+$ ]]
	assert_equal "$(jq -r '.configurations[0].findings[0].id' "$dir/results.json")" queues-ok
	# The test profiles put the host's reflector on the direct path; the guest's reflector
	# has a virtio PCI port, so DPDK's PMD.
	assert_equal "$(jq -r '.configurations[0].reflector_datapath' "$dir/results.json")" \
		"$([ "$mode" = vm-gen ] && echo direct || echo pmd)"
	assert_equal "$(jq -r '.guest.vcpu_map' "$dir/env.json")" "$(jq -r '.configurations[0].vm.vcpu_map' "$dir/results.json")"
	if [ "$(jq -r '.accel' "$dir/env.json")" = tcg ]; then
		grep -q "NOTE: the guest ran under TCG" "$dir/table.txt"
		grep -q "TCG: emulated" "$dir/plot.gp"
	fi
}

# results.json in directory $1 is valid against docs/results.schema.json (Debian's
# python3-jsonschema: /usr/bin/jsonschema, not a pyenv shim's).
assert_results_schema() {
	[ -x /usr/bin/jsonschema ] || fail "no /usr/bin/jsonschema: make deps installs python3-jsonschema"
	run /usr/bin/jsonschema -i "$1/results.json" "$TOP/docs/results.schema.json"
	assert_success
	assert_output ""
}
