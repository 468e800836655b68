#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2154 # bats' run sets output, stderr and lines
# pincheck's command line: help, version, and one clear line with exit 2 for every bad input.
load helper

@test "--help prints usage on stdout and exits 0" {
	run -0 pincheck --help
	assert_line --partial "pincheck plan --vcpu-map MAP"
	assert_line --partial "--strict"
}

@test "--version names the program and version" {
	run -0 pincheck --version
	assert_output --regexp '^pincheck \(pinlab\) [0-9]+\.[0-9]+'
}

@test "an unknown option is a usage error pointing at --help" {
	run -2 --separate-stderr pincheck --bogus host
	assert_equal "$output" ""
	[[ $stderr == *"Try 'pincheck --help'"* ]]
}

@test "a missing or unknown command is a usage error" {
	run -2 --separate-stderr pincheck
	[[ $stderr == "pincheck: no command given (host, plan or vm)"* ]]
	run -2 --separate-stderr pincheck frobnicate
	[[ $stderr == "pincheck: unknown command 'frobnicate'"* ]]
	run -2 --separate-stderr pincheck host extra
	[[ $stderr == *"unexpected argument 'extra'"* ]]
}

@test "options that belong to another command are refused" {
	run -2 --separate-stderr pincheck plan
	[[ $stderr == *"plan needs --vcpu-map MAP"* ]]
	run -2 --separate-stderr pincheck vm
	[[ $stderr == *"vm needs one of --pid PID, --qmp SOCKET, --name NAME or --libvirt DOMAIN"* ]]
	run -2 --separate-stderr pincheck host --pid 1
	[[ $stderr == *"--pid, --qmp, --name, --libvirt and --sample are options of 'vm'"* ]]
	run -2 --separate-stderr pincheck host --vcpu-map 0:1
	[[ $stderr == *"options of 'plan', 'vm' and 'host --fix'"* ]]
}

@test "a bad vCPU map names the problem and the position, exit 2" {
	run -2 --separate-stderr pincheck plan --topology "$HOST_2017" --vcpu-map 0:4,0:5
	assert_equal "$stderr" "pincheck: invalid --vcpu-map '0:4,0:5': vCPU 0 is mapped twice (to 4 and 5)"
	run -2 --separate-stderr pincheck plan --topology "$HOST_2017" --vcpu-map 0:4,2:6
	[[ $stderr == *"vCPU 1 is missing"* ]]
	run -2 --separate-stderr pincheck plan --topology "$HOST_2017" --vcpu-map 0-3:4-6
	[[ $stderr == *"maps 4 vCPUs to 3 CPUs"* ]]
	run -2 --separate-stderr pincheck plan --topology "$HOST_2017" --vcpu-map 0:4x
	[[ $stderr == *"unexpected 'x' at position 3"* ]]
	run -2 --separate-stderr pincheck plan --topology "$HOST_2017" --vcpu-map 0:9
	[[ $stderr == *"vCPU 0 is mapped to CPU 9, which the topology does not have (CPUs 0-7)"* ]]
	assert_equal "$output" ""
}

@test "bad host lcores: list and mask errors, exit 2" {
	run -2 --separate-stderr pincheck plan --topology "$HOST_2017" --vcpu-map 0:4 --host-lcores 3-1
	assert_equal "$stderr" "pincheck: invalid --host-lcores '3-1': reversed range 3-1 at position 0"
	run -2 --separate-stderr pincheck plan --topology "$HOST_2017" --vcpu-map 0:4 --host-lcores 0xzz
	[[ $stderr == *"unexpected 'z' at position 2 in a hex mask"* ]]
	run -2 --separate-stderr pincheck plan --topology "$HOST_2017" --vcpu-map 0:4 --host-lcores 0x100
	[[ $stderr == *"host lcore CPU 8 is not in the topology"* ]]
}

@test "bad pid, sample, root and topology: one line each, exit 2" {
	run -2 --separate-stderr pincheck vm --pid abc
	[[ $stderr == "pincheck: invalid pid 'abc'"* ]]
	run -2 --separate-stderr pincheck vm --pid 0
	run -2 --separate-stderr pincheck vm --pid 1 --sample 0
	[[ $stderr == *"invalid --sample '0'"* ]]
	run -2 --separate-stderr pincheck vm --pid 1 --sample nan
	run -2 --separate-stderr pincheck --root /nonexistent host
	assert_equal "$stderr" "pincheck: --root /nonexistent: No such file or directory"
	run -2 --separate-stderr pincheck --topology /nonexistent.xml plan --vcpu-map 0:1
	assert_equal "$stderr" "pincheck: cannot load topology '/nonexistent.xml': No such file or directory"
	run -2 --separate-stderr pincheck --topology "core:banana" plan --vcpu-map 0:1
	[[ $stderr == *"not an hwloc XML file or synthetic description"* ]]
}

@test "vm: no such process, and a process that is not QEMU, exit 2" {
	run -2 --separate-stderr pincheck vm --pid 999999999
	assert_equal "$stderr" "pincheck: no process with pid 999999999"
	run -2 --separate-stderr pincheck vm --pid $$
	[[ $stderr == *"has no vCPU threads named 'CPU n/KVM' or 'CPU n/TCG'"* ]]
	[[ $stderr == *"debug-threads=on"* ]]
}
