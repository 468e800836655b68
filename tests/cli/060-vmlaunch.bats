#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2154 # bats' run sets output, stderr and lines
# vmlaunch with real QEMU under TCG: pinned before the guest runs, as /proc shows;
# attach, list, stop; failures that leave nothing behind.
load helper

setup() {
	need_qemu
}

teardown() {
	cleanup_vms
	stop_qemu
}

@test "--help, --version, and usage errors exit 2 with one line" {
	run -0 vmlaunch --help
	assert_line --partial "vmlaunch attach (--qmp SOCKET | --pid PID)"
	run -0 vmlaunch --version
	assert_output --regexp '^vmlaunch \(pinlab\) '
	run -2 --separate-stderr vmlaunch
	[[ $stderr == "vmlaunch: vmlaunch needs --vcpu-map MAP"* ]]
	run -2 --separate-stderr vmlaunch --vcpu-map 0:1,0:0 --dry-run
	assert_equal "$stderr" "vmlaunch: invalid --vcpu-map '0:1,0:0': vCPU 0 is mapped twice (to 1 and 0)"
	run -2 --separate-stderr vmlaunch --vcpu-map 0:0,2:1 --dry-run
	[[ $stderr == *"vCPU 1 is missing"* ]]
	run -2 --separate-stderr vmlaunch --vcpu-map "0:$(nproc --all)" --dry-run
	[[ $stderr == *"which the topology does not have"* ]]
	run -2 --separate-stderr vmlaunch --vcpu-map 0:1,1:1 --dry-run
	[[ $stderr == *"vCPUs 0 and 1 share CPU 1"*"pass --allow-shared to run it anyway" ]]
	run -0 vmlaunch --vcpu-map 0:1,1:1 --allow-shared --dry-run
	run -2 --separate-stderr vmlaunch --vcpu-map 0:1 --accel fast
	[[ $stderr == "vmlaunch: invalid --accel 'fast' (auto, kvm or tcg)"* ]]
	run -2 --separate-stderr vmlaunch --vcpu-map 0:1 --vhost-user /s,queues=0
	[[ $stderr == *"queues must be 1-64"* ]]
	run -2 --separate-stderr vmlaunch --vcpu-map 0:1 --vhost-user /s,ring=300
	[[ $stderr == "vmlaunch: --vhost-user '/s,ring=300': ring must be 256, 512 or 1024"* ]]
	run -2 --separate-stderr vmlaunch --vcpu-map 0:1 --kernel /k --disk /d
	run -2 --separate-stderr vmlaunch --vcpu-map 0:1 --memory 1X
	run -2 --separate-stderr vmlaunch --vcpu-map 0:1 --name ../x
	run -2 --separate-stderr vmlaunch --vcpu-map 0:1 --vcpu-sched rr:5 --dry-run
	run -2 --separate-stderr vmlaunch --vcpu-map 0:1 --profile /nonexistent.conf --dry-run
	[[ $stderr == "vmlaunch: cannot read profile /nonexistent.conf"* ]]
	run -2 --separate-stderr vmlaunch --vcpu-map 0:1 stray
	[[ $stderr == *"unexpected argument 'stray' (QEMU arguments go after --)"* ]]
	run -2 --separate-stderr vmlaunch attach --vcpu-map 0:1
	[[ $stderr == *"attach needs --qmp SOCKET, --pid PID or --libvirt DOMAIN"* ]]
	run -2 --separate-stderr vmlaunch stop
}

@test "--dry-run prints the QEMU command and the pinning plan, and starts nothing" {
	run -0 --separate-stderr vmlaunch --name bats-dry --vcpu-map 0:1 --memory 128M --dry-run -- -device virtio-rng-pci
	assert_line --partial " -S "
	assert_line --partial "-accel tcg,thread=multi -cpu max -smp 1,sockets=1,cores=1,threads=1 -m 128"
	assert_line --partial "-device virtio-rng-pci"
	assert_line "  vCPU 0 -> CPU 1"
	assert_line "  QEMU's other threads -> CPU 0"
	[[ $stderr == *"running under TCG"* ]]
	[ ! -e "$(vm_dir bats-dry)" ]
	run -0 --separate-stderr vmlaunch --name bats-dry --vcpu-map 0:1 --dry-run --json
	assert_equal "$(jqo '.vcpus[0].cpu')" 1
	assert_equal "$(jqo '.command | index("-S") > 0')" true
}

@test "launch --vcpu-map 0:1,1:0: each CPU n/TCG thread on exactly its CPU, as /proc shows" {
	run -0 --separate-stderr vmlaunch --name bats-swap --vcpu-map 0:1,1:0 --daemonize --json
	local pid
	pid=$(jqo .pid)
	assert_equal "$(thread_cpus "$pid" "CPU 0/TCG")" 1
	assert_equal "$(thread_cpus "$pid" "CPU 1/TCG")" 0
	assert_equal "$(jqo '.vcpus[0].tid')" "$(basename "$(grep -l 'CPU 0/TCG' /proc/"$pid"/task/*/comm | xargs dirname)")"
	# The guest runs (cont was sent).
	run -0 pincheck vm --json --name bats-swap --vcpu-map 0:1,1:0
	assert_equal "$(jqo '.findings[] | select(.id == "vcpu-map") | .severity')" ok
}

@test "QEMU's other threads stay off the vCPUs' CPUs" {
	run -0 --separate-stderr vmlaunch --name bats-emu --vcpu-map 0:1 --daemonize --json
	local pid t n=0
	pid=$(jqo .pid)
	assert_equal "$(jqo .emulator_cpus)" 0
	for t in /proc/"$pid"/task/*; do
		if [ "$(cat "$t/comm")" = "CPU 0/TCG" ]; then
			assert_equal "$(awk '/Cpus_allowed_list/ { print $2 }' "$t/status")" 1
		else
			assert_equal "$(awk '/Cpus_allowed_list/ { print $2 }' "$t/status")" 0
			n=$((n + 1))
		fi
	done
	[ "$n" -ge 1 ]
	run -0 pincheck vm --json --qmp "$(vm_dir bats-emu)/qmp.sock"
	assert_equal "$(jqo '.findings[] | select(.id == "emulator-threads") | .severity')" ok
}

@test "list shows running VMs with their vCPUs; stop ends one and leaves nothing" {
	vmlaunch --name bats-list --vcpu-map 0:1 --daemonize >/dev/null 2>&1
	run -0 vmlaunch list --json
	assert_equal "$(jqo '.[] | select(.name == "bats-list") | .vcpus[0].cpu')" 1
	local pid
	pid=$(jqo '.[] | select(.name == "bats-list") | .pid')
	run -0 vmlaunch list
	assert_line --regexp '^bats-list +[0-9]+ .*qmp.sock +0:1$'
	run -1 --separate-stderr vmlaunch --name bats-list --vcpu-map 0:1 --daemonize
	[[ $stderr == *"a VM named 'bats-list' is running"* ]]
	run -0 vmlaunch stop bats-list
	assert_output "vmlaunch: VM 'bats-list' stopped"
	wait_gone "$pid"
	[ ! -e "$(vm_dir bats-list)" ]
	# No such VM: exit 2 in every tool (vmlaunch, pincheck, the reflector's --vm).
	run -2 --separate-stderr vmlaunch stop bats-list
	[[ $stderr == "vmlaunch: no VM named 'bats-list'"* ]]
	run -2 --separate-stderr pincheck vm --name bats-list
	assert_equal "$stderr" "pincheck: no VM named 'bats-list' (see vmlaunch list)"
	run -2 --separate-stderr reflector -l 0,1 -- --vm bats-list
	[[ $stderr == *"reflector: no VM named 'bats-list' (see vmlaunch list)" ]]
	run -2 --separate-stderr vmlaunch attach --qmp "$BATS_TEST_TMPDIR/none.sock" --vcpu-map 0:0
	[[ $stderr == *"vmlaunch: cannot connect to the QMP socket $BATS_TEST_TMPDIR/none.sock"* ]]
}

@test "a QEMU that fails to start: its error shown, exit 1, runtime dir gone" {
	run -1 --separate-stderr vmlaunch --name bats-bad --vcpu-map 0:1 -- -bogus-option
	[[ $stderr == *"vmlaunch: QEMU failed to start: qemu-system-x86_64: -bogus-option: invalid option"* ]]
	[ ! -e "$(vm_dir bats-bad)" ]
	run -1 --separate-stderr vmlaunch --name bats-bad --vcpu-map 0:1 --daemonize -- -bogus-option
	[[ $stderr == *"QEMU failed to start"* ]]
	[ ! -e "$(vm_dir bats-bad)" ]
	run -1 --separate-stderr vmlaunch --name bats-bad --vcpu-map 0:1 --qemu /nonexistent/qemu
	[[ $stderr == *"cannot run /nonexistent/qemu"* ]]
	[ ! -e "$(vm_dir bats-bad)" ]
	run pgrep -f 'guest=bats-bad'
	assert_failure
}

@test "SIGTERM to vmlaunch: powerdown, grace, quit; exit 0 and nothing left" {
	vmlaunch --name bats-term --vcpu-map 0:1 --grace 0.2 --console-log /dev/null 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	local vml=$!
	wait_running bats-term
	local pid
	pid=$(jq .pid "$(vm_dir bats-term)/state.json")
	kill -TERM "$vml"
	local rc=0
	wait "$vml" || rc=$?
	assert_equal "$rc" 0
	wait_gone "$pid"
	[ ! -e "$(vm_dir bats-term)" ]
}

@test "QEMU killed underneath vmlaunch: exit 128+9, said once, nothing left" {
	vmlaunch --name bats-kill --vcpu-map 0:1 --console-log /dev/null 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	local vml=$!
	wait_running bats-kill
	kill -9 "$(jq .pid "$(vm_dir bats-kill)/state.json")"
	local rc=0
	wait "$vml" || rc=$?
	assert_equal "$rc" 137
	grep -q "QEMU (pid [0-9]*) was killed by signal 9" "$BATS_TEST_TMPDIR/err"
	[ ! -e "$(vm_dir bats-kill)" ]
}

@test "attach --pid and --qmp pin a QEMU that was started without vmlaunch" {
	local sock=$BATS_TEST_TMPDIR/qmp.sock
	QEMU_PIDFILE=$BATS_TEST_TMPDIR/qemu.pid
	qemu-system-x86_64 -name guest=bats-attach,debug-threads=on -accel tcg,thread=multi -cpu max -smp 2 -m 64 \
		-nodefaults -display none -qmp unix:"$sock",server=on,wait=off -daemonize -pidfile "$QEMU_PIDFILE" 3>&-
	QEMU_PID=$(cat "$QEMU_PIDFILE")
	run -0 --separate-stderr vmlaunch attach --pid "$QEMU_PID" --vcpu-map 0:1,1:0
	assert_line "  vCPU 0 -> CPU 1 (thread $(vcpu_tid 0))"
	assert_equal "$(thread_cpus "$QEMU_PID" "CPU 0/TCG")" 1
	assert_equal "$(thread_cpus "$QEMU_PID" "CPU 1/TCG")" 0
	run -0 --separate-stderr vmlaunch attach --qmp "$sock" --vcpu-map 0:0,1:1 --json
	assert_equal "$(jqo .pid)" "$QEMU_PID"
	assert_equal "$(thread_cpus "$QEMU_PID" "CPU 0/TCG")" 0
	run -0 pincheck vm --json --qmp "$sock" --vcpu-map 0:0,1:1
	assert_equal "$(jqo '.findings[] | select(.id == "vcpu-map") | .severity')" ok
	run -2 --separate-stderr vmlaunch attach --qmp "$sock" --vcpu-map 0:0
	[[ $stderr == *"QEMU's vCPUs are 0-1 (cpu-index), the map names 0: give one CPU for each of QEMU's"* ]]
}

@test "hot-plugged vCPUs are numbered by QEMU's cpu-index everywhere: no invented vCPU, no relabelling" {
	local sock=$BATS_TEST_TMPDIR/qmp.sock
	QEMU_PIDFILE=$BATS_TEST_TMPDIR/qemu.pid
	# Two vCPUs and a third plugged at cpu-index 3: numbers 0, 1, 3.
	qemu-system-x86_64 -name guest=bats-hp,debug-threads=on -accel tcg,thread=multi -cpu max \
		-smp 2,maxcpus=4,sockets=1,cores=4,threads=1 -device max-x86_64-cpu,socket-id=0,core-id=3,thread-id=0 \
		-m 64 -S -nodefaults -display none -daemonize -pidfile "$QEMU_PIDFILE" -qmp "unix:$sock,server=on,wait=off" 3>&-
	QEMU_PID=$(cat "$QEMU_PIDFILE")
	# (exit 1: the findings fail, the vCPUs are not pinned yet; the numbering is what is tested)
	run -1 pincheck vm --pid "$QEMU_PID" --json
	assert_equal "$(jqo -c '[.vcpus[].vcpu]')" "[0,1,3]"
	run -1 pincheck vm --qmp "$sock" --json
	assert_equal "$(jqo -c '[.vcpus[] | [.vcpu, .name]]')" '[[0,"CPU 0/TCG"],[1,"CPU 1/TCG"],[3,"CPU 3/TCG"]]'
	run -2 --separate-stderr vmlaunch attach --qmp "$sock" --vcpu-map 0:0,1:1,2:0 --allow-shared
	[[ $stderr == *"QEMU's vCPUs are 0-1,3 (cpu-index), the map names 0-2"* ]]
	run -0 --separate-stderr vmlaunch attach --qmp "$sock" --vcpu-map 0:0,1:1,3:0 --allow-shared --json
	assert_equal "$(jqo -c '[.vcpus[] | [.vcpu, .cpu]]')" "[[0,0],[1,1],[3,0]]"
	assert_equal "$(thread_cpus "$QEMU_PID" "CPU 3/TCG")" 0
	run pincheck vm --qmp "$sock" --vcpu-map 0:0,1:1,3:0 --json
	assert_equal "$(jqo '.findings[] | select(.id == "vcpu-map") | .severity')" ok
}

@test "attach refuses single-threaded TCG: every vCPU on one thread" {
	local sock=$BATS_TEST_TMPDIR/qmp.sock
	QEMU_PIDFILE=$BATS_TEST_TMPDIR/qemu.pid
	qemu-system-x86_64 -name guest=bats-single -accel tcg,thread=single -smp 2 -m 64 -S \
		-nodefaults -display none -qmp unix:"$sock",server=on,wait=off -daemonize -pidfile "$QEMU_PIDFILE" 3>&-
	QEMU_PID=$(cat "$QEMU_PIDFILE")
	run -2 --separate-stderr vmlaunch attach --qmp "$sock" --vcpu-map 0:0,1:1
	[[ $stderr == *"run on the same host thread"*"single-threaded TCG"* ]]
}

@test "--hugepages: guest RAM on hugetlbfs, preallocated; too few pages is a clear error" {
	need_root
	save_hugepages
	hugepages setup 32M --page-size 2M >/dev/null
	# 16 pages more than are free now (the host may hold pages of its own).
	local free need
	free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)
	need=$((free + 16))
	run -1 --separate-stderr vmlaunch --name bats-huge --vcpu-map 0:1 --memory $((need * 2))M --hugepages --daemonize
	[[ $stderr == *"not enough free 2M hugepages"*"for $((need * 2))M of guest RAM: $free free, $need needed; run 'hugepages reserve $((need * 2))M --page-size 2M"* ]]
	[ ! -e "$(vm_dir bats-huge)" ]
	run -0 --separate-stderr vmlaunch --name bats-huge --vcpu-map 0:1 --memory 32M --hugepages --daemonize --json
	run -0 --separate-stderr pincheck vm --json --name bats-huge
	assert_equal "$(jqo '.findings[] | select(.id == "memory-hugepages") | .severity')" ok
	assert_equal "$(jqo '.memory.page_kb')" 2048
	vmlaunch stop bats-huge >/dev/null
	restore_hugepages
}

@test "--vhost-user: QEMU connects to the backend's socket; with none there, its error is shown" {
	local sock=$BATS_TEST_TMPDIR/vhost0.sock
	run -1 --separate-stderr vmlaunch --name bats-vhost --vcpu-map 0:1 --vhost-user "$sock,queues=2" --daemonize
	[[ $stderr == *"QEMU failed to start: qemu-system-x86_64: -chardev socket,id=vhu0,path=$sock: Failed to connect to '$sock': No such file or directory"* ]]
	[ ! -e "$(vm_dir bats-vhost)" ]
	run pgrep -f 'guest=bats-vhost'
	assert_failure
}

@test "--vcpu-sched fifo:PRIO gives the vCPU threads SCHED_FIFO" {
	need_root
	run -0 --separate-stderr vmlaunch --name bats-fifo --vcpu-map 0:1 --vcpu-sched fifo:1 --daemonize
	run -0 --separate-stderr pincheck vm --json --name bats-fifo
	assert_equal "$(jqo '.vcpus[0].policy')" fifo
	assert_equal "$(jqo '.vcpus[0].priority')" 1
}

@test "vmlaunch killed while QEMU starts: the VM is listed as an orphan, stop ends it, the name is free again" {
	# A QEMU that takes its time to start: vmlaunch is killed in that window.
	local slow=$BATS_TEST_TMPDIR/slow-qemu
	printf '#!/bin/sh\nsleep 30\nexec qemu-system-x86_64 "$@"\n' >"$slow"
	chmod +x "$slow"
	vmlaunch --name bats-orphan --vcpu-map 0:1 --qemu "$slow" --console-log /dev/null >/dev/null 2>&1 3>&- &
	local vml=$!
	local dir
	dir=$(vm_dir bats-orphan)
	wait_for_file "$dir/state.json"
	for _ in $(seq 100); do [ "$(jq '.pid' "$dir/state.json")" != 0 ] && break; sleep 0.05; done
	local qpid
	qpid=$(jq '.pid' "$dir/state.json")
	[ "$qpid" -gt 0 ]
	kill -KILL "$vml"
	local rc=0
	wait "$vml" || rc=$?
	assert_equal "$rc" 137
	run -0 vmlaunch list --json
	assert_equal "$(jqo '.[] | select(.name == "bats-orphan") | .phase')" orphan
	assert_equal "$(jqo '.[] | select(.name == "bats-orphan") | .pid')" "$qpid"
	run -1 --separate-stderr vmlaunch --name bats-orphan --vcpu-map 0:1
	[[ $stderr == *"a VM named 'bats-orphan' is left over from a vmlaunch that was killed (QEMU pid $qpid lives on): stop it (vmlaunch stop bats-orphan)"* ]]
	run -0 vmlaunch stop bats-orphan
	wait_gone "$qpid"
	[ ! -e "$dir" ]
	# Both gone: a stale entry is cleaned and the name is free.
	vmlaunch --name bats-orphan --vcpu-map 0:1 --qemu "$slow" --console-log /dev/null >/dev/null 2>&1 3>&- &
	vml=$!
	wait_for_file "$dir/state.json"
	for _ in $(seq 100); do [ "$(jq '.pid' "$dir/state.json")" != 0 ] && break; sleep 0.05; done
	qpid=$(jq '.pid' "$dir/state.json")
	kill -KILL "$vml" "$qpid"
	local rc=0
	wait "$vml" || rc=$?
	assert_equal "$rc" 137
	wait_gone "$qpid"
	run -0 vmlaunch list --json
	assert_equal "$(jqo '[.[] | select(.name == "bats-orphan")] | length')" 0
	[ ! -e "$dir" ]
}

@test "a symlink in the runtime directory is never followed: launch refuses it, list leaves its target alone" {
	local base target=$BATS_TEST_TMPDIR/target
	base=$(dirname "$(vm_dir x)")
	mkdir -p "$base" "$target"
	echo keep >"$target/state.json"
	echo keep >"$target/qmp.sock"
	ln -s "$target" "$base/bats-link"
	run -1 --separate-stderr vmlaunch --name bats-link --vcpu-map 0:1
	rm -f "$base/bats-link"
	[[ $stderr == *"the runtime directory of 'bats-link' is a symlink, which vmlaunch never follows: remove it"* ]]
	assert_equal "$(cat "$target/state.json" "$target/qmp.sock")" $'keep\nkeep'
	ln -s "$target" "$base/bats-link"
	run -0 vmlaunch list
	rm -f "$base/bats-link"
	assert_equal "$(cat "$target/state.json" "$target/qmp.sock")" $'keep\nkeep'
}

@test "vmlaunch killed while its guest runs: the pinned QEMU is listed as an orphan and stop ends it" {
	vmlaunch --name bats-run-orphan --vcpu-map 0:1 --console-log /dev/null >/dev/null 2>&1 3>&- &
	local vml=$!
	wait_running bats-run-orphan
	local qpid
	qpid=$(jq '.pid' "$(vm_dir bats-run-orphan)/state.json")
	kill -KILL "$vml"
	local rc=0
	wait "$vml" || rc=$?
	assert_equal "$rc" 137
	kill -0 "$qpid"
	run -0 vmlaunch list --json
	assert_equal "$(jqo '.[] | select(.name == "bats-run-orphan") | .phase')" orphan
	# Still pinned, and still reachable over QMP: pincheck sees it through the state.
	assert_equal "$(jqo '.[] | select(.name == "bats-run-orphan") | .vcpus[0].cpu')" 1
	run pincheck vm --name bats-run-orphan --json
	assert_equal "$(jqo '.pid')" "$qpid"
	run -0 vmlaunch stop bats-run-orphan
	wait_gone "$qpid"
	[ ! -e "$(vm_dir bats-run-orphan)" ]
}

@test "a vCPU on a CPU where another VM's vCPU is pinned: refused (exit 1) naming that VM; --allow-shared runs it" {
	# A guest without an OS ignores the power-down request: a short grace keeps stops quick.
	vmlaunch --name bats-first --vcpu-map 0:1 --grace 1 --daemonize >/dev/null 2>&1
	run -1 --separate-stderr vmlaunch --name bats-second --vcpu-map 0:1 --grace 1 --daemonize
	assert_equal "${stderr##*$'\n'}" "vmlaunch: vCPU 0 would run on CPU 1: vCPU 0 of VM 'bats-first' (vmlaunch) is pinned there; pass --allow-shared to run it anyway"
	[ ! -e "$(vm_dir bats-second)" ]
	# Shared on purpose is allowed.
	run -0 vmlaunch --name bats-second --vcpu-map 0:1 --allow-shared --grace 1 --daemonize
}
