#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2154 # bats' run sets output, stderr and lines
# The Ansible role and playbook (templates/ansible), run for real by Debian's
# ansible-core against this machine twice over (two inventory hosts, connection
# local, one after the other): the package installed with apt, `pincheck host --fix`
# applied to a copy of the 2017 host's tree for each (the kernel arguments' update-grub
# in check mode, no reboot), a short loopback run, its results fetched to
# results/HOST/RUN and compared.  A second run changes nothing (changed=0).
load helper

setup() {
	need_root
	command -v ansible-playbook >/dev/null || skip "ansible-core is not installed (make deps)"
	# The test installs the package and removes it again: a host that has it keeps it.
	if dpkg-query -W -f='${db:Status-Abbrev}' pinlab 2>/dev/null | grep -q '^ii'; then
		skip "pinlab is installed on this host: the test would replace it"
	fi
	save_hugepages
	CACHE_WAS=
	if [ -d /var/cache/pinlab ]; then CACHE_WAS=1; fi
	W=$BATS_TEST_TMPDIR
}

teardown() {
	if dpkg-query -W -f='${db:Status-Abbrev}' pinlab 2>/dev/null | grep -q '^ii'; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq pinlab >/dev/null
	fi
	if [ -z "$CACHE_WAS" ]; then rm -rf /var/cache/pinlab; else rm -f /var/cache/pinlab/pinlab_*_amd64.deb; fi
	restore_hugepages
}

# ansible-playbook's recap line for host $1 in $output: "ok=N changed=N ...".
recap() { grep -E "^$1 +: " <<<"$output" | sed 's/^[^:]*: *//'; }

@test "the playbook installs, prepares two hosts from pincheck's fix, benchmarks, fetches and compares; a second run changes nothing" {
	local deb
	deb=$(ls "$TOP"/build/deb/pinlab_*_amd64.deb 2>/dev/null || true)
	if [ -z "$deb" ]; then
		make -C "$TOP" --no-print-directory deb >/dev/null
		deb=$(ls "$TOP"/build/deb/pinlab_*_amd64.deb)
	fi
	local h
	for h in dut1 dut2; do
		cp -a "$FIX/host-2017" "$W/$h-root"
		mkdir -p "$W/$h-results"
	done
	cat >"$W/inventory.ini" <<-INV
		[pinlab]
		dut1 pinlab_root=$W/dut1-root pinlab_results_dir=$W/dut1-results
		dut2 pinlab_root=$W/dut2-root pinlab_results_dir=$W/dut2-results pinlab_hugepages=384M

		[pinlab:vars]
		ansible_connection=local
		ansible_python_interpreter=/usr/bin/python3
		ansible_become=false
		pinlab_deb=$deb
		pinlab_topology=$FIX/topo/host-2017.xml
		pinlab_host_lcores=1-3
		pinlab_vcpu_map=0-3:4-7
		pinlab_hugepages=256M
		pinlab_kernel_args_check_mode=true
		pinlab_profile_file=$FIX/bench/quick.conf
	INV
	export ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=0 ANSIBLE_LOCAL_TEMP=$W/ansible-tmp ANSIBLE_HOME=$W/ansible-home
	# The installed tools, not this build's: the hosts' PATH without build/bin.
	export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	run -0 --separate-stderr ansible-playbook -i "$W/inventory.ini" "$TOP/templates/ansible/fleet.yml" \
		-e pinlab_fetch_dir="$W/fetched" -e pinlab_serial=1
	[[ $(recap dut1) =~ changed=([0-9]+).*failed=0 ]] && [ "${BASH_REMATCH[1]}" -gt 0 ] || fail "dut1: $(recap dut1)"
	[[ $(recap dut2) =~ failed=0 ]] || fail "dut2: $(recap dut2)"
	local play=$output
	# The package came from apt, with the version built here.
	assert_equal "$(dpkg-query -W -f='${Version}' pinlab)" "$(cat "$TOP/VERSION")"
	# Each tree got what the fix said: the drop-in, irqbalance's line, IRQs, governors,
	# THP, a hugepages unit for its own size; pincheck host now passes those checks.
	for h in dut1 dut2; do
		grep -q 'isolcpus=managed_irq,domain,1-7 nohz_full=1-7' "$W/$h-root/etc/default/grub.d/pinlab.cfg"
		grep -qx 'IRQBALANCE_BANNED_CPULIST=1-7' "$W/$h-root/etc/default/irqbalance"
		assert_equal "$(cat "$W/$h-root/proc/irq/30/smp_affinity_list")" 0
		assert_equal "$(cat "$W/$h-root/sys/devices/system/cpu/cpu7/cpufreq/scaling_governor")" performance
		[ -L "$W/$h-root/etc/systemd/system/sysinit.target.wants/pinlab-hugepages-2M-node0.service" ]
		run -0 /usr/bin/pincheck --json --root "$W/$h-root" --topology "$FIX/topo/host-2017.xml" host
		assert_equal "$(jqo '[.findings[] | select(.severity != "ok") | .id] | join(" ")')" smt
	done
	grep -q -- 'setup 384M --page-size 2M --node 0$' "$W/dut2-root/etc/systemd/system/pinlab-hugepages-2M-node0.service"
	# Results fetched per host, by the installed tools (the package's version, its templates).
	for h in dut1 dut2; do
		for f in results.json env.json table.txt results.csv; do
			[ -s "$W/fetched/$h/quick/$f" ] || fail "no $h/quick/$f"
		done
		cmp "$W/fetched/$h/quick/results.json" "$W/$h-results/quick/results.json"
		assert_equal "$(jq -r .pinlab "$W/fetched/$h/quick/env.json")" "$(/usr/bin/vmbench --version | awk '{print $3}')"
	done
	# The controller compared them: one table, the two hosts' runs.
	grep -q "A ($W/fetched/dut1/quick): " <<<"$play"
	grep -q "B ($W/fetched/dut2/quick): " <<<"$play"
	# Again: nothing to change anywhere.
	run -0 --separate-stderr ansible-playbook -i "$W/inventory.ini" "$TOP/templates/ansible/fleet.yml" \
		-e pinlab_fetch_dir="$W/fetched" -e pinlab_serial=1
	for h in dut1 dut2; do
		[[ $(recap $h) =~ changed=0\ .*failed=0 ]] || fail "second run, $h: $(recap $h)"
	done
	[[ $(recap localhost) =~ changed=0\ .*failed=0 ]] || fail "second run, localhost: $(recap localhost)"
}

@test "ansible-lint: the role and the playbook are clean" {
	command -v ansible-lint >/dev/null || skip "ansible-lint is not installed (make deps)"
	cd "$TOP/templates/ansible"
	ANSIBLE_HOME=$BATS_TEST_TMPDIR/ansible-home run -0 --separate-stderr ansible-lint --offline -p
	assert_output ""
}
