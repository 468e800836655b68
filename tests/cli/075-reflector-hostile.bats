#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2154 # bats' run sets output, stderr and lines
# The reflector against a hostile vhost-user frontend (tests/peer/vhu: its own rings,
# laid out by hand, bad on purpose) on one port, while a well-behaved peer
# (tests/peer/vpeer) uses a second port served by the same worker.  For each attack:
# the reflector keeps running, the neighbour gets every frame, what was bad is counted
# once, SIGTERM still stops it (exit 0: under ASan, nothing leaked), and the hostile
# port itself works again once its frontend behaves.  Each test names its data path:
# the direct path is ours and must survive every attack; DPDK's own library (the PMD
# path) survives only some of them (docs/security.md says which), and those run on both.
load helper

VHU=$BUILD/tests/vhu
VPEER=$BUILD/tests/vpeer
# A 64-byte IPv4/UDP frame, as hex, for the neighbour.
FRAME=020000000bbb020000000aaa0800450000320000000040110000c6120001c61300020400000900000000$(printf '%44s' '' | tr ' ' 0)

setup() {
	need_root
	if [ ! -x "$VHU" ] || [ ! -x "$VPEER" ]; then skip "build/tests/vhu and vpeer are not built (make check builds them)"; fi
	save_hugepages
	hugepages reserve 512M --page-size 2M >/dev/null
	BAD=$BATS_TEST_TMPDIR/bad.sock
	GOOD=$BATS_TEST_TMPDIR/good.sock
	RLOG=$BATS_TEST_TMPDIR/reflector.log
	NLOG=$BATS_TEST_TMPDIR/neighbour.log
	RPID=''
	NPID=''
}

teardown() {
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -e "$RLOG" ]; then
		grep -v '"type":"virtio"' "$RLOG" | tail -n 20
		tail -n 20 "$RLOG.err" "$NLOG" 2>/dev/null
	fi
	if [ -n "$NPID" ] && kill -0 "$NPID" 2>/dev/null; then kill -9 "$NPID"; fi
	if [ -n "$RPID" ] && kill -0 "$RPID" 2>/dev/null; then kill -9 "$RPID"; fi
	restore_hugepages
}

# The reflector on data path $1: port 0 for the hostile frontend, port 1 for the
# neighbour, one worker (lcore 1) for both.
start_reflector() {
	reflector -l 0,1 --main-lcore 0 --no-pci --log-level=3 -- --datapath "$1" --vhost "$BAD" --vhost "$GOOD" \
		--stats 0 --json --duration 120 >"$RLOG" 2>"$RLOG.err" 3>&- &
	RPID=$!
	wait_for_line "$RLOG" '"type":"ready"' || { cat "$RLOG.err" >&2; return 1; }
}

# The neighbour sends $1 frames in the background and waits for all of them.
start_neighbour() {
	"$VPEER" -l 0 --in-memory --no-telemetry --single-file-segments --no-pci --log-level=3 \
		--vdev "net_virtio_user0,path=$GOOD" -- --frame "$FRAME" --repeat "$1" --timeout 60 >"$NLOG" 2>&1 3>&- &
	NPID=$!
}

assert_neighbour_whole() {
	local rc=0
	wait "$NPID" || rc=$?
	NPID=
	grep -qx "sent $1 received $1" "$NLOG" || fail "the neighbour lost frames (exit $rc): $(tail -n 3 "$NLOG")"
}

# SIGTERM: the reflector is gone within 15 s (its own bound is 10), exit 0; FINAL is
# its final summary.
stop_reflector() {
	kill -TERM "$RPID"
	for _ in $(seq 150); do kill -0 "$RPID" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$RPID" 2>/dev/null && fail "the reflector did not stop within 15 s of SIGTERM"
	RSTATUS=0
	wait "$RPID" || RSTATUS=$?
	RPID=
	FINAL=$(grep '"type":"final"' "$RLOG")
	assert_equal "$RSTATUS" 0
	if [ -e "$BAD" ] || [ -e "$GOOD" ]; then fail "a socket was left behind"; fi
}

# Port $1's counter $2 in the final summary.
final() { jq ".ports[$1].$2" <<<"$FINAL"; }

# The attack $1 on data path $2 beside a neighbour of $3 frames; vhu's output in $output.
attack() {
	start_reflector "$2"
	start_neighbour "${3:-200000}"
	run -0 "$VHU" "$BAD" "$1"
	assert_neighbour_whole "${3:-200000}"
}

@test "direct: lengths that wrap 32 bits (an indirect table of 64 x 64 MiB, a chain of 4 GiB + 16): dropped, counted once" {
	attack wrap direct
	assert_line "log-all refused"
	assert_line "wrap-indirect taken 1"
	assert_line "wrap-chain taken 1"
	assert_line "after 100 100"
	stop_reflector
	assert_equal "$(final 0 dropped_bad_chain)" 2
	assert_equal "$(final 0 rx_packets)" 100
	assert_equal "$(final 0 tx_packets)" 100
	assert_equal "$(final 1 dropped_bad_chain)" 0
}

@test "direct: a 3.9 GB frame and 4 GiB indirect tables are refused at once; the worker never stalls" {
	attack huge direct
	assert_line "huge-frame taken 1"
	assert_line "after 100 100"
	stop_reflector
	# All 17 refused, none delivered (the old path copied the 3.9 GB frame, ~2 s of a
	# worker; DPDK's library stops the port for ~30 s): only the good frames went out.
	assert_equal "$(final 0 dropped_bad_chain)" 17
	assert_equal "$(final 0 tx_packets)" 100
}

@test "direct: a second frontend on a connected port is refused, counted and said; the first keeps its port" {
	attack second direct
	assert_line "before 100 100"
	assert_line "second refused"
	assert_line "after 100 100"
	stop_reflector
	grep -qF '{"type":"event","port":0,"refused":"connection"}' "$RLOG"
	assert_equal "$(final 0 refused.connections)" 1
	assert_equal "$(final 0 rx_packets)" 200
}

@test "direct: a connection closed at once (a probe) right before the frontend does not keep the port from it" {
	attack probe direct 20000
	assert_line "good 100 100"
	stop_reflector
	assert_equal "$(final 0 refused.connections)" 0
	assert_equal "$(final 0 tx_packets)" 100
}

@test "direct: a memory table that fails to map stops the port (no pointer into freed memory), the next one restarts it" {
	attack fail-mem direct
	assert_line "bad-table refused"
	assert_line "without-table 10 0"
	# The ten frames that waited in the ring come back too.
	assert_line "after 100 110"
	stop_reflector
	assert_equal "$(final 0 rx_packets)" 210
	assert_equal "$(final 0 tx_packets)" 210
}

@test "direct: a ring grown past guest memory (SET_VRING_NUM after SET_VRING_ADDR) is refused, said; fixed, it runs" {
	attack ring-outside direct
	assert_line "outside 10 0"
	assert_line "after 100 110"
	stop_reflector
	grep -qF '{"type":"event","port":0,"refused":"ring","queue":0,"reason":"outside guest memory"}' "$RLOG"
	assert_equal "$(final 0 refused.rings)" 1
	assert_equal "$(final 0 rx_packets)" 110
}

@test "both paths: a SET_VRING_NUM DPDK refuses leaves the port forwarding" {
	local dp
	for dp in direct pmd; do
		attack fail-num "$dp" 20000
		assert_line "bad-num refused"
		assert_line "after 100 100"
		stop_reflector
		assert_equal "$(final 0 tx_packets)" 200
	done
}

@test "both paths: a TX ring the guest disabled is never taken from, even when its RX ring is enabled again" {
	local dp
	for dp in direct pmd; do
		attack disabled-tx "$dp" 20000
		assert_line "tx-disabled-taken 0"
		assert_line "after 100 110"
		stop_reflector
		assert_equal "$(final 0 rx_packets)" 210
	done
}

@test "both paths: a call fd that is a pipe nobody reads never stops a worker" {
	local dp
	for dp in direct pmd; do
		attack pipe-call "$dp" 20000
		assert_line "pipe-call 48000 48000"
		stop_reflector
		assert_equal "$(final 0 tx_packets)" 48000
	done
}

@test "both paths: a header without its payload: the connection is closed after the socket timeout; SIGTERM works meanwhile" {
	local dp
	for dp in direct pmd; do
		attack stall "$dp" 20000
		assert_line "stall closed"
		stop_reflector
	done
	# SIGTERM while a frontend stalls the vhost control thread: still a clean stop.
	start_reflector direct
	"$VHU" "$BAD" stall >"$BATS_TEST_TMPDIR/vhu.out" 2>&1 3>&- &
	local vpid=$!
	wait_for_line "$BATS_TEST_TMPDIR/vhu.out" stalling || fail "vhu: $(cat "$BATS_TEST_TMPDIR/vhu.out")"
	stop_reflector
	wait "$vpid" || true
}

@test "both paths: a flood of requests whose replies are never read: the connection is cut, the control thread lives" {
	local dp
	for dp in direct pmd; do
		attack flood "$dp" 20000
		assert_line "flood closed"
		# The control thread still answers: a new frontend on the same port works.
		run -0 "$VHU" "$BAD" good
		assert_line "good 100 100"
		stop_reflector
		[ "$dp" = pmd ] || grep -qF '{"type":"event","port":0,"refused":"replies-unread"}' "$RLOG"
	done
}
