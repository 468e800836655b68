#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2154 # bats' run sets output, stderr and lines
# vmbench: a short loopback run produces every results file; compare; bad profiles.
load helper

setup() {
	need_root
	save_hugepages
	OUT=$BATS_TEST_TMPDIR/out
}

teardown() {
	[ -n "${MNT:-}" ] && umount "$MNT" 2>/dev/null
	# A process a test started to keep a CPU busy, whatever happened to the test.
	if [ -n "${BUSY:-}" ] && kill -0 "$BUSY" 2>/dev/null; then kill -9 "$BUSY"; wait "$BUSY" 2>/dev/null || true; fi
	cleanup_vms
	restore_hugepages
}

# Start a command in the background that keeps a CPU busy; BUSY is its pid (teardown
# kills it).
busy() {
	"$@" 3>&- &
	BUSY=$!
}

# Stop it now.
unbusy() {
	kill -TERM "$BUSY"
	wait "$BUSY" 2>/dev/null || true
	BUSY=''
}

@test "run: every results file, written atomically; the host's hugepages as they were" {
	local before
	before=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)
	dpdk_dir_before
	run -0 --separate-stderr vmbench run "$FIX/bench/quick.conf" --out "$OUT/a"
	assert_line "results in $OUT/a"
	assert_line --regexp '^1 queue +[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3}$'
	for f in results.json results.csv table.txt plot.png plot.svg plot.gp env.json raw/trafficgen-1q.jsonl raw/reflector-1q.jsonl; do
		[ -s "$OUT/a/$f" ] || fail "missing $f"
	done
	run ls -d "$OUT"/a.tmp-*
	assert_failure
	assert_equal "$(jq '.configurations[0].results | map(.size) | join(",")' "$OUT/a/results.json")" '"64,256"'
	assert_equal "$(jq '.configurations[0].results[0].mpps > 0.1' "$OUT/a/results.json")" true
	# The reflector's data path, as its ready line said: the direct one by default.
	assert_equal "$(jq -r '.configurations[0].reflector_datapath' "$OUT/a/results.json")" direct
	assert_equal "$(jq -r '.reflector_datapath' "$OUT/a/env.json")" direct
	assert_equal "$(wc -l <"$OUT/a/results.csv")" 3
	for k in cpu_model topology kernel cmdline isolated hugepages dpdk qemu pinlab profile commands plan; do
		assert_equal "$(jq --arg k "$k" 'has($k)' "$OUT/a/env.json")" true
	done
	assert_equal "$(jq '.commands | length' "$OUT/a/env.json")" 2
	assert_equal "$(jq -r '.commands[0][0]' "$OUT/a/env.json" | xargs basename)" reflector
	file "$OUT/a/plot.png" | grep -q 'PNG image'
	assert_equal "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)" "$before"
	assert_dpdk_dir_as_before
	# Never overwritten.
	run -2 --separate-stderr vmbench run "$FIX/bench/quick.conf" --out "$OUT/a"
	[[ $stderr == *"exists: choose another --out"* ]]
}

@test "compare: per-cell ratios and whether the fingerprints differ" {
	vmbench run "$FIX/bench/quick.conf" --out "$OUT/a" >/dev/null 2>&1
	vmbench run "$FIX/bench/quick.conf" --out "$OUT/b" >/dev/null 2>&1
	run -0 vmbench compare "$OUT/a" "$OUT/b"
	assert_line --regexp '^1 queue +64 +[0-9.]+ +[0-9.]+ +[0-9]\.[0-9]{3} +[0-9.]+  unknown \(1 trial: noise not measured\)$'
	assert_line "fingerprints: the same host, software and settings"
	jq '.kernel = "4.9.0"' "$OUT/b/env.json" >"$OUT/env" && mv "$OUT/env" "$OUT/b/env.json"
	run -0 vmbench compare --json "$OUT/a" "$OUT/b"
	assert_equal "$(jqo '.fingerprint_differs[0].key')" kernel
	assert_equal "$(jqo '.cells | length')" 2
	run -2 --separate-stderr vmbench compare "$OUT/a" /nonexistent
	[[ $stderr == *"/nonexistent is not a results directory"* ]]
	# The PMD data path: said in the results, a fingerprint difference.
	sed 's/^\[bench\]$/[bench]\nreflector_datapath = pmd/' "$FIX/bench/quick.conf" >"$OUT/pmd.conf"
	vmbench run "$OUT/pmd.conf" --out "$OUT/c" >/dev/null 2>&1
	assert_equal "$(jq -r '.configurations[0].reflector_datapath' "$OUT/c/results.json")" pmd
	run -0 vmbench compare --json "$OUT/a" "$OUT/c"
	assert_equal "$(jqo -c '.fingerprint_differs | map(select(.key == "reflector_datapath")) | .[0] | [.a, .b]')" '["direct","pmd"]'
	printf '[bench]\nmode = vm-reflect\n[vm]\nguest_driver = kernel\n' >"$OUT/kr.conf"
	run -2 --separate-stderr vmbench run "$OUT/kr.conf" --out "$OUT/x"
	assert_equal "$stderr" "vmbench: $OUT/kr.conf: guest_driver = kernel runs in mode = vm-gen only: use guest_driver = dpdk"
	printf '[bench]\nmode = vm-gen\nqueues = 1,2\n[vm]\nguest_driver = kernel\n' >"$OUT/kq.conf"
	run -2 --separate-stderr vmbench run "$OUT/kq.conf" --out "$OUT/x"
	assert_equal "$stderr" "vmbench: $OUT/kq.conf: guest_driver = kernel runs 1 queue: set queues = 1 in [bench]"
	printf '[bench]\nmode = vm-gen\n[vm]\nguest_driver = virtio\n' >"$OUT/kb.conf"
	run -2 --separate-stderr vmbench run "$OUT/kb.conf" --out "$OUT/x"
	assert_equal "$stderr" "vmbench: $OUT/kb.conf:4: guest_driver: invalid value 'virtio' (dpdk or kernel)"
	printf '[bench]\nreflector_datapath = dpdk\n' >"$OUT/bad.conf"
	run -2 --separate-stderr vmbench run "$OUT/bad.conf" --out "$OUT/x"
	assert_equal "$stderr" "vmbench: $OUT/bad.conf:2: reflector_datapath: invalid value 'dpdk' (direct or pmd)"
}

@test "bad profiles name the file, line and key; exit 2; nothing written" {
	run -2 --separate-stderr vmbench run "$FIX/bench/unknown-key.conf" --out "$OUT/x"
	[[ $stderr == "vmbench: $FIX/bench/unknown-key.conf:3: unknown key 'sizez'"* ]]
	run -2 --separate-stderr vmbench run "$FIX/bench/bad-value.conf" --out "$OUT/x"
	assert_equal "$stderr" "vmbench: $FIX/bench/bad-value.conf:4: duration: invalid value 'soon' (seconds, more than 0, at most 3600)"
	run -2 --separate-stderr vmbench run /nonexistent.conf --out "$OUT/x"
	[[ $stderr == "vmbench: cannot read profile /nonexistent.conf: No such file or directory"* ]]
	run -2 --separate-stderr vmbench run no-such-profile --out "$OUT/x"
	[[ $stderr == "vmbench: no bench profile 'no-such-profile' (there are: "*"loopback"*"; or give a file)" ]]
	[ ! -e "$OUT/x" ]
	run -2 --separate-stderr vmbench frobnicate
	run -0 vmbench --help
	assert_line --partial "vmbench run PROFILE [--out DIR]"
}

@test "vmbench(1) names every shipped profile and every key the parser takes (its lists cannot go stale)" {
	local man=$TOP/docs/man/vmbench.1.scd t k section keys
	for t in "$TOP"/templates/bench/*.conf; do
		t=$(basename "$t" .conf)
		grep -q "\*$t\*" "$man" || fail "vmbench(1) does not list the shipped profile $t"
	done
	# The keys, as the parser names them when it refuses an unknown one.
	for section in bench vm; do
		printf '[%s]\nno_such_key = 1\n' "$section" >"$BATS_TEST_TMPDIR/k.conf"
		run -2 --separate-stderr vmbench run "$BATS_TEST_TMPDIR/k.conf" --out "$OUT/x"
		keys=$(sed -n "s/.*unknown key 'no_such_key' in \[$section\] (\(.*\))\$/\1/p" <<<"$stderr")
		[ -n "$keys" ] || fail "no key list in: $stderr"
		for k in ${keys//,/ }; do
			grep -q "\*$k\*" "$man" || fail "vmbench(1) does not describe [$section] $k"
		done
	done
}

@test "lcores the host does not have are refused before anything starts (the 2017 matrix on a small host)" {
	[ "$(nproc --all)" -lt 8 ] || skip "this host has 8 CPUs: the 2017 matrix fits it"
	run -2 --separate-stderr vmbench run matrix-2017 --out "$OUT/m"
	[[ $stderr == *"matrix-2017.conf: reflector_lcores CPU 2, which does not exist on this host"* ]]
	[ ! -e "$OUT/m" ]
	run pgrep -f "$OUT"
	assert_failure
}

@test "Ctrl-C stops the reflector and trafficgen, writes nothing, gives the hugepages back" {
	local before
	before=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)
	vmbench run loopback --out "$OUT/int" >"$BATS_TEST_TMPDIR/log" 2>&1 3>&- &
	local pid=$!
	wait_for_line "$BATS_TEST_TMPDIR/log" "1q 64 B:"
	kill -INT "$pid"
	local rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 1
	grep -q "vmbench: interrupted: nothing written" "$BATS_TEST_TMPDIR/log"
	[ ! -e "$OUT/int" ]
	run ls -d "$OUT"/int.tmp-*
	assert_failure
	# Its children (their sockets are in /tmp/vmbench-PID.*) are gone, and so are the sockets.
	run pgrep -f "/tmp/vmbench-$pid\."
	assert_failure
	run ls -d /tmp/vmbench-"$pid".*
	assert_failure
	assert_equal "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)" "$before"
}

@test "no shell: a results path with quotes and \$(...) is a path, a profile name with them is refused" {
	local out="$OUT/it's \$(touch $BATS_TEST_TMPDIR/P1) \`touch $BATS_TEST_TMPDIR/P2\`"
	run -0 --separate-stderr vmbench run "$FIX/bench/quick.conf" --out "$out"
	assert_line "results in $out"
	[ -s "$out/plot.png" ] && [ -s "$out/results.json" ]
	[ ! -e "$BATS_TEST_TMPDIR/P1" ] && [ ! -e "$BATS_TEST_TMPDIR/P2" ]
	sed "s|^name = quick|name = x';touch $BATS_TEST_TMPDIR/P3;'|" "$FIX/bench/quick.conf" >"$BATS_TEST_TMPDIR/evil.conf"
	run -2 --separate-stderr vmbench run "$BATS_TEST_TMPDIR/evil.conf" --out "$OUT/evil"
	[[ $stderr == *"evil.conf:3: name: invalid value 'x';touch "*"1-63 of letters, digits"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/P3" ] && [ ! -e "$OUT/evil" ]
	# Anyone redrawing the plot by hand runs gnuplot on a script with quoted strings
	# only; by itself it redraws plot.png and plot.svg, as its first line says.
	rm "$out/plot.png" "$out/plot.svg"
	(cd "$out" && gnuplot plot.gp)
	[ -s "$out/plot.png" ] && [ -s "$out/plot.svg" ]
	head -1 "$out/plot.gp" | grep -q "redraws plot.png and plot.svg"
	(cd "$out" && gnuplot -e "set terminal svg; set output 'again.svg'; once = 1" plot.gp)
	[ -s "$out/again.svg" ]
}

@test "a full filesystem: a write fails, exit 1, no results directory at all (not one with empty files)" {
	MNT=$BATS_TEST_TMPDIR/full
	mkdir "$MNT"
	mount -t tmpfs -o size=48k tmpfs "$MNT"
	run -1 --separate-stderr vmbench run "$FIX/bench/quick.conf" --out "$MNT/r"
	echo "$stderr" >&2
	[[ $stderr == *"No space left on device"* ]]
	[[ $output != *"results in"* ]]
	run ls -A "$MNT"
	assert_output ""
}

@test "profiles: a FIFO or /dev/zero does not hang, a directory is not an empty profile, long lines are not split, bad numbers" {
	run -2 --separate-stderr timeout 10 vmbench run /dev/zero --out "$OUT/z"
	assert_equal "$stderr" "vmbench: cannot read profile /dev/zero: not a regular file"
	mkfifo "$BATS_TEST_TMPDIR/fifo.conf"
	run -2 --separate-stderr timeout 10 vmbench run "$BATS_TEST_TMPDIR/fifo.conf" --out "$OUT/z"
	assert_equal "$stderr" "vmbench: cannot read profile $BATS_TEST_TMPDIR/fifo.conf: not a regular file"
	mkdir "$BATS_TEST_TMPDIR/dir.conf"
	run -2 --separate-stderr vmbench run "$BATS_TEST_TMPDIR/dir.conf" --out "$OUT/z"
	assert_equal "$stderr" "vmbench: cannot read profile $BATS_TEST_TMPDIR/dir.conf: it is a directory"
	# A key hidden at the end of a 300-byte comment is a comment; a 300-byte key line is an error.
	{ echo "[bench]"; printf '# %0300d sizes = 9000\n' 0; echo "sizes = 64"; } >"$BATS_TEST_TMPDIR/long.conf"
	run -0 vmbench run "$BATS_TEST_TMPDIR/long.conf" --out "$OUT/long"
	assert_equal "$(jq -c '[.configurations[0].results[].size]' "$OUT/long/results.json")" "[64]"
	{ echo "[bench]"; printf 'name = %0300d\n' 0; } >"$BATS_TEST_TMPDIR/longkey.conf"
	run -2 --separate-stderr vmbench run "$BATS_TEST_TMPDIR/longkey.conf" --out "$OUT/z"
	assert_equal "$stderr" "vmbench: $BATS_TEST_TMPDIR/longkey.conf:2: line longer than 198 bytes (split the value or shorten it)"
	# An unknown key's message is whole, however long the path.
	run -2 --separate-stderr vmbench run "$FIX/bench/unknown-key.conf" --out "$OUT/z"
	[[ $stderr == *"tolerance, hugepages)" ]]
	local k kv
	for kv in "rate = nan" "rate = inf" "rate = 1e308Gbps" "rate = 0pps" "duration = inf" "duration = nan" \
		"warmup = -1" "police = nan" "police = 1e308Mpps" "trials = 1e3" "hugepages = 18446744073709551615"; do
		k=${kv%% =*}
		{ echo "[bench]"; echo "$kv"; } >"$BATS_TEST_TMPDIR/n.conf"
		run -2 --separate-stderr vmbench run "$BATS_TEST_TMPDIR/n.conf" --out "$OUT/z"
		[[ $stderr == "vmbench: $BATS_TEST_TMPDIR/n.conf:2: $k: invalid value "* ]] || fail "$kv: $stderr"
	done
	[ ! -e "$OUT/z" ]
}

@test "[vm] backend and libvirt_uri: bad values, a remote URI and a URI without the libvirt backend are one line, exit 2" {
	# A vm-gen profile whose [vm] section has the lines given (from line 4).
	vmconf() { printf '[bench]\nmode = vm-gen\n[vm]\n'; printf '%s\n' "$@"; }
	vmconf "backend = xen" >"$BATS_TEST_TMPDIR/b.conf"
	run -2 --separate-stderr vmbench run "$BATS_TEST_TMPDIR/b.conf" --out "$OUT/z"
	assert_equal "$stderr" "vmbench: $BATS_TEST_TMPDIR/b.conf:4: backend: invalid value 'xen' (qemu or libvirt)"
	vmconf "backend = libvirt" "libvirt_uri = qemu+tcp://lab7/system" >"$BATS_TEST_TMPDIR/b.conf"
	run -2 --separate-stderr vmbench run "$BATS_TEST_TMPDIR/b.conf" --out "$OUT/z"
	[[ $stderr == "vmbench: $BATS_TEST_TMPDIR/b.conf:5: libvirt_uri: invalid value 'qemu+tcp://lab7/system' (a URI of this host's libvirt"* ]]
	vmconf "libvirt_uri = qemu:///system" >"$BATS_TEST_TMPDIR/b.conf"
	run -2 --separate-stderr vmbench run "$BATS_TEST_TMPDIR/b.conf" --out "$OUT/z"
	assert_equal "$stderr" "vmbench: $BATS_TEST_TMPDIR/b.conf: libvirt_uri without backend = libvirt in [vm]"
	vmconf "backend = qemu" "[bench]" "mode = host" >"$BATS_TEST_TMPDIR/b.conf"
	run -2 --separate-stderr vmbench run "$BATS_TEST_TMPDIR/b.conf" --out "$OUT/z"
	[[ $stderr == *"a [vm] section, but mode = host"* ]]
	[ ! -e "$OUT/z" ]
}

# A results directory $2 made from $1 by the jq program $3 on results.json (and $4 on env.json).
derive() {
	mkdir -p "$2"
	jq "$3" "$1/results.json" >"$2/results.json"
	jq "${4:-.}" "$1/env.json" >"$2/env.json"
}

@test "compare judges against the noise: spread, significance, too noisy, and --threshold as a CI gate" {
	vmbench run "$FIX/bench/quick.conf" --out "$OUT/a" >/dev/null 2>&1
	# Three trials per cell with a tight spread, at A's figures, on a quiet host (the
	# machine these tests run on may not be).
	local tight='.trials = 3 | .configurations[].results[] |= (.trials = 3 | .mpps_min = .mpps * 0.99 | .mpps_max = .mpps * 1.01)'
	local quiet='.host_load.idle_before.busy_pct = 0 | .host_load.during.steal_pct = 0'
	derive "$OUT/a" "$OUT/t" "$tight" "$quiet"
	# B 30 % slower, as tight: significant, and a regression beyond 5 %: exit 1.
	derive "$OUT/a" "$OUT/slow" "$tight | .configurations[].results[] |= (.mpps *= 0.7 | .mpps_min = .mpps * 0.99 | .mpps_max = .mpps * 1.01)" "$quiet"
	run -1 vmbench compare "$OUT/t" "$OUT/slow" --threshold 5
	assert_line --regexp '^1 queue +64 .* worse  REGRESSION$'
	assert_line "2 cells worse by more than 5% and beyond the noise"
	run -1 vmbench compare --json "$OUT/t" "$OUT/slow" --threshold 5
	assert_equal "$(jqo '[.cells[] | .significant and .regression and (.change_pct | round) == -30] | all')" true
	# Without --threshold, a report only: exit 0.  Beyond 40 %, no regression.
	run -0 vmbench compare "$OUT/t" "$OUT/slow"
	run -0 vmbench compare "$OUT/t" "$OUT/slow" --threshold 40
	# B 3 % slower but its trials spread 20 %: within the noise, not significant, and B is
	# too noisy: the gate cannot tell (exit 3), it does not pass.
	derive "$OUT/a" "$OUT/wide" "$tight | .configurations[].results[] |= (.mpps *= 0.97 | .mpps_min = .mpps * 0.9 | .mpps_max = .mpps * 1.1)" "$quiet"
	run -3 vmbench compare --json "$OUT/t" "$OUT/wide" --threshold 1
	assert_equal "$(jqo '[.cells[] | .significant == false and .verdict == "within noise"] | all')" true
	assert_equal "$(jqo '.too_noisy')" true
	assert_equal "$(jqo '.runs.b.noisy')" true
	assert_equal "$(jqo '.verdict')" "cannot tell"
	# B 30 % slower, beyond both spreads, in a comparison too noisy to trust (B spreads
	# 11 %): "too noisy", never "worse", never REGRESSION; the gate cannot tell.
	derive "$OUT/a" "$OUT/noisyslow" "$tight | .configurations[].results[] |= (.mpps *= 0.7 | .mpps_min = .mpps * 0.95 | .mpps_max = .mpps * 1.06)" "$quiet"
	run -3 vmbench compare "$OUT/t" "$OUT/noisyslow" --threshold 5
	assert_line --regexp '^1 queue +64 .* too noisy$'
	refute_line --partial "REGRESSION"
	refute_line --regexp '^1 queue .* worse'
	assert_line "cannot tell whether B is worse than A by more than 5%: too noisy to compare"
	# Runs that measured different things (another search, another profile): not
	# comparable, the keys named; --force judges them anyway.
	derive "$OUT/a" "$OUT/ndr" "$tight | .search = \"ndr\" | .name = \"other\" | .configurations[].results[] |= (.mpps *= 0.7 | .mpps_min = .mpps * 0.99 | .mpps_max = .mpps * 1.01)" "$quiet"
	run -3 vmbench compare "$OUT/t" "$OUT/ndr" --threshold 5
	assert_line "not comparable: the runs measured different things"
	assert_line "  search: none  vs  ndr"
	assert_line "  profile: quick  vs  other"
	assert_line --regexp '^1 queue +64 .* not comparable$'
	assert_line "cannot tell whether B is worse than A by more than 5%: not comparable"
	run -1 vmbench compare "$OUT/t" "$OUT/ndr" --threshold 5 --force
	assert_line "not comparable: the runs measured different things (compared anyway: --force)"
	assert_line --regexp '^1 queue +64 .* worse  REGRESSION$'
	# The 2017 puzzle: 6.7 and 21.5 Mpps on a shared host, "the same host, software and
	# settings": now the stolen time and the busy host are named.
	derive "$OUT/a" "$OUT/shared" "$tight" '.host_load.idle_before.busy_pct = 35 | .host_load.during.steal_pct = 12.5'
	run -0 vmbench compare "$OUT/t" "$OUT/shared"
	assert_line "  too noisy: others kept the host 35% busy before it started"
	assert_line "  too noisy: the hypervisor stole 12.5% of the CPU time"
	assert_line --partial "too noisy to compare:"
	run -2 --separate-stderr vmbench compare "$OUT/t" "$OUT/slow" --threshold much
	[[ $stderr == "vmbench: invalid --threshold 'much' (a percentage, 0-100)"* ]]
	# The run's own record of its host's load: before (idle), during, after.
	assert_equal "$(jq '.host_load | [.idle_before.seconds > 0.4, .during.seconds > 0, (.during.busy_pct | type) == "number", .idle_after.seconds > 0.4] | all' "$OUT/a/env.json")" true
}

@test "a run on a busy host says so where its figures are read: table.txt's first NOTE, its last lines" {
	# Another process busy on one of the two CPUs while the run looks at the idle host.
	busy bash -c 'while :; do :; done'
	run -0 --separate-stderr vmbench run "$FIX/bench/quick.conf" --out "$OUT/busy" --force
	unbusy
	assert_equal "$(jq '.noise.noisy' "$OUT/busy/results.json")" true
	grep -q '^NOTE: too noisy to take these figures as the path.s: .*others kept the host [0-9]*% busy before it started' "$OUT/busy/table.txt"
	assert_equal "$(tail -n 1 <<<"$output" | cut -c1-60)" "NOTE: this run was too noisy to take its figures as the path"
	assert_results_schema "$OUT/busy"
}

@test "one benchmark per CPU: a busy reflector or a pinned VM on its CPUs refuses the run (exit 1, named); --force runs and says so" {
	local sock=$BATS_TEST_TMPDIR/other.sock log=$BATS_TEST_TMPDIR/other.log
	hugepages reserve 256M --page-size 2M >/dev/null
	# Another benchmark: a reflector polling on CPU 1.
	busy reflector -l 0,1 --main-lcore 0 --no-pci --log-level=3 -- --vhost "$sock" --stats 0 --json >"$log" 2>&1
	local other=$BUSY
	wait_for_line "$log" '"type":"ready"'
	run -1 --separate-stderr vmbench run "$FIX/bench/quick.conf" --out "$OUT/q"
	[[ $stderr == *"vmbench: CPU 1: thread 'rte-worker-1' of reflector (pid $other) used "*"% of it"* ]] || fail "$stderr"
	[[ $stderr == *"vmbench: the CPUs this run needs are busy (above): another benchmark? Stop it, or pass --force"* ]]
	[ ! -e "$OUT/q" ]
	run -0 --separate-stderr vmbench run "$FIX/bench/quick.conf" --out "$OUT/f" --force
	[[ $stderr == *"running beside "*" busy thread"*" on its CPUs (--force)"* ]] || fail "$stderr"
	assert_equal "$(jq -r '.notes[] | select(startswith("ran beside a busy thread (--force): CPU 1: thread '"'"'rte-worker-1'"'"' of reflector"))' "$OUT/f/results.json" | wc -l)" 1
	grep -q "^NOTE: ran beside a busy thread (--force): CPU 1" "$OUT/f/table.txt"
	unbusy
	# A VM of vmlaunch's pinned on CPU 0: its vCPU is named.
	if command -v qemu-system-x86_64 >/dev/null; then
		vmlaunch --name bats-busy --vcpu-map 0:0 --grace 1 --daemonize >/dev/null 2>&1
		run -1 --separate-stderr vmbench run "$FIX/bench/quick.conf" --out "$OUT/v"
		vmlaunch stop bats-busy >/dev/null 2>&1
		[[ $stderr == *"vmbench: CPU 0: vCPU 0 of VM 'bats-busy' (vmlaunch) is pinned there"* ]] || fail "$stderr"
	fi
}

@test "layouts that cannot mislead: pollers that would share a CPU are refused in one line; shared_pollers = yes runs and says so" {
	# Two queues in a guest on this 2-CPU host: 4 pollers (2 host workers, 2 polling
	# vCPUs) for 2 CPUs.  The 2017 single-threaded vSW again, unless asked for.
	if [ "$(nproc)" -lt 4 ]; then
		printf '[bench]\nmode = vm-gen\nqueues = 1,2\n' >"$BATS_TEST_TMPDIR/q2.conf"
		run -2 --separate-stderr vmbench run "$BATS_TEST_TMPDIR/q2.conf" --out "$OUT/q2"
		assert_equal "$stderr" "vmbench: $BATS_TEST_TMPDIR/q2.conf: queues = 2 needs 4 CPUs for its pollers (2 host workers and 2 polling vCPUs, each on its own); this host has $(nproc): give fewer queues, or set shared_pollers = yes to run it anyway (the table says so)"
		[ ! -e "$OUT/q2" ]
	fi
	# Both programs on the host, their workers on one CPU.
	sed 's/^generator_lcores = 1,0$/generator_lcores = 0,1/' "$FIX/bench/quick.conf" >"$BATS_TEST_TMPDIR/same.conf"
	run -2 --separate-stderr vmbench run "$BATS_TEST_TMPDIR/same.conf" --out "$OUT/same"
	assert_equal "$stderr" "vmbench: $BATS_TEST_TMPDIR/same.conf: the reflector's and trafficgen's workers would both poll CPU 1; give them CPUs of their own, or set shared_pollers = yes to run it anyway (the table says so)"
	sed -i 's/^\[bench\]$/[bench]\nshared_pollers = yes/' "$BATS_TEST_TMPDIR/same.conf"
	run -0 --separate-stderr vmbench run "$BATS_TEST_TMPDIR/same.conf" --out "$OUT/same"
	grep -q "^NOTE: pollers share CPUs (shared_pollers = yes)" "$OUT/same/table.txt"
	# The per-queue findings come from where the programs said they polled (their
	# start lines), not from the profile: both on CPU 1, never "queues-ok".
	assert_equal "$(jq -r '.configurations[0].findings[].message' "$OUT/same/results.json")" \
		"queue 0 of the reflector and queue 0 of trafficgen are polled from one CPU (1): the two pollers take turns on it"
	grep -q '^NOTE: 1 queue: queue 0 of the reflector and queue 0 of trafficgen are polled from one CPU (1).*\[queue-lcores-shared\]$' "$OUT/same/table.txt"
	assert_equal "$(grep '"type":"ready"' "$OUT/same/raw/reflector-1q.jsonl" | jq -c '.workers')" '[{"lcore":1,"cpus":[1],"jobs":[{"port":0,"queue":0}]}]'
}

@test "profile defaults: 3 trials with median and spread, a discarded warm-up per size, latency at 0/10/50/90 % of the search's rate" {
	printf '[bench]\nname = defaults\nreflector_lcores = 0,1\ngenerator_lcores = 1,0\nsizes = 64\nduration = 0.2\nwarmup = 0.05\nsearch = pdr=0.5\ntolerance = 5\nprecision = 10\npolice = 1Mpps\nback_to_back = yes\n' >"$BATS_TEST_TMPDIR/d.conf"
	run -0 --separate-stderr vmbench run "$BATS_TEST_TMPDIR/d.conf" --out "$OUT/d"
	local r=$OUT/d/results.json
	assert_equal "$(jq '.schema_version' "$r")" 1
	assert_results_schema "$OUT/d"
	# The validator does fail: a future schema_version, a missing key.
	mkdir "$OUT/bad"
	jq '.schema_version = 2' "$r" >"$OUT/bad/results.json"
	run /usr/bin/jsonschema -i "$OUT/bad/results.json" "$TOP/docs/results.schema.json"
	assert_failure
	jq 'del(.configurations[0].results[0].lower_mpps)' "$r" >"$OUT/bad/results.json"
	run /usr/bin/jsonschema -i "$OUT/bad/results.json" "$TOP/docs/results.schema.json"
	assert_failure
	assert_equal "$(jq '.trials' "$r")" 3
	assert_equal "$(jq '.warmup_trial_s' "$r")" 1
	assert_equal "$(jq '.configurations[0].results[0] | .trials == 3 and .mpps_min <= .mpps and .mpps <= .mpps_max' "$r")" true
	assert_equal "$(jq '.configurations[0].results[0] | .lower_mpps <= .mpps and .mpps <= .upper_mpps and .loss_threshold_pct == 0.5' "$r")" true
	assert_equal "$(jq -c '[.configurations[0].results[0].latency_at[].load_pct]' "$r")" '[0,10,50,90]'
	assert_equal "$(jq -r '.configurations[0].findings[0].id' "$r")" queues-ok
	assert_equal "$(jq '.configurations[0].virtio | .version_1 and .mergeable_rx_buffers and .vrings == 2' "$r")" true
	assert_equal "$(grep -c '"type":"warmup"' "$OUT/d/raw/trafficgen-1q.jsonl")" 1
	assert_equal "$(grep -c '"type":"latency"' "$OUT/d/raw/trafficgen-1q.jsonl")" 4
	grep -q '^Spread over 3 trials per cell: min-max Mpps' "$OUT/d/table.txt"
	# The latency trials' histograms as an HdrHistogram interval log, read by a decoder of
	# the format written for the test: the counts, p50 and p99 of results.json.
	run -0 "$TOP/tests/cli/hlogdecode" "$OUT/d/latency-1q.hlog"
	assert_equal "${#lines[@]}" 4
	local want
	want=$(jq -r '.configurations[0].results[0].latency_at[] | "64B-load\(.load_pct) \(.latency_ns.count) \(.latency_ns.p50) \(.latency_ns.p99)"' "$r")
	assert_equal "$(awk '{ print $1, $4, $6, $7 }' <<<"$output")" "$want"
	assert_equal "$(awk '{ print $3 }' <<<"$output" | sort -u)" 0.2
	head -1 "$OUT/d/latency-1q.hlog" | grep -qx '#\[Histogram log format version 1.3\]'
	# The decoder does fail: a histogram with a byte changed does not decode.
	awk -F, -v OFS=, 'NR == 5 { c = substr($5, 41, 1); $5 = substr($5, 1, 40) (c == "A" ? "B" : "A") substr($5, 42) } 1' \
		"$OUT/d/latency-1q.hlog" >"$BATS_TEST_TMPDIR/bad.hlog"
	run "$TOP/tests/cli/hlogdecode" "$BATS_TEST_TMPDIR/bad.hlog"
	assert_failure
	grep -q '^Latency at 90% of the pdr=0.5 rate: p50/p99 us (round trip)$' "$OUT/d/table.txt"
	grep -q '^Bounds of the search: lower/upper Mpps' "$OUT/d/table.txt"
	# back_to_back = yes: RFC 2544's burst test after the trials, in the results and the table.
	assert_equal "$(jq '.configurations[0].results[0].back_to_back | .frames > 0 and .upper_frames >= .frames' "$r")" true
	grep -q '^Back-to-back (RFC 2544): the longest burst' "$OUT/d/table.txt"
	# Keys with bad values are one line each.
	for kv in "latency_at = 50,10" "latency_at = 101" "warmup_trial = -1" "back_to_back = maybe"; do
		printf '[bench]\n%s\n' "$kv" >"$BATS_TEST_TMPDIR/n.conf"
		run -2 --separate-stderr vmbench run "$BATS_TEST_TMPDIR/n.conf" --out "$OUT/z"
		[[ $stderr == "vmbench: $BATS_TEST_TMPDIR/n.conf:2: ${kv%% =*}: invalid value "* ]] || fail "$kv: $stderr"
	done
}

@test "queues-2017: the 2017 queue comparison as it was laid out; a host without its CPUs is told so" {
	local n
	n=$(nproc)
	[ "$n" -lt 8 ] || skip "this host has the 2017 layout's 8 CPUs: the run takes minutes (vmbench run queues-2017)"
	run -2 --separate-stderr vmbench run queues-2017 --out "$OUT/q"
	[[ $stderr == *"queues-2017.conf: vcpu_map uses CPU 4, which does not exist on this host"* ]]
	[ ! -e "$OUT/q" ]
}

@test "IMIX in a profile: sizes = 64, imix, 128:1+1518:3 through results.json, the tables, the CSV, the .hlog and the schema" {
	printf '[bench]\nname = mixes\nreflector_lcores = 0,1\ngenerator_lcores = 1,0\nsizes = 64, imix, 128:1+1518:3\nduration = 0.3\nwarmup = 0.05\nrate = 50kpps\ntrials = 1\nwarmup_trial = 0\n' >"$BATS_TEST_TMPDIR/m.conf"
	run -0 --separate-stderr vmbench run "$BATS_TEST_TMPDIR/m.conf" --out "$OUT/m"
	local r=$OUT/m/results.json
	assert_results_schema "$OUT/m"
	assert_equal "$(jq -c '.configurations[0].results | map(.size)' "$r")" '[64,"imix","128:1+1518:3"]'
	assert_equal "$(jq -c '.configurations[0].results[1] | [(.avg_size * 100 | round), (.mix | length)]' "$r")" '[36183,3]'
	assert_equal "$(jq '.configurations[0].results[1] | (.gbps_l1 - .mpps * (.avg_size + 20) * 8 / 1000) | fabs < 0.0001' "$r")" true
	assert_equal "$(jq '.configurations[0].results[0] | has("mix") or has("avg_size")' "$r")" false
	# The tables' columns and the CSV's rows name the mixes; the CSV has each mean size.
	grep -qE '^configuration +64 +imix +128:1\+1518:3$' "$OUT/m/table.txt"
	assert_equal "$(awk -F, 'NR > 1 { print $3 "=" $NF }' "$OUT/m/results.csv" | tr '\n' ' ')" "64=64.00 imix=361.83 128:1+1518:3=1170.50 "
	# Each trial's histogram is in the .hlog under the size's or the mix's name.
	run -0 "$TOP/tests/cli/hlogdecode" "$OUT/m/latency-1q.hlog"
	assert_equal "$(awk '{ print $1 }' <<<"$output" | tr '\n' ' ')" "64B-trial imix-trial 128:1+1518:3-trial "
	# A size that is not one is one line, exit 2.
	printf '[bench]\nsizes = 64, imix3\n' >"$BATS_TEST_TMPDIR/n.conf"
	run -2 --separate-stderr vmbench run "$BATS_TEST_TMPDIR/n.conf" --out "$OUT/z"
	assert_equal "$stderr" "vmbench: $BATS_TEST_TMPDIR/n.conf:2: sizes: invalid value '64, imix3' (a size is 64-9000, a mix 'imix', 'imix_v4_1' or SIZE:WEIGHT+SIZE:WEIGHT...)"
}

@test "compare a fleet: three or more runs in one table, a column per host, the fingerprint keys that differ" {
	vmbench run "$FIX/bench/quick.conf" --out "$OUT/a" >/dev/null 2>&1
	assert_equal "$(jq -r .hostname "$OUT/a/env.json")" "$(uname -n)"
	local tight='.trials = 3 | .configurations[].results[] |= (.trials = 3 | .mpps_min = .mpps * 0.99 | .mpps_max = .mpps * 1.01)'
	# Three hosts as the Ansible role fetches them: results/HOST/RUN.
	derive "$OUT/a" "$OUT/fleet/dut1/run" "$tight" '.hostname = "dut1"'
	derive "$OUT/a" "$OUT/fleet/dut2/run" "$tight | .configurations[].results[] |= (.mpps *= 0.5 | .mpps_min = .mpps * 0.99 | .mpps_max = .mpps * 1.01)" \
		'.hostname = "dut2" | .kernel = "6.1.0-99-amd64"'
	derive "$OUT/a" "$OUT/fleet/dut3/run" "$tight | .configurations[].results |= map(select(.size == 64))" \
		'.hostname = "dut3-with-a-long-name" | .cmdline = "quiet isolcpus=2-3"'
	run -0 --separate-stderr vmbench compare "$OUT"/fleet/*/run
	assert_line --regexp '^configuration +size +dut1 +dut2 +dut3-with-a-long-name +max/min$'
	local m
	m=$(jq -r '.configurations[0].results[] | select(.size == 64) | .mpps' "$OUT/fleet/dut1/run/results.json")
	# Rounded as vmbench rounds a double (bash's printf rounds 12.6085 up in long double).
	local m3 h3
	m3=$(awk -v m="$m" 'BEGIN { printf "%.3f", m }')
	h3=$(awk -v m="$m" 'BEGIN { printf "%.3f", m * 0.5 }')
	assert_line --regexp "^1 queue +64 +$m3 +$h3 +$m3 +2\.000$"
	# A size one host did not run is '-', not 0.
	assert_line --regexp '^1 queue +256 +[0-9.]+ +[0-9.]+ +- +2\.000$'
	assert_line "fingerprints differ (compare with care):"
	assert_line "  kernel:"
	assert_line --regexp "^    dut2 +6\.1\.0-99-amd64$"
	assert_line "  cmdline:"
	assert_line --regexp "^    dut3-with-a-long-name +quiet isolcpus=2-3$"
	run -0 --separate-stderr vmbench compare --json "$OUT"/fleet/*/run
	assert_equal "$(jqo '[.runs[].label] | join(" ")')" "dut1 dut2 dut3-with-a-long-name"
	assert_equal "$(jqo '[.fingerprint_differs[].key] | join(" ")')" "kernel cmdline"
	assert_equal "$(jqo '.cells[] | select(.size == 256) | .mpps[2]')" null
	# Runs of one host are told apart by their directories; --threshold is for two runs.
	derive "$OUT/a" "$OUT/r1" "$tight"
	derive "$OUT/a" "$OUT/r2" "$tight"
	derive "$OUT/a" "$OUT/r3" "$tight"
	run -0 --separate-stderr vmbench compare --json "$OUT/r1" "$OUT/r2/" "$OUT/r3"
	assert_equal "$(jqo '[.runs[].label] | join(" ")')" "r1 r2 r3"
	run -2 --separate-stderr vmbench compare "$OUT/r1" "$OUT/r2" "$OUT/r3" --threshold 5
	[[ $stderr == "vmbench: --threshold judges one run against another: give two directories"* ]]
	run -2 --separate-stderr vmbench compare "$OUT/r1"
	[[ $stderr == "vmbench: compare needs two results directories or more"* ]]
}
