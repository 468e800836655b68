#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2154 # bats' run sets output, stderr and lines
# The libvirt backend: domain XML validated against libvirt's schema, the API against
# libvirt's test driver, and a real libvirtd (QEMU driver, TCG) started privately by
# the test: define, start pinned, /proc checked, re-pinned live, checked again, stopped.
load helper

TESTURI=test://$TOP/tests/fixtures/libvirt/node.xml

teardown() {
	stop_libvirtd
	if [ -n "${HP_SAVED:-}" ]; then restore_hugepages; fi
}

# A private libvirtd (tests/cli/libvirtd-private); sets LV_DIR and URI.
start_libvirtd() {
	need_root
	need_qemu
	command -v libvirtd >/dev/null || skip "libvirtd is not installed (make deps)"
	command -v unshare >/dev/null || skip "unshare is not installed"
	LV_DIR=$(mktemp -d /tmp/pinlab-libvirtd.XXXXXX)
	if [ "${1:-}" = hugepages ]; then mkdir "$LV_DIR/hugepages"; fi
	"$TOP/tests/cli/libvirtd-private" "$LV_DIR" >"$LV_DIR/out" 2>&1 &
	LV_PID=$!
	URI="qemu:///system?socket=$LV_DIR/libvirt-sock"
	for _ in $(seq 200); do
		[ -S "$LV_DIR/libvirt-sock" ] && break
		kill -0 "$LV_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ ! -S "$LV_DIR/libvirt-sock" ]; then
		# Say why libvirtd could not run here, then skip (never in CI: it has root and unshare).
		skip "libvirtd could not start: $(tail -n 3 "$LV_DIR/out" "$LV_DIR/libvirtd.log" 2>/dev/null | tr '\n' ' ')"
	fi
}

stop_libvirtd() {
	[ -n "${LV_PID:-}" ] || return 0
	local q
	# Domains first (their QEMUs are libvirtd's children), then the daemon: by recorded pids.
	for q in $(virsh -q -c "$URI" list --name 2>/dev/null); do virsh -q -c "$URI" destroy "$q" >/dev/null 2>&1 || true; done
	kill "$LV_PID" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$LV_PID" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$LV_PID" 2>/dev/null || true
	wait "$LV_PID" 2>/dev/null || true
	rm -rf "$LV_DIR"
	LV_PID=
}

# The CPUs QEMU thread $2 of process $1 may run on.
thread_cpus() {
	local t
	for t in /proc/"$1"/task/*; do
		if [ "$(cat "$t/comm")" = "$2" ]; then awk '/^Cpus_allowed_list/ { print $2 }' "$t/status"; return; fi
	done
}

# Every thread of $1 that is not a vCPU: its allowed CPUs, one per line, deduplicated.
other_cpus() {
	local t
	for t in /proc/"$1"/task/*; do
		case "$(cat "$t/comm")" in "CPU "*) ;; *) awk '/^Cpus_allowed_list/ { print $2 }' "$t/status" ;; esac
	done | sort -u
}

@test "usage: --libvirt options belong together; errors are one line, exit 2" {
	run -0 vmlaunch --help
	assert_line --partial "attach --libvirt DOMAIN"
	run -2 --separate-stderr vmlaunch --connect test:///default --vcpu-map 0:0
	[[ $stderr == "vmlaunch: --connect is an option of --libvirt"* ]]
	run -2 --separate-stderr vmlaunch attach --libvirt x --qmp /s --vcpu-map 0:0
	[[ $stderr == "vmlaunch: --libvirt excludes --qmp and --pid"* ]]
	run -2 --separate-stderr vmlaunch --libvirt --dry-run --vcpu-map 0:0
	[[ $stderr == *"--libvirt --emit-xml prints the domain"* ]]
	run -2 --separate-stderr pincheck vm --connect test:///default --pid 1
	[[ $stderr == "pincheck: --connect is an option of --libvirt"* ]]
	run -0 pincheck --help
	assert_line --partial "vm --libvirt DOMAIN [--connect URI]"
	# Relative paths go to libvirt made absolute; one that would not fit then is
	# refused whole, never cut (a socket path holds 255 bytes).
	local deep sock
	deep=$BATS_TEST_TMPDIR/$(printf 'd%.0s' {1..120})/$(printf 'e%.0s' {1..100})
	sock=$(printf 's%.0s' {1..60}).sock
	mkdir -p "$deep"
	cd "$BATS_TEST_TMPDIR"
	run -0 --separate-stderr vmlaunch --libvirt --emit-xml --name rel --vcpu-map 0:0 --vhost-user "$sock"
	[[ $output == *"path=\"$BATS_TEST_TMPDIR/$sock\""* ]]
	cd "$deep"
	run -2 --separate-stderr vmlaunch --libvirt --emit-xml --name rel --vcpu-map 0:0 --vhost-user "$sock"
	[[ $stderr == *$'\n'"vmlaunch: path '$sock': too long once made absolute for libvirt (from this directory): give an absolute or shorter path" ]]
	assert_output ""
}

@test "--emit-xml: every variant validates against libvirt's schema, values escaped, one vcpupin per map entry" {
	need_qemu
	command -v virt-xml-validate >/dev/null || skip "virt-xml-validate is not installed (make deps)"
	local x=$BATS_TEST_TMPDIR
	# Plain: firmware only.
	run -0 --separate-stderr vmlaunch --libvirt --emit-xml --name plain --vcpu-map 0:1
	echo "$output" > "$x/plain.xml"
	virt-xml-validate "$x/plain.xml" domain
	assert_equal "$(xmllint --xpath 'string(/domain/@type)' "$x/plain.xml")" qemu
	assert_equal "$(xmllint --xpath 'count(//cputune/vcpupin)' "$x/plain.xml")" 1
	assert_equal "$(xmllint --xpath 'string(//cputune/emulatorpin/@cpuset)' "$x/plain.xml")" 0
	assert_equal "$(xmllint --xpath 'string(//cpu/@mode)' "$x/plain.xml")" maximum
	# Direct kernel boot, a command line full of XML's characters, serial ports, SCHED_FIFO,
	# a vhost-user NIC with two queue pairs (vectors=0 under TCG), QEMU arguments after --.
	run -0 --separate-stderr vmlaunch --libvirt --emit-xml --name full --vcpu-map 0:1,1:0 --emulator-cpus 1 \
		--allow-shared --memory 128M --kernel /k --initrd rel/initrd --append "a='<&>' \"q\"" \
		--vhost-user /tmp/v.sock,queues=2,reconnect=1,mac=52:54:00:12:34:56 --console-log c.log --serial port.log \
		--vcpu-sched fifo:10 -- -no-reboot
	echo "$output" > "$x/full.xml"
	virt-xml-validate "$x/full.xml" domain
	assert_equal "$(xmllint --xpath 'string(//os/cmdline)' "$x/full.xml")" "a='<&>' \"q\""
	assert_equal "$(xmllint --xpath 'string(//os/initrd)' "$x/full.xml")" "$PWD/rel/initrd"
	assert_equal "$(xmllint --xpath 'count(//cputune/vcpupin)' "$x/full.xml")" 2
	assert_equal "$(xmllint --xpath 'string(//cputune/vcpupin[@vcpu="1"]/@cpuset)' "$x/full.xml")" 0
	assert_equal "$(xmllint --xpath 'string(//cputune/vcpusched/@priority)' "$x/full.xml")" 10
	assert_equal "$(xmllint --xpath 'string(//interface[@type="vhostuser"]/driver/@queues)' "$x/full.xml")" 2
	assert_equal "$(xmllint --xpath 'string(//interface/source/@mode)' "$x/full.xml")" client
	assert_equal "$(xmllint --xpath 'count(//devices/serial)' "$x/full.xml")" 2
	assert_equal "$(xmllint --xpath 'string(//memoryBacking/access/@mode)' "$x/full.xml")" shared
	[[ $output == *"<qemu:arg value=\"-no-reboot\"/>"* ]]
	[[ $output == *"<qemu:property name=\"vectors\" type=\"unsigned\" value=\"0\"/>"* ]]
	# A disk, KVM asked for, a vhost-user server socket.
	: > "$x/disk.img"
	run -0 --separate-stderr vmlaunch --libvirt --emit-xml --name disk --vcpu-map 0:1 --disk "$x/disk.img" --accel kvm \
		--vhost-user /tmp/s.sock,server
	echo "$output" > "$x/disk.xml"
	virt-xml-validate "$x/disk.xml" domain
	assert_equal "$(xmllint --xpath 'string(/domain/@type)' "$x/disk.xml")" kvm
	assert_equal "$(xmllint --xpath 'string(//disk/driver/@type)' "$x/disk.xml")" raw
	assert_equal "$(xmllint --xpath 'string(//interface/source/@mode)' "$x/disk.xml")" server
	# For libvirt's test driver: type test.
	run -0 --separate-stderr vmlaunch --libvirt --connect test:///default --emit-xml --name t --vcpu-map 0:5,1:6
	echo "$output" > "$x/test.xml"
	virt-xml-validate "$x/test.xml" domain
	assert_equal "$(xmllint --xpath 'string(/domain/@type)' "$x/test.xml")" test
}

@test "--emit-xml --hugepages: pages of the mount's size, shared, preallocated, on the vCPUs' node" {
	need_root
	command -v virt-xml-validate >/dev/null || skip "virt-xml-validate is not installed (make deps)"
	save_hugepages
	HP_SAVED=1
	hugepages setup 64M --page-size 2M >/dev/null
	run -0 --separate-stderr vmlaunch --libvirt --emit-xml --name huge --vcpu-map 0:1 --memory 64M --hugepages
	echo "$output" > "$BATS_TEST_TMPDIR/huge.xml"
	virt-xml-validate "$BATS_TEST_TMPDIR/huge.xml" domain
	assert_equal "$(xmllint --xpath 'string(//memoryBacking/hugepages/page/@size)' "$BATS_TEST_TMPDIR/huge.xml")" 2048
	assert_equal "$(xmllint --xpath 'string(//memoryBacking/allocation/@mode)' "$BATS_TEST_TMPDIR/huge.xml")" immediate
	assert_equal "$(xmllint --xpath 'string(//numatune/memory/@nodeset)' "$BATS_TEST_TMPDIR/huge.xml")" 0
}

@test "pincheck vm --libvirt against the test driver: findings through the API; errors name the domain and URI" {
	run -0 pincheck vm --libvirt pinned --connect "$TESTURI" --vcpu-map 0:2,1:3 --json
	assert_equal "$(jqo '.libvirt.local')" false
	assert_equal "$(jqo -c '[.vcpus[] | [.vcpu, .allowed]]')" '[[0,"2"],[1,"3"]]'
	assert_equal "$(jqo '.findings[] | select(.id == "vcpu-map") | .severity')" ok
	assert_equal "$(jqo '.findings[] | select(.id == "memory-hugepages") | .severity')" ok
	run -1 pincheck vm --libvirt unpinned --connect "$TESTURI" --json
	assert_equal "$(jqo '.findings[] | select(.id == "vcpu-pinned") | .severity')" fail
	[[ $(jqo '.findings[] | select(.id == "vcpu-pinned") | .hint') == *"vmlaunch attach --libvirt unpinned --connect $TESTURI"* ]]
	run -2 --separate-stderr pincheck vm --libvirt nosuch --connect "$TESTURI"
	[[ $stderr == "pincheck: domain 'nosuch' on $TESTURI: Domain not found"* ]]
	run -2 --separate-stderr pincheck vm --libvirt halted --connect "$TESTURI"
	assert_equal "$stderr" "pincheck: domain 'halted' on $TESTURI is not running"
	run -2 --separate-stderr pincheck vm --libvirt pinned --connect "$TESTURI" --sample 1
	[[ $stderr == *"--sample needs the domain's QEMU on this host"* ]]
	run -2 --separate-stderr pincheck vm --libvirt x --connect "qemu:///system?socket=$BATS_TEST_TMPDIR/none"
	[[ $stderr == "pincheck: cannot connect to libvirt at qemu:///system?socket=$BATS_TEST_TMPDIR/none: "*"No such file or directory"* ]]
}

@test "vmlaunch against the test driver: attach re-pins and verifies, list shows only vmlaunch's domains, stop refuses others" {
	run -0 --separate-stderr vmlaunch attach --libvirt unpinned --connect "$TESTURI" --vcpu-map 0:4,1:5 --emulator-cpus 0-1 --json
	assert_equal "$(jqo -c '[.vcpus[] | [.vcpu, .cpu, .tid]]')" '[[0,4,null],[1,5,null]]'
	assert_equal "$(jqo .emulator_cpus)" 0-1
	assert_equal "$(jqo .verified)" "libvirt API"
	run -2 --separate-stderr vmlaunch attach --libvirt nosuch --connect "$TESTURI" --vcpu-map 0:4
	[[ $stderr == "vmlaunch: domain 'nosuch' on $TESTURI: Domain not found"* ]]
	run -2 --separate-stderr vmlaunch stop --libvirt nosuch --connect "$TESTURI"
	[[ $stderr == "vmlaunch: domain 'nosuch' on $TESTURI: Domain not found"* ]]
	run -2 --separate-stderr vmlaunch attach --libvirt halted --connect "$TESTURI" --vcpu-map 0:4
	[[ $stderr == *"domain 'halted' on $TESTURI is not running"* ]]
	run -2 --separate-stderr vmlaunch attach --libvirt unpinned --connect "$TESTURI" --vcpu-map 0:4
	assert_equal "$stderr" "vmlaunch: domain 'unpinned' has 2 vCPUs, the map names 1"
	run -0 vmlaunch list --libvirt --connect "$TESTURI" --json
	assert_equal "$(jqo -c '[.[] | .name]')" '["pinned"]'
	assert_equal "$(jqo -c '.[0].vcpus')" '[{"vcpu":0,"cpu":2},{"vcpu":1,"cpu":3}]'
	run -1 --separate-stderr vmlaunch stop --libvirt unpinned --connect "$TESTURI"
	[[ $stderr == *"was not started by vmlaunch: stop it with virsh" ]]
	run -0 vmlaunch stop --libvirt pinned --connect "$TESTURI"
	# Launch: defined, started, pinned and verified through the API.
	run -0 --separate-stderr vmlaunch --libvirt --connect "$TESTURI" --name fresh --vcpu-map 0:6,1:7 --emulator-cpus 0 --daemonize --json
	assert_equal "$(jqo -c '[.vcpus[] | .cpu]')" '[6,7]'
	run -1 --separate-stderr vmlaunch --libvirt --connect "$TESTURI" --name pinned --vcpu-map 0:6 --daemonize
	[[ $stderr == *"a domain named 'pinned' already exists on $TESTURI"* ]]
	run -2 --separate-stderr vmlaunch --libvirt --connect "$TESTURI" --name big --vcpu-map 0:8 --daemonize
	[[ $stderr == *"invalid --vcpu-map '0:8'"* ]]
}

@test "a real libvirtd: define, start pinned, every vCPU thread checked in /proc, re-pinned live and checked again, stopped" {
	start_libvirtd hugepages
	save_hugepages
	HP_SAVED=1
	hugepages setup 64M --page-size 2M >/dev/null
	run -0 --separate-stderr vmlaunch --libvirt --connect "$URI" --name bats-lv --vcpu-map 0:1,1:0 --emulator-cpus 1 \
		--allow-shared --memory 64M --hugepages --daemonize --json
	local pid
	pid=$(jqo .pid)
	assert_equal "$(jqo .verified)" "libvirt API and /proc"
	assert_equal "$(jqo .accel)" tcg
	assert_equal "$(thread_cpus "$pid" "CPU 0/TCG")" 1
	assert_equal "$(thread_cpus "$pid" "CPU 1/TCG")" 0
	assert_equal "$(other_cpus "$pid")" 1
	grep -q -- "-uuid" "/proc/$pid/cmdline"
	run -0 vmlaunch list --libvirt --connect "$URI" --json
	assert_equal "$(jqo -c '.[] | [.name, .pid, .phase]')" "[\"bats-lv\",$pid,\"running\"]"
	# Live re-pin: libvirt for the vCPUs and its config, vmlaunch for threads libvirt leaves.
	run -0 --separate-stderr vmlaunch attach --libvirt bats-lv --connect "$URI" --vcpu-map 0:0,1:1 --emulator-cpus 0 --allow-shared
	assert_equal "$(thread_cpus "$pid" "CPU 0/TCG")" 0
	assert_equal "$(thread_cpus "$pid" "CPU 1/TCG")" 1
	assert_equal "$(other_cpus "$pid")" 0
	run -0 virsh -q -c "$URI" vcpupin bats-lv --config
	assert_line --regexp '^ *0 +0$'
	assert_line --regexp '^ *1 +1$'
	run pincheck vm --libvirt bats-lv --connect "$URI" --vcpu-map 0:0,1:1 --sample 0.3 --json
	assert_equal "$(jqo .libvirt.local)" true
	assert_equal "$(jqo '.findings[] | select(.id == "vcpu-map") | .severity')" ok
	assert_equal "$(jqo '.findings[] | select(.id == "memory-hugepages") | .severity')" ok
	run -0 vmlaunch stop --libvirt bats-lv --connect "$URI" --grace 0
	run -0 virsh -q -c "$URI" list --all --name
	assert_output ""
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	run kill -0 "$pid"
	assert_failure
}

@test "a real libvirtd, in the foreground: the guest's poweroff ends vmlaunch and the domain; SIGTERM stops and undefines" {
	start_libvirtd
	[ -e "$BUILD/guest/vmlinuz" ] || skip "the guest image is not built (make guest)"
	# The guest's init finds no role, says so and powers off: vmlaunch follows it.
	run -0 --separate-stderr timeout 120 vmlaunch --libvirt --connect "$URI" --name bats-fg --vcpu-map 0:1 \
		--emulator-cpus 0 --memory 256M --kernel "$BUILD/guest/vmlinuz" --initrd "$BUILD/guest/initrd.img" \
		--append "console=ttyS0 panic=1" --console-log "$BATS_TEST_TMPDIR/console.log"
	run -0 virsh -q -c "$URI" list --all --name
	assert_output ""
	# SIGTERM to a foreground vmlaunch: shutdown, grace, destroy, undefine; exit 0.
	vmlaunch --libvirt --connect "$URI" --name bats-term --vcpu-map 0:1 --emulator-cpus 0 --memory 64M --grace 0.2 \
		>"$BATS_TEST_TMPDIR/term.out" 2>&1 &
	local vl=$!
	for _ in $(seq 200); do grep -q "pinned before its first instruction" "$BATS_TEST_TMPDIR/term.out" && break; sleep 0.05; done
	kill -TERM "$vl"
	local rc=0
	wait "$vl" || rc=$?
	assert_equal "$rc" 0
	run -0 virsh -q -c "$URI" list --all --name
	assert_output ""
}

@test "vmbench backend = libvirt: the benchmark's guest as a libvirt domain, pinned and sampled; results as with QEMU; nothing left" {
	[ -s "$BUILD/guest/initrd.img" ] || skip "no guest image: run 'make guest' (make check builds it)"
	start_libvirtd hugepages
	save_hugepages
	HP_SAVED=1
	local before out=$BATS_TEST_TMPDIR/out
	before=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)
	{ cat "$FIX/bench/vm-gen.conf"; printf 'backend = libvirt\nlibvirt_uri = %s\n' "$URI"; } >"$BATS_TEST_TMPDIR/lv.conf"
	run -0 --separate-stderr vmbench run "$BATS_TEST_TMPDIR/lv.conf" --out "$out/g"
	assert_guest_run "$out/g" vm-gen libvirt
	# vmlaunch went through libvirt and verified against the API and /proc.
	assert_equal "$(jq -r '.configurations[0].vm.pinned.backend' "$out/g/results.json")" libvirt
	assert_equal "$(jq -r '.configurations[0].vm.pinned.verified' "$out/g/results.json")" "libvirt API and /proc"
	grep -q "guest under libvirt" "$out/g/table.txt"
	# The sampler read the domain through libvirt.
	assert_equal "$(jq -r '.[0].report.libvirt.local' "$out/g/pinning.json")" true
	# The domain is gone (undefined), its QEMU too; the pool is as it was.
	run -0 virsh -q -c "$URI" list --all --name
	assert_output ""
	run pgrep -f "$out"
	assert_failure
	assert_equal "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)" "$before"
	# A URI of another host is refused where the profile says it.
	{ cat "$FIX/bench/vm-gen.conf"; printf 'backend = libvirt\nlibvirt_uri = qemu+ssh://elsewhere/system\n'; } >"$BATS_TEST_TMPDIR/far.conf"
	run -2 --separate-stderr vmbench run "$BATS_TEST_TMPDIR/far.conf" --out "$out/f"
	# The URI is the file's last line.
	[[ $stderr == *"far.conf:$(wc -l <"$BATS_TEST_TMPDIR/far.conf"): libvirt_uri: invalid value 'qemu+ssh://elsewhere/system' (a URI of this host's libvirt"* ]]
	[ ! -e "$out/f" ]
}

@test "a remote URI (qemu+ssh): vmlaunch and pincheck through libvirt's ssh transport, the API only; ssh runs its command here" {
	start_libvirtd
	cp "$TOP/tests/cli/ssh-here" "$BATS_TEST_TMPDIR/ssh"
	local r="qemu+ssh://root@lab7/system?command=$BATS_TEST_TMPDIR/ssh&socket=$LV_DIR/libvirt-sock"
	run -0 --separate-stderr vmlaunch --libvirt --connect "$r" --name bats-far --vcpu-map 0:1,1:0 --emulator-cpus 1 \
		--accel tcg --memory 64M --daemonize --json
	# Remote: checked and verified through the API; no /proc, no pid.
	[[ $stderr == *"is not this host: its SMT, isolation and NUMA are not checked here"* ]]
	assert_equal "$(jqo .verified)" "libvirt API"
	assert_equal "$(jqo .pid)" null
	assert_equal "$(jqo -c '[.vcpus[] | [.vcpu, .cpu]]')" '[[0,1],[1,0]]'
	# libvirt went through "ssh" to host lab7 as root, and ran its netcat there.
	grep -q -- "-l root -T -e none -- lab7 sh -c .*nc.* -U $LV_DIR/libvirt-sock" "$BATS_TEST_TMPDIR/ssh.log"
	# The domain's QEMU is really pinned (this "remote" host is this one).
	local pid
	pid=$(virsh -q -c "$URI" qemu-monitor-command bats-far --hmp 'info cpus' >/dev/null && pgrep -f 'guest=bats-far')
	assert_equal "$(thread_cpus "$pid" "CPU 0/TCG")" 1
	assert_equal "$(thread_cpus "$pid" "CPU 1/TCG")" 0
	run -0 --separate-stderr pincheck vm --libvirt bats-far --connect "$r" --vcpu-map 0:1,1:0 --json
	assert_equal "$(jqo .libvirt.local)" false
	assert_equal "$(jqo '.findings[] | select(.id == "libvirt-remote") | .severity')" ok
	assert_equal "$(jqo '.findings[] | select(.id == "vcpu-map") | .severity')" ok
	assert_equal "$(jqo -c '[.vcpus[] | [.tid, .migrations]]')" '[[null,null],[null,null]]'
	run -0 pincheck vm --libvirt bats-far --connect "$r"
	assert_line --regexp '^ +0 +- +1 +1 +- +$'
	run -2 --separate-stderr pincheck vm --libvirt bats-far --connect "$r" --sample 1
	[[ $stderr == *"--sample needs the domain's QEMU on this host"* ]]
	run -0 --separate-stderr vmlaunch attach --libvirt bats-far --connect "$r" --vcpu-map 0:0,1:1 --accel tcg
	assert_equal "$(thread_cpus "$pid" "CPU 0/TCG")" 0
	assert_equal "$(thread_cpus "$pid" "CPU 1/TCG")" 1
	run -0 vmlaunch list --libvirt --connect "$r" --json
	assert_equal "$(jqo -c '[.[] | .name]')" '["bats-far"]'
	run -0 --separate-stderr vmlaunch stop --libvirt bats-far --connect "$r" --grace 0
	run -0 virsh -q -c "$URI" list --all --name
	assert_output ""
	# A host that cannot be reached: libvirt's message, the URI named, exit 1.
	printf '#!/bin/sh\necho "ssh: connect to host lab7 port 22: Connection refused" >&2\nexit 255\n' >"$BATS_TEST_TMPDIR/nossh"
	chmod +x "$BATS_TEST_TMPDIR/nossh"
	run -1 --separate-stderr vmlaunch list --libvirt --connect "qemu+ssh://lab7/system?command=$BATS_TEST_TMPDIR/nossh"
	[[ $stderr == "vmlaunch: cannot connect to libvirt at qemu+ssh://lab7/system?command=$BATS_TEST_TMPDIR/nossh: "* ]]
}
