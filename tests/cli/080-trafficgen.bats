#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2154 # bats' run sets output, stderr and lines
# trafficgen through the reflector on net_vhost: a fixed low rate loses nothing,
# latency fields are ordered, NDR finds a known limit (a reflector policed at
# 1 Mpps), output formats, bad options.
load helper

setup() {
	need_root
	save_hugepages
	hugepages reserve 600M --page-size 2M >/dev/null
	SOCK=$BATS_TEST_TMPDIR/tg.sock
	RLOG=$BATS_TEST_TMPDIR/reflector.log
	RPID=
}

teardown() {
	if [ -n "$RPID" ] && kill -0 "$RPID" 2>/dev/null; then kill -TERM "$RPID"; wait "$RPID" || true; fi
	if [ -n "${TPID:-}" ] && kill -0 "$TPID" 2>/dev/null; then kill -9 "$TPID"; wait "$TPID" || true; fi
	# The throttle's cgroup, once its process is gone.
	if [ -n "${CGROUP:-}" ] && [ -d "$CGROUP" ]; then rmdir "$CGROUP" || true; fi
	restore_hugepages
}

# Throttle process $1 to $2 microseconds of CPU in every 100 ms: a cgroup of its own
# (cgroup v2's cpu.max, or v1's cpu controller), removed in teardown.  The process
# loses its CPU for the rest of each period: a generator that falls behind.
throttle() {
	local pid=$1 quota=$2
	if grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		CGROUP=/sys/fs/cgroup/pinlab-bats-$$
		mkdir "$CGROUP"
		echo "$quota 100000" >"$CGROUP/cpu.max"
	elif [ -d /sys/fs/cgroup/cpu ]; then
		CGROUP=/sys/fs/cgroup/cpu/pinlab-bats-$$
		mkdir "$CGROUP"
		echo 100000 >"$CGROUP/cpu.cfs_period_us"
		echo "$quota" >"$CGROUP/cpu.cfs_quota_us"
	else
		fail "no cgroup cpu controller to throttle with"
	fi
	echo "$pid" >"$CGROUP/cgroup.procs"
}

# The reflector in the background (lcores 0 main, 1 worker) with its own options $@.
run_reflector() {
	reflector -l 0,1 --main-lcore 0 --no-pci --log-level=3 -- "$@" >"$RLOG" 2>&1 3>&- &
	RPID=$!
}

start_reflector() {
	run_reflector --vhost "$SOCK" --stats 0 --json "$@"
	wait_for_line "$RLOG" '"type":"ready"'
}

# Stop it with SIGTERM; its exit status in RSTATUS.
end_reflector() {
	kill -TERM "$RPID"
	RSTATUS=0
	wait "$RPID" || RSTATUS=$?
	RPID=
}

# Stop it with SIGTERM; its final JSON in FINAL.
stop_reflector() {
	end_reflector
	FINAL=$(grep '"type":"final"' "$RLOG")
}

tgen() {
	trafficgen -l 0,1 --main-lcore 1 --no-pci --log-level=3 --single-file-segments \
		--vdev "net_virtio_user0,path=$SOCK" -- "$@"
}

@test "--help, --version; bad options are usage errors" {
	run -0 trafficgen --help
	assert_line --partial "--search ndr|pdr[=PCT]"
	run -0 trafficgen --version
	assert_output --regexp '^trafficgen \(pinlab\) '
	run -2 --separate-stderr trafficgen -l 0,1 -- --size 63
	[[ $stderr == "trafficgen: invalid --size '63': sizes are 64-9000 bytes"* ]]
	run -2 --separate-stderr trafficgen -l 0,1 -- --rate fast
	[[ $stderr == *"invalid --rate 'fast' (max, N[k|M|G]pps or N[k|M|G]bps"* ]]
	run -2 --separate-stderr trafficgen -l 0,1 -- --search pdr=200
	run -2 --separate-stderr trafficgen -l 0,1 -- --search ndr --rate 1Mpps
	[[ $stderr == *"--search finds the rate itself"* ]]
	run -2 --separate-stderr trafficgen -l 0,1 -- --duration 0
}

@test "a fixed low rate: rx == tx, no loss, frames verified, latency ordered" {
	start_reflector
	run -0 --separate-stderr tgen --rate 200kpps --duration 1 --warmup 0.2 --size 64,1518 --flows 16 --json
	local t
	for t in 0 1; do
		local o
		o=$(grep '"type":"trial"' <<<"$output" | sed -n "$((t + 1))p")
		assert_equal "$(jq .loss_packets <<<"$o")" 0
		assert_equal "$(jq .duplicates <<<"$o")" 0
		assert_equal "$(jq '.tx_packets == .rx_packets and .tx_packets > 150000' <<<"$o")" true
		assert_equal "$(jq '.latency_ns | .min <= .p50 and .p50 <= .p99 and .p99 <= .p999 and .p999 <= .max and .min > 0' <<<"$o")" true
		assert_equal "$(jq '.queues[0].latency_ns.p50 == .latency_ns.p50' <<<"$o")" true
		assert_equal "$(jq '.rate_pps' <<<"$o")" 200000
		assert_equal "$(jq '.loss_pct' <<<"$o")" 0
		assert_equal "$(jq '[.rx_mpps, .rx_gbps_l1, .rx_gbps_l2, .size, .offered_pps] | map(type == "number" and . > 0) | all' <<<"$o")" true
	done
	assert_equal "$(grep '"type":"summary"' <<<"$output" | jq '.results | length')" 2
}

@test "the search converges on a path with a known limit: a reflector policed at 1 Mpps" {
	start_reflector --police 1Mpps
	# PDR at 0.5 % and a 5 % sender tolerance: on two shared CPUs a stall now and then
	# loses a few frames, or slows the sender, below any limit, and one lost frame
	# would end a zero-loss search early; above the policer's rate it loses far more.
	run -0 --separate-stderr tgen --search pdr=0.5 --tolerance 5 --precision 1 --duration 0.5 --warmup 0.1 --json
	local s
	s=$(grep '^{"type":"search"' <<<"$output")
	# The answer is within the stated precision below the limit, or above it by no more
	# than the policer's 10 ms burst allowance spread over the 0.5 s trial (2 %) and the
	# 0.5 % of loss the PDR allows.
	jq -c '{rate_pps, precision_pps, limited_by, note}' <<<"$s" >&2
	assert_equal "$(jq '.rate_pps <= 1030000 and .rate_pps >= 1000000 - .precision_pps' <<<"$s")" true
	assert_equal "$(jq '.trial.loss_pct <= 0.5' <<<"$s")" true
	# Above the limit, frames are lost: the first trial at max rate shows it.
	assert_equal "$(grep '"type":"trial"' <<<"$output" | head -1 | jq '.loss_pct > 10')" true
}

@test "a generator that keeps losing its CPU (a cgroup throttle) never makes a false upper bound: the NDR is the policer's, or inconclusive" {
	start_reflector --police 500kpps
	local log=$BATS_TEST_TMPDIR/tg.out
	tgen --search ndr --precision 2 --duration 0.5 --warmup 0.1 --json >"$log" 2>"$BATS_TEST_TMPDIR/tg.err" 3>&- &
	TPID=$!
	# 40 ms of CPU in every 100: stalls of 60 ms, against trials of half a second.
	throttle "$TPID" 40000
	local rc=0
	wait "$TPID" || rc=$?
	TPID=
	assert_equal "$rc" 0
	local s
	s=$(grep '^{"type":"search"' "$log")
	jq -c '{rate_pps, lower_pps, upper_pps, precision_pps, inconclusive, limited_by, sender_limited_trials, suspect, note}' <<<"$s" >&2
	# Loss is only ever the policer's above 500 kpps (its 10 ms burst allowance aside):
	# an upper bound below it would be the generator's own stall taken for the path.
	assert_equal "$(jq '.upper_pps == null or .upper_pps >= 495000' <<<"$s")" true
	assert_equal "$(jq '.lower_pps <= 510000' <<<"$s")" true
	# Conclusive only where it found the policer; otherwise it says so, and why.
	assert_equal "$(jq '(.inconclusive == false and .rate_pps >= 500000 - .precision_pps - 10000) or .inconclusive' <<<"$s")" true
	assert_equal "$(jq '.note | length > 0' <<<"$s")" true
}

# The CPUs the DPDK worker threads of process $1 ("rte-worker-N") may run on.
worker_cpus() {
	local t
	for t in /proc/"$1"/task/*; do
		if [[ $(cat "$t/comm" 2>/dev/null) == rte-worker-* ]]; then
			awk '/^Cpus_allowed_list:/ { print $2 }' "$t/status"
		fi
	done
}

@test "trafficgen(1)'s example as written: each program's worker on its own CPU, the search completes" {
	# The example's commands, with a socket name of this test's own and shorter trials.
	local name=bats-example-$$ log=$BATS_TEST_TMPDIR/tg.out had_dir=0
	[ -d /run/reflector ] && had_dir=1
	run_reflector --vhost "$name"
	wait_for_line "$RLOG" "lcore 1: port 0 queue 0" || fail "$(cat "$RLOG")"
	trafficgen -l 0,1 --main-lcore 1 --single-file-segments \
		--vdev "net_virtio_user0,path=/run/reflector/$name.sock" -- \
		--size 64,1518 --search ndr --trials 1 --precision 5 --duration 0.2 --warmup 0.05 --json \
		>"$log" 2>"$BATS_TEST_TMPDIR/tg.err" 3>&- &
	TPID=$!
	wait_for_line "$log" '"type":"start"' || fail "$(cat "$BATS_TEST_TMPDIR/tg.err")"
	assert_equal "$(worker_cpus "$RPID")" 1
	assert_equal "$(worker_cpus "$TPID")" 0
	local rc=0
	wait "$TPID" || rc=$?
	TPID=
	assert_equal "$rc" 0
	assert_equal "$(grep '"type":"summary"' "$log" | jq '.results | length')" 2
	end_reflector
	assert_equal "$RSTATUS" 0
	[ ! -e "/run/reflector/$name.sock" ]
	# The runtime directory the reflector created goes with it (when no other
	# reflector's socket is in it: the machine may be shared).
	if [ "$had_dir" = 0 ] && [ -d /run/reflector ]; then
		[ -n "$(ls -A /run/reflector)" ] || fail "the reflector left the empty /run/reflector it created"
	fi
}

@test "--csv writes every trial; --trials reports median and spread; --rate in bps" {
	start_reflector
	run -0 --separate-stderr tgen --rate 0.2Gbps --duration 0.3 --warmup 0 --trials 3 --csv "$BATS_TEST_TMPDIR/t.csv"
	# 0.2 Gb/s L1 of 64-byte frames is 0.298 Mpps; a stall on a shared CPU may cost a little.
	assert_line --regexp '^ +64 B  median 0\.2[5-9][0-9] Mpps  \(min 0\.2[0-9]+, max 0\.[0-9]+\)$'
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/t.csv")" 4
	head -1 "$BATS_TEST_TMPDIR/t.csv" | grep -q '^size,rate_pps,offered,tx_packets,rx_packets,loss_packets,loss_pct'
}

@test "two worker lcores per queue: one sends, one receives; the counts add up" {
	# Three lcores on two CPUs (LCORE@CPU): pollers time-share a CPU here, so some
	# loss is expected; what must hold is the accounting.
	start_reflector
	run -0 --separate-stderr trafficgen --lcores 0@1,1@0,2@1 --main-lcore 0 --no-pci --log-level=3 \
		--single-file-segments --vdev "net_virtio_user0,path=$SOCK" -- --rate 200kpps --duration 0.5 --warmup 0.1 --json
	[[ $stderr == *"trafficgen: 1 queue, separate send and receive lcores"* ]]
	local o
	o=$(grep '^{"type":"trial"' <<<"$output")
	# Every send slot of the measured half second is a frame sent or a slot skipped after a stall.
	assert_equal "$(jq '(.tx_packets + .skipped_slots - 100000) | fabs <= 64' <<<"$o")" true
	# Totals are the sums of what each queue's sender and receiver counted, and no
	# more came back than went out.
	assert_equal "$(jq '([.queues[].tx_packets] | add) == .tx_packets and ([.queues[].rx_packets] | add) == .rx_packets' <<<"$o")" true
	assert_equal "$(jq '.rx_packets > 0 and .rx_packets <= .tx_packets' <<<"$o")" true
	assert_equal "$(jq '.duplicates' <<<"$o")" 0
	assert_equal "$(jq '.latency_ns | .min <= .p50 and .p50 <= .max' <<<"$o")" true
}

@test "sender-limited: a generator capped below the asked rate says so, and the search reports what it sent" {
	start_reflector
	run -0 --separate-stderr tgen --rate 1Mpps --sender-cap 300kpps --duration 0.5 --warmup 0.1 --json
	local o
	o=$(grep '^{"type":"trial"' <<<"$output")
	assert_equal "$(jq '.asked_pps' <<<"$o")" 1000000
	assert_equal "$(jq '.sender_limited' <<<"$o")" true
	# At most the cap (a busy host may make it less: still sender-limited).
	assert_equal "$(jq '.offered_pps > 150000 and .offered_pps < 301000' <<<"$o")" true
	# The search: the path loses nothing at the most the sender can do, so the sender is the limit.
	run -0 --separate-stderr tgen --search pdr=0.5 --sender-cap 300kpps --duration 0.5 --warmup 0.1 --json
	local s
	s=$(grep '^{"type":"search"' <<<"$output")
	assert_equal "$(jq -r '.limited_by' <<<"$s")" generator
	assert_equal "$(jq '.rate_pps > 150000 and .rate_pps < 301000' <<<"$s")" true
	assert_equal "$(jq '.rate_pps == .trial.offered_pps' <<<"$s")" true
}

@test "path-limited: against a policed reflector the search names the path, and reports a rate it sent" {
	start_reflector --police 500kpps
	run -0 --separate-stderr tgen --search pdr=0.5 --tolerance 5 --precision 2 --duration 0.5 --warmup 0.1 --json
	local s
	s=$(grep '^{"type":"search"' <<<"$output")
	assert_equal "$(jq -r '.limited_by' <<<"$s")" path
	# At most the policer's rate, its 10 ms burst allowance over the 0.5 s trial (2 %)
	# and the 0.5 % of loss the PDR allows; at least the limit less the precision.
	jq -c '{rate_pps, precision_pps, lower_pps, upper_pps, note}' <<<"$s" >&2
	assert_equal "$(jq '.rate_pps <= 515000 and .rate_pps >= 500000 - .precision_pps - 10000' <<<"$s")" true
	assert_equal "$(jq '.trial.loss_pct <= 0.5 and .trial.sender_limited == false' <<<"$s")" true
	assert_equal "$(jq '.rate_pps == .trial.offered_pps and .lower_pps <= .upper_pps' <<<"$s")" true
}

@test "after a stall the pacer skips the missed slots: no burst, so a policer above the rate drops nothing" {
	start_reflector --police 600kpps
	local log=$BATS_TEST_TMPDIR/tg.out
	# trafficgen itself in the background (not the tgen function's subshell), so that
	# the signals below reach it.
	trafficgen -l 0,1 --main-lcore 1 --no-pci --log-level=3 --single-file-segments --vdev "net_virtio_user0,path=$SOCK" \
		-- --rate 500kpps --duration 2 --warmup 0.2 --json >"$log" 2>"$BATS_TEST_TMPDIR/tg.err" 3>&- &
	local pid=$!
	wait_for_line "$log" '"type":"start"'
	# Fault injection: the generator loses its CPU for 0.3 s inside the measured window.
	sleep 0.5
	kill -STOP "$pid"
	sleep 0.3
	kill -CONT "$pid"
	wait "$pid"
	local o
	o=$(grep '^{"type":"trial"' "$log")
	jq -c '{tx_packets, skipped_slots, loss_packets, sender_limited}' <<<"$o" >&2
	assert_equal "$(jq '.skipped_slots > 100000' <<<"$o")" true
	assert_equal "$(jq '.loss_packets' <<<"$o")" 0
	assert_equal "$(jq '.sender_limited' <<<"$o")" true
}

@test "a peer that goes away mid-run fails the trial with the reason; no SIGPIPE death, exit 1" {
	start_reflector
	local log=$BATS_TEST_TMPDIR/tg.out
	tgen --rate 200kpps --duration 0.3 --warmup 0 --trials 50 --json >"$log" 2>"$BATS_TEST_TMPDIR/tg.err" 3>&- &
	local pid=$!
	wait_for_line "$log" '"type":"trial"'
	kill -KILL "$RPID"
	wait "$RPID" || true
	RPID=
	local rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 1
	grep -q '"status":"failed"' "$log"
	grep -q 'trafficgen: a trial failed: the peer went away (link down)' "$BATS_TEST_TMPDIR/tg.err"
	# Never "0 % loss" for a failed trial: it is not in the summary.
	assert_equal "$(grep '"type":"summary"' "$log" | jq '.results | length')" 0
}

@test "rates and times that are not numbers, zero or absurd are usage errors, never a crash" {
	local a
	for a in "--rate 1e308Gbps" "--rate nan" "--rate inf" "--rate 0pps" "--rate -1Mpps" "--rate 1e999pps" \
		"--duration nan" "--duration inf" "--duration 0" "--warmup -1" "--precision 0" "--tolerance 60" \
		"--sender-cap nan" "--link-wait inf" "--size 64,,128" "--flows 0" "--queues 99"; do
		# shellcheck disable=SC2086 # the option and its value, as two words
		run -2 --separate-stderr trafficgen -l 0,1 -- $a --json
		[[ $stderr == "trafficgen: invalid --"* ]] || fail "$a: $stderr"
		assert_equal "$output" ""
	done
}

@test "a socket nobody listens on is said so (exit 1), not 'give exactly one port'; the host's PCI devices are not probed" {
	run -1 --separate-stderr trafficgen -l 0,1 --main-lcore 1 --log-level=8 --vdev "net_virtio_user0,path=$BATS_TEST_TMPDIR/none.sock" -- --size 64
	assert_equal "$stderr" "trafficgen: nothing listens on $BATS_TEST_TMPDIR/none.sock (no socket, or a stale one): start the vhost-user side first (the reflector, or vmbench)"
	# Without -a, EAL gets --no-pci: with a reflector there, no PCI probe shows in EAL's log.
	start_reflector
	run -0 --separate-stderr trafficgen -l 0,1 --main-lcore 1 --log-level=8 --single-file-segments \
		--vdev "net_virtio_user0,path=$SOCK" -- --rate 10kpps --duration 0.1 --warmup 0 --json
	[[ $stderr != *"Probe PCI driver"* ]]
	[[ $stderr != *"EAL: PCI device"* ]]
}

@test "methodology: a discarded warm-up per size, bounds and loss ratio, latency trials at fractions of the found rate" {
	start_reflector --police 1Mpps
	run -0 --separate-stderr tgen --search pdr=0.5 --tolerance 5 --precision 5 --duration 0.3 --warmup 0.1 \
		--warmup-trial 0.2 --latency-at 0,10,50,90 --size 64,128 --json
	# One warm-up per size, first, marked discarded; never counted as a trial.
	assert_equal "$(grep -c '"type":"warmup"' <<<"$output")" 2
	assert_equal "$(grep -m1 -n '"size":128' <<<"$output" | grep -c '"type":"warmup"')" 1
	assert_equal "$(grep '"type":"warmup"' <<<"$output" | jq -s 'map(.discarded == true and .tx_packets > 0) | all')" true
	local s
	s=$(grep '"type":"summary"' <<<"$output")
	# Bounds around the policer's 1 Mpps and the loss ratio used.
	assert_equal "$(jq '[.results[] | .lower_pps <= .median and .median <= .upper_pps and .loss_threshold_pct == 0.5] | all' <<<"$s")" true
	# Four latency trials per size, at 10 kpps and 10/50/90 % of the found rate, every statistic ordered.
	assert_equal "$(grep -c '"type":"latency"' <<<"$output")" 8
	assert_equal "$(jq -c '[.results[0].latency_at[].load_pct]' <<<"$s")" '[0,10,50,90]'
	assert_equal "$(jq '.results[0].latency_at[0].asked_pps' <<<"$s")" 10000
	assert_equal "$(jq '.results[0] | (.latency_at[3].asked_pps / .median * 100 | round)' <<<"$s")" 90
	assert_equal "$(jq '[.results[].latency_at[].latency_ns | .count > 0 and .min <= .p50 and .p50 <= .p90 and .p90 <= .p99 and .p99 <= .p999 and .p999 <= .max] | all' <<<"$s")" true
	# Latency trials need a search; loads ascend; a warm-up lasts 0 s or more.
	run -2 --separate-stderr tgen --latency-at 0,50 --rate 10kpps
	[[ $stderr == "trafficgen: --latency-at takes fractions of a search's rate: give --search"* ]]
	run -2 --separate-stderr tgen --search ndr --latency-at 50,10
	[[ $stderr == "trafficgen: invalid --latency-at '50,10' (up to 8 percentages 0-100, ascending"* ]]
	run -2 --separate-stderr tgen --rate 10kpps --hdr
	[[ $stderr == "trafficgen: --hdr adds histograms to the JSON lines: give --json"* ]]
	run -2 --separate-stderr tgen --warmup-trial -1
	[[ $stderr == "trafficgen: invalid --warmup-trial '-1' (seconds, 0 to 3600)"* ]]
}

@test "--prometheus on trafficgen and the reflector: textfiles that Prometheus' own parser reads, counters that agree" {
	local rp=$BATS_TEST_TMPDIR/reflector.prom tp=$BATS_TEST_TMPDIR/trafficgen.prom
	start_reflector --prometheus "$rp"
	run -0 --separate-stderr tgen --rate 100kpps --duration 1.5 --warmup 0.1 --size 64 --prometheus "$tp" --json
	local tx rx
	tx=$(grep '^{"type":"trial"' <<<"$output" | jq .tx_packets)
	rx=$(grep '^{"type":"trial"' <<<"$output" | jq .rx_packets)
	# trafficgen's file, read by prometheus_client: what the trial's JSON says.
	run -0 "$TOP/tests/cli/promcheck" "$tp"
	assert_line "pinlab_trafficgen_tx_packets_total{queue=0} $tx"
	assert_line "pinlab_trafficgen_rx_packets_total{queue=0} $rx"
	assert_line "pinlab_trafficgen_trials_total{} 1"
	assert_line "pinlab_trafficgen_last_trial_size_bytes{} 64"
	assert_line "pinlab_trafficgen_last_trial_loss_ratio{} 0"
	assert_line --regexp '^pinlab_trafficgen_last_trial_latency_seconds\{quantile=0.99\} [0-9.e-]+$'
	# The reflector's, replaced every second while it runs: within a few seconds it has
	# counted at least what came back measured (it also counts the warm-up and the drain).
	local got=0
	for _ in $(seq 60); do
		got=$(sed -n 's/^pinlab_reflector_rx_packets_total{port="0",name="vhost0",queue="0"} //p' "$rp")
		[ "${got:-0}" -ge "$rx" ] && break
		sleep 0.05
	done
	[ "${got:-0}" -ge "$rx" ] || fail "reflector rx ${got:-none} < trafficgen rx $rx"
	run -0 "$TOP/tests/cli/promcheck" "$rp"
	assert_line --regexp '^pinlab_reflector_rx_packets_total\{name=vhost0,port=0,queue=0\} [0-9]+$'
	# trafficgen has left: the link gauge says so.
	assert_line "pinlab_reflector_link_up{name=vhost0,port=0} 0"
	run ls "$BATS_TEST_TMPDIR"/*.tmp-*
	assert_failure
	# A file that cannot be written is said before anything runs: exit 1.
	run -1 --separate-stderr tgen --rate 10kpps --duration 0.1 --prometheus /nonexistent/dir/t.prom
	[[ $stderr == *"trafficgen: cannot write /nonexistent/dir/t.prom: No such file or directory"* ]]
}

@test "--back-to-back (RFC 2544): the longest burst at the maximum rate that comes back whole, against a policer's bucket" {
	# The policer lets 1 Mpps through with a 10 ms allowance: a burst at the maximum
	# rate passes whole up to about 10 000 frames, and not much beyond.
	start_reflector --police 1Mpps
	run -0 --separate-stderr tgen --back-to-back --rate 100kpps --duration 0.2 --warmup 0.05 --precision 1 --size 64 --json
	local b
	b=$(grep '"type":"summary"' <<<"$output" | jq -c '.results[0].back_to_back')
	jq -c . <<<"$b" >&2
	# Within the policer's bound, found to the precision asked (1 %, at least 32 frames).
	assert_equal "$(jq '.frames > 500 and .frames < 20000 and .upper_frames > .frames and .limited_by == "path"' <<<"$b")" true
	assert_equal "$(jq '.upper_frames - .frames <= ([32, .upper_frames / 100] | max)' <<<"$b")" true
	# Where the answer falls inside that bound depends on who has the CPU: the policer's
	# allowance (~10 000) when the reflector outruns the sender, the rings (1024) when it
	# is descheduled for a moment.  That is a measurement, not something to assert here.
	assert_equal "$(jq '.seconds > 0 and .max_pps > 1000000 and .steps > 3' <<<"$b")" true
	# Every burst is on its own line; the passing ones came back whole, the failing ones did not.
	assert_equal "$(grep -c '"type":"burst"' <<<"$output")" "$(($(jq .steps <<<"$b") + 1))"
	assert_equal "$(grep '"type":"burst"' <<<"$output" | jq -s --argjson n "$(jq .frames <<<"$b")" \
		'map(select(.burst_frames == $n)) | .[0] | .loss_packets == 0 and .tx_packets == $n')" true
	# The fixed-rate trial before it is unchanged.
	assert_equal "$(grep '^{"type":"trial"' <<<"$output" | jq '.loss_packets')" 0
}

@test "--size imix, imix_v4_1 and weighted lists: the reflector counts the mix's mean size; names and weights in the JSON; bad mixes are usage errors" {
	start_reflector
	run -0 --separate-stderr tgen --size imix --rate 100kpps --duration 1 --warmup 0.2 --json
	local t s
	t=$(grep '^{"type":"trial"' <<<"$output")
	s=$(grep '"type":"summary"' <<<"$output" | jq -c '.results[0]')
	assert_equal "$(jq -r .size <<<"$t")" imix
	assert_equal "$(jq '.loss_packets == 0 and .tx_packets > 90000 and .duplicates == 0' <<<"$t")" true
	# (7 x 64 + 4 x 594 + 1 x 1518) / 12 = 361.83 B; the bit rates count at that size.
	assert_equal "$(jq '.avg_size * 100 | round' <<<"$t")" 36183
	assert_equal "$(jq '(.rx_gbps_l1 - .rx_mpps * (361.8333 + 20) * 8 / 1000) | fabs < 0.0001' <<<"$t")" true
	assert_equal "$(jq -c '[.mix[] | [.size, .weight]]' <<<"$s")" '[[64,7],[594,4],[1518,1]]'
	stop_reflector
	# The reflector counted every frame it got (the warm-up too) with its length, FCS
	# not included: their mean is the mix's, to within one round's frames.
	assert_equal "$(jq '.ports[0] | (.rx_bytes / .rx_packets - 357.8333) | fabs < 0.1' <<<"$FINAL")" true
	assert_equal "$(jq '.ports[0].frames.swapped == .ports[0].rx_packets' <<<"$FINAL")" true

	# CSIT's IMIX and a list of one's own, in one run, each its own summary entry.
	start_reflector
	run -0 --separate-stderr tgen --size imix_v4_1,128:1+1518:3 --rate 50kpps --duration 0.5 --warmup 0.1 --json
	assert_equal "$(grep '"type":"summary"' <<<"$output" | jq -c '[.results[] | [.size, (.avg_size * 100 | round)]]')" \
		'[["imix_v4_1",35383],["128:1+1518:3",117050]]'
	assert_equal "$(grep '^{"type":"trial"' <<<"$output" | jq -s 'map(.loss_packets == 0) | all')" true
	stop_reflector
	# As many frames of each (0.6 s at 50 kpps): the mean of 349.83 and 1166.5 B.
	assert_equal "$(jq '.ports[0] | .rx_bytes / .rx_packets | (. > 740 and . < 776)' <<<"$FINAL")" true

	# Text output names the mix.
	start_reflector
	run -0 --separate-stderr tgen --size imix --rate 20kpps --duration 0.2 --warmup 0
	assert_line --regexp '^imix  asked 0\.020 Mpps +tx +0\.0[0-9]{2} Mpps'
	for bad in imix2 "64:1+64:2" "64:0+128:1" "64:1+32:1" "64:1+" "64:1000+128:25"; do
		run -2 --separate-stderr trafficgen -l 0,1 -- --size "$bad"
		[[ $stderr == "trafficgen: invalid --size '$bad': "* ]] || fail "$bad: $stderr"
	done
}
