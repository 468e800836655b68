#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2154 # bats' run sets output, stderr and lines
# pincheck plan: the 2017 layout is caught and a better one proposed; sound layouts pass.
load helper

@test "the 2017 layout shares every physical core and gets a proposal (text)" {
	run -1 pincheck plan --topology "$HOST_2017" --host-lcores 0x0f --vcpu-map 0:4,1:5,2:6,3:7
	assert_line --partial "FAIL  host lcores and vCPUs share every physical core (4 of 4"
	assert_line --partial "fix: use separate cores: --host-lcores 0-1,4-5 --vcpu-map 0:2,1:6,2:3,3:7"
	assert_line --partial "isolation of CPUs 0-7 is unknown"
}

@test "the 2017 layout as JSON: findings with id, severity, message, hint" {
	run -1 pincheck plan --json --topology "$FIX/topo/host-2017.xml" --host-lcores 0-3 --vcpu-map 0-3:4-7
	assert_equal "$(jqo '.command')" plan
	assert_equal "$(jqo '.findings[] | select(.id == "smt-host-guest") | .severity')" fail
	assert_equal "$(jqo '.proposal.vcpu_map')" "0:2,1:6,2:3,3:7"
	assert_equal "$(jqo '[.findings[] | has("id") and has("severity") and has("message")] | all')" true
	assert_equal "$(jqo '.findings[] | select(.id == "isolation") | .unknown')" true
}

@test "the proposed layout passes the SMT check" {
	run -0 pincheck plan --topology "$HOST_2017" --host-lcores 0-1,4-5 --vcpu-map 0:2,1:6,2:3,3:7
	assert_line --partial "ok    host lcores and vCPUs are on different physical cores"
	assert_line --partial "WARN  vCPUs share physical cores (SMT siblings 2,6 3,7)"
	run -1 pincheck plan --strict --topology "$HOST_2017" --host-lcores 0-1,4-5 --vcpu-map 0:2,1:6,2:3,3:7
}

@test "two vCPUs on one CPU fail; a host lcore on a vCPU's CPU fails" {
	run -1 pincheck plan --topology "$HOST_2017" --vcpu-map 0:5,1:5
	assert_line --partial "vCPUs 0 and 1 share CPU 5"
	run -1 pincheck plan --topology "$HOST_2017" --vcpu-map 0:5 --host-lcores 5
	assert_line --partial "host lcores and vCPUs both use CPU 5"
}

@test "NUMA spread is a warning" {
	run -0 pincheck plan --json --topology "numa:2 core:2 pu:1" --vcpu-map 0:1,1:2
	assert_equal "$(jqo '.findings[] | select(.id == "numa-spread") | .severity')" warn
}

@test "on this host: a CPU that does not exist is an error, a real one is judged" {
	local n
	n=$(nproc --all)
	run -2 --separate-stderr pincheck plan --vcpu-map "0:$n"
	[[ $stderr == *"vCPU 0 is mapped to CPU $n, which the topology does not have"* ]]
	run pincheck plan --json --vcpu-map "0:$((n - 1))"
	[ "$status" -le 1 ]
	assert_equal "$(jqo '.findings[] | select(.id == "isolation") | has("unknown")')" false
	assert_equal "$(jqo '.topology')" "this host"
}

@test "wrong findings the review found: an empty host set, a shared CPU called separate, a stride called a CPU, raw newlines" {
	run -2 --separate-stderr pincheck plan --topology "$HOST_2017" --host-lcores 0x0 --vcpu-map 0:4
	assert_equal "$stderr" "pincheck: invalid --host-lcores '0x0': no CPU in it"
	# A CPU a host lcore and a vCPU share is not "on different physical cores".
	run -1 pincheck plan --topology "$HOST_2017" --host-lcores 1 --vcpu-map 0:1 --json
	assert_equal "$(jqo '.findings[] | select(.id == "host-guest-overlap") | .severity')" fail
	[[ $(jqo '.findings[] | select(.id == "smt-host-guest") | .message') != *"different physical cores"* ]]
	# A stride is a stride.
	run -2 --separate-stderr pincheck plan --topology "$HOST_2017" --vcpu-map 0-1:0-1:9000
	assert_equal "$stderr" "pincheck: invalid --vcpu-map '0-1:0-1:9000': item '0-1:0-1:9000' at position 0 maps 2 vCPUs to 1 CPU"
	run -2 --separate-stderr pincheck plan --topology "$HOST_2017" --vcpu-map $'0:1,\n1:2'
	assert_equal "${#lines[@]}" 0
	[[ $stderr == "pincheck: invalid --vcpu-map '0:1,\n1:2': "* ]]
	assert_equal "$(wc -l <<<"$stderr")" 1
}

@test "a synthetic topology is bounded: a huge one is refused at once, not built for minutes" {
	run -2 --separate-stderr timeout 10 pincheck plan --topology "pack:1 core:8192 pu:2" --vcpu-map 0:1
	assert_equal "$stderr" "pincheck: cannot load topology 'pack:1 core:8192 pu:2': a synthetic topology of more than 2048 CPUs (or 16 levels) is not planned for"
	run -2 --separate-stderr timeout 10 pincheck plan --topology "pack:99999999999999999999 pu:2" --vcpu-map 0:1
	[[ $stderr == *"more than 2048 CPUs"* ]]
	run -0 pincheck plan --topology "pack:2 core:256 pu:2" --vcpu-map 0:1
}
