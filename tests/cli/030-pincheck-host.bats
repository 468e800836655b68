#!/usr/bin/env bats
# shellcheck disable=SC2154 # bats' run sets output, stderr and lines
# pincheck host: fixture hosts through --root, and this very host.
load helper

@test "a prepared host (fixture): isolation ok, the remaining problems named" {
	run -0 pincheck --root "$FIX/host-2017" --topology "$FIX/topo/host-2017.xml" host
	assert_line --partial "ok    CPUs 4-7 are isolated from load balancing (isolcpus, cgroup v2 isolated partition)"
	assert_line --partial "WARN  1 IRQ can land on isolated CPUs 5: 30 (eth0-tx-1)"
	assert_line --partial "WARN  irqbalance is running (pid 77)"
	assert_line --partial "WARN  CPUs 6-7 use the powersave governor"
	assert_line --partial "WARN  transparent hugepages are 'always'"
	run -1 pincheck --strict --root "$FIX/host-2017" --topology "$FIX/topo/host-2017.xml" host
}

@test "a bare host (fixture) as JSON" {
	run -0 pincheck --json --root "$FIX/host-bare" --topology "core:3 pu:1" host
	assert_equal "$(jqo '.findings[] | select(.id == "isolation") | .severity')" warn
	assert_equal "$(jqo '.findings[] | select(.id == "kvm") | .message')" \
		"/dev/kvm exists but neither kvm_intel nor kvm_amd is loaded: guests run under TCG (slow; pinning still works)"
	assert_equal "$(jqo '.host.online')" "0-2"
	assert_equal "$(jqo '.host.allowed')" "0-1"
}

@test "this host: every check reports, text and JSON agree" {
	run pincheck --json host
	[ "$status" -le 1 ]
	local ids
	ids=$(jqo '[.findings[].id] | join(" ")')
	for id in topology isolation irqbalance governor smt thp hugepages hugetlbfs kvm; do
		[[ " $ids " == *" $id "* ]] || fail "no finding $id in: $ids"
	done
	local n
	n=$(jqo '.findings | length')
	run pincheck host
	[ "$status" -le 1 ]
	assert_equal "$(grep -cE '^  (ok  |WARN|FAIL)  ' <<<"$output")" "$n"
}
