#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2154,SC2016 # bats' run sets output, stderr and lines; jq programs are in single quotes
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

# Apply a --fix report ($1) to a tree the way a configuration tool would (the Ansible
# role does it for real in 130-fleet): whole files, lines, writes, then commands.
apply_fix() {
	local n i p
	n=$(jq '.files | length' "$1")
	for ((i = 0; i < n; i++)); do
		p=$(jq -r ".files[$i].path" "$1")
		mkdir -p "$(dirname "$p")"
		jq -j ".files[$i].content" "$1" >"$p"
	done
	n=$(jq '.lines | length' "$1")
	for ((i = 0; i < n; i++)); do
		p=$(jq -r ".lines[$i].path" "$1")
		{ grep -Ev "$(jq -r ".lines[$i].regexp" "$1" | sed 's/\\s/[[:space:]]/')" "$p" || true; jq -r ".lines[$i].line" "$1"; } >"$p.new"
		mv "$p.new" "$p"
	done
	n=$(jq '.writes | length' "$1")
	for ((i = 0; i < n; i++)); do
		jq -r ".writes[$i].value" "$1" >"$(jq -r ".writes[$i].path" "$1")"
	done
	n=$(jq '.commands | length' "$1")
	for ((i = 0; i < n; i++)); do
		mapfile -t argv < <(jq -r ".commands[$i][]" "$1")
		"${argv[@]}" >/dev/null
	done
}

@test "host --fix: the changes that make the 2017 host pass a plan, as data and text; nothing changed by pincheck" {
	local root=$BATS_TEST_TMPDIR/host topo="$FIX/topo/host-2017.xml"
	cp -a "$FIX/host-2017" "$root"
	local before
	before=$(find "$root" -type f -exec sha256sum {} + | sort)
	run -0 --separate-stderr pincheck --root "$root" --topology "$topo" host --fix --host-lcores 1-3 --vcpu-map 0-3:4-7 \
		--hugepages 256M --json
	assert_equal "$(find "$root" -type f -exec sha256sum {} + | sort)" "$before"
	assert_equal "$(jqo '.plan | [.isolate, .housekeeping] | join(" ")')" "1-7 0"
	assert_equal "$(jqo '[.changes[].id] | join(" ")')" "kernel-args irq-isolated irqbalance governor thp hugepages"
	assert_equal "$(jqo '.kernel_args.wanted | join(" ")')" \
		"isolcpus=managed_irq,domain,1-7 nohz_full=1-7 rcu_nocbs=1-7 irqaffinity=0 cpufreq.default_governor=performance transparent_hugepage=madvise"
	# The running kernel isolates 4-7 already: those arguments would be ignored next to ours.
	assert_equal "$(jqo '.kernel_args.conflicts | join(" ")')" \
		"isolcpus=managed_irq,domain,4-7 nohz_full=4-7 rcu_nocbs=4-7 irqaffinity=0-3"
	assert_equal "$(jqo '.kernel_args.dropin | [.path, .state] | join(" ")')" "$root/etc/default/grub.d/pinlab.cfg missing"
	assert_equal "$(jqo '.reboot')" true
	assert_equal "$(jqo '[.writes[] | "\(.path | ltrimstr($r))=\(.value)<\(.now)"] | join(" ")' --arg r "$root")" \
		"/proc/irq/24/smp_affinity_list=0<0-3 /proc/irq/25/smp_affinity_list=0<0-7 /proc/irq/30/smp_affinity_list=0<5 /sys/devices/system/cpu/cpu6/cpufreq/scaling_governor=performance<powersave /sys/devices/system/cpu/cpu7/cpufreq/scaling_governor=performance<powersave /sys/kernel/mm/transparent_hugepage/enabled=madvise<always"
	assert_equal "$(jqo '.lines[0] | "\(.path | ltrimstr($r)) \(.line)"' --arg r "$root")" \
		"/etc/default/irqbalance IRQBALANCE_BANNED_CPULIST=1-7"
	assert_equal "$(jqo '.services[0].name')" irqbalance
	assert_equal "$(jqo '.commands[0][1:] | join(" ")')" "setup 256M --page-size 2M --node 0 --persist --root $root"
	assert_equal "$(jqo '[.not_fixed[].id] | join(" ")')" smt
	echo "$output" >"$BATS_TEST_TMPDIR/fix.json"
	# The text says the same from the same data.
	run -0 pincheck --root "$root" --topology "$topo" host --fix --host-lcores 1-3 --vcpu-map 0-3:4-7 --hugepages 256M
	assert_line --partial "isolates CPUs 1-7 (housekeeping: 0): 6 changes, then a reboot"
	assert_line --regexp "^ +echo performance > $root/sys/devices/system/cpu/cpu6/cpufreq/scaling_governor   \(now powersave\)$"
	assert_line --partial "GRUB_CMDLINE_LINUX_DEFAULT=\"\$GRUB_CMDLINE_LINUX_DEFAULT isolcpus=managed_irq,domain,1-7 "
	assert_line --partial "conflict      irqaffinity=0-3 is on the kernel command line already"

	# Applied, the runtime changes are not proposed again; the kernel arguments wait
	# for a reboot, their drop-in written; and pincheck host passes what it fixed.
	apply_fix "$BATS_TEST_TMPDIR/fix.json"
	run -0 --separate-stderr pincheck --root "$root" --topology "$topo" host --fix --host-lcores 1-3 --vcpu-map 0-3:4-7 \
		--hugepages 256M --json
	assert_equal "$(jqo '[.changes[].id] | join(" ")')" kernel-args
	assert_equal "$(jqo '.kernel_args.dropin.state')" same
	[ -L "$root/etc/systemd/system/sysinit.target.wants/pinlab-hugepages-2M-node0.service" ]
	run -0 pincheck --json --root "$root" --topology "$topo" host
	assert_equal "$(jqo '[.findings[] | select(.severity != "ok") | .id] | join(" ")')" smt
	# The kernel booted with the drop-in's arguments: nothing left to change.
	sed -i 's/ isolcpus=managed_irq,domain,4-7 nohz_full=4-7 rcu-nocbs=4-7 irqaffinity=0-3 / isolcpus=managed_irq,domain,1-7 nohz_full=1-7 rcu_nocbs=1-7 irqaffinity=0 cpufreq.default_governor=performance transparent_hugepage=madvise /' \
		"$root/proc/cmdline"
	echo 1-7 >"$root/sys/devices/system/cpu/isolated"
	echo 1-7 >"$root/sys/devices/system/cpu/nohz_full"
	run -0 --separate-stderr pincheck --root "$root" --topology "$topo" host --fix --host-lcores 1-3 --vcpu-map 0-3:4-7 \
		--hugepages 256M --json
	assert_equal "$(jqo '.pending, .reboot, (.kernel_args.missing | length)' | tr '\n' ' ')" "0 false 0 "
}

@test "host --fix without a plan: all but CPU 0's core; errors are one line, exit 2" {
	local root=$BATS_TEST_TMPDIR/bare
	cp -a "$FIX/host-bare" "$root"
	run -0 --separate-stderr pincheck --root "$root" --topology "core:3 pu:1" host --fix --json
	assert_equal "$(jqo '.plan.isolate')" "1-2"
	# No hugepages at all: 1G proposed, and set up at boot.
	assert_equal "$(jqo '.changes[] | select(.id == "hugepages") | .commands[0][1:5] | join(" ")')" "setup 1G --page-size 2M"
	assert_equal "$(jqo '[.not_fixed[].id] | join(" ")')" kvm
	run -2 --separate-stderr pincheck --root "$root" --topology "core:3 pu:1" host --fix --host-lcores 0-2
	assert_equal "$stderr" "pincheck: the plan takes every online CPU: leave at least one (CPU 0) to the system"
	run -2 --separate-stderr pincheck --root "$root" --topology "core:3 pu:1" host --fix --vcpu-map 0:7
	assert_equal "$stderr" "pincheck: --vcpu-map '0:7' uses CPU 7, which is not online on this host (online: 0-2)"
	run -2 --separate-stderr pincheck host --hugepages 1G
	[[ $stderr == "pincheck: --hugepages goes with --fix"* ]]
	run -2 --separate-stderr pincheck host --fix --hugepages lots
	[[ $stderr == "pincheck: invalid --hugepages 'lots': "* ]]
	run -2 --separate-stderr pincheck plan --fix --vcpu-map 0:1
	[[ $stderr == "pincheck: --fix and --hugepages are options of 'host'"* ]]
	run -2 --separate-stderr pincheck host --vcpu-map 0:1
	[[ $stderr == "pincheck: --vcpu-map and --host-lcores are options of 'plan', 'vm' and 'host --fix'"* ]]
}
