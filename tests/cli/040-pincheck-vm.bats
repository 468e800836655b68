#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2154 # bats' run sets output, stderr and lines
# pincheck vm on a real QEMU (TCG, paused with -S, 2 vCPUs), pinned by the test itself.
load helper

setup() {
	need_qemu
	start_qemu 2
	T0=$(vcpu_tid 0)
	T1=$(vcpu_tid 1)
}

teardown() {
	stop_qemu
}

@test "vCPU threads pinned one per CPU are reported as pinned, with their tids" {
	taskset -pc 0 "$T0" >/dev/null
	taskset -pc 1 "$T1" >/dev/null
	run -0 pincheck vm --json --pid "$QEMU_PID" --vcpu-map 0:0,1:1
	assert_equal "$(jqo '.vcpus | length')" 2
	assert_equal "$(jqo '.vcpus[0].tid')" "$T0"
	assert_equal "$(jqo '.vcpus[0].allowed')" 0
	assert_equal "$(jqo '.vcpus[1].tid')" "$T1"
	assert_equal "$(jqo '.vcpus[1].allowed')" 1
	assert_equal "$(jqo '.findings[] | select(.id == "vcpu-pinned") | .severity')" ok
	assert_equal "$(jqo '.findings[] | select(.id == "vcpu-map") | .severity')" ok
	# QEMU's main loop was left alone, so it may run on the vCPUs' CPUs.
	assert_equal "$(jqo '.findings[] | select(.id == "emulator-threads") | .severity')" warn
	assert_equal "$(jqo '.findings[] | select(.id == "memory-hugepages") | .severity')" warn
}

@test "unpinning one vCPU makes the check fail and names it" {
	taskset -pc 0 "$T0" >/dev/null
	taskset -pc 1 "$T1" >/dev/null
	taskset -pc 0-1 "$T1" >/dev/null
	run -1 pincheck vm --pid "$QEMU_PID"
	assert_line --partial "FAIL  vCPUs not pinned to one CPU: vCPU 1 may run on CPUs 0-1"
	assert_line --partial "fix: pin each vCPU thread to one CPU: vmlaunch attach --pid $QEMU_PID --vcpu-map 0:CPU,1:CPU"
}

@test "vCPUs swapped against the map fail, with the exact command that fixes them (run here)" {
	taskset -pc 1 "$T0" >/dev/null
	taskset -pc 0 "$T1" >/dev/null
	run -1 pincheck vm --pid "$QEMU_PID" --vcpu-map 0:0,1:1
	assert_line --partial "vCPU 0 is on 1, the map says 0"
	assert_line --partial "fix: pin each vCPU thread to one CPU: vmlaunch attach --pid $QEMU_PID --vcpu-map 0:0,1:1"
	run -0 pincheck vm --pid "$QEMU_PID" --vcpu-map 0:1,1:0
	# The hint, run as printed, fixes it.
	run -0 vmlaunch attach --pid "$QEMU_PID" --vcpu-map 0:0,1:1
	run -0 pincheck vm --pid "$QEMU_PID" --vcpu-map 0:0,1:1
}

@test "both vCPUs on one CPU is reported" {
	taskset -pc 1 "$T0" >/dev/null
	taskset -pc 1 "$T1" >/dev/null
	run -1 pincheck vm --json --pid "$QEMU_PID"
	assert_equal "$(jqo '.findings[] | select(.id == "vcpu-shared-cpu") | .message')" "vCPUs share a CPU: vCPUs 0,1 on CPU 1"
}

@test "--sample watches the threads and reports where they ran" {
	taskset -pc 0 "$T0" >/dev/null
	taskset -pc 1 "$T1" >/dev/null
	run -0 pincheck vm --json --pid "$QEMU_PID" --sample 0.3
	assert_equal "$(jqo '.findings[] | select(.id == "sample") | .severity')" ok
	assert_equal "$(jqo '.sampled')" 0.3
	assert_equal "$(jqo '.vcpus[0] | has("cpu_share")')" true
}

@test "a QEMU that exits is no longer found" {
	local pid=$QEMU_PID
	stop_qemu
	run -2 --separate-stderr pincheck vm --pid "$pid"
	assert_equal "$stderr" "pincheck: no process with pid $pid"
}
