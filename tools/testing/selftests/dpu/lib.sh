# SPDX-License-Identifier: GPL-2.0
# Shell helpers for dpupool selftests (TAP-ish output, kselftest exit codes).
KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

DPU_REPO=${DPU_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/../../../.." && pwd)}
DPUCTL=${DPUCTL:-$DPU_REPO/user/build/bin/dpuctl}
SIM=/sys/bus/dpu_sim

n_fail=0
n_pass=0
n_test=0

check() {	# check DESCRIPTION COMMAND...
	local desc=$1
	shift
	n_test=$((n_test + 1))
	if "$@"; then
		echo "ok $n_test $desc"
		n_pass=$((n_pass + 1))
	else
		echo "not ok $n_test $desc"
		n_fail=$((n_fail + 1))
		return 1
	fi
}

wait_for_path() {	# wait_for_path PATH: up to 3 s for it to exist
	local i
	for i in $(seq 1 30); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

quiet() {	# quiet COMMAND...: its exit status, without its output
	"$@" >/dev/null
}

finish() {
	echo "# $n_pass passed, $n_fail failed"
	[ "$n_fail" -eq 0 ] && exit $KSFT_PASS
	exit $KSFT_FAIL
}

require() {
	[ -d "$SIM" ] || { echo "# SKIP: dpu_sim.ko not loaded"; exit $KSFT_SKIP; }
	[ -x "$DPUCTL" ] || { echo "# SKIP: $DPUCTL not built"; exit $KSFT_SKIP; }
	command -v jq >/dev/null || { echo "# SKIP: jq missing"; exit $KSFT_SKIP; }
}

# name (dpuN) of the DPU bound to simulated device $1
sim_dpu() {
	local d
	for d in /sys/class/dpu/dpu*; do
		[ "$(basename "$(readlink "$d/device")")" = "dpu_sim$1" ] &&
			{ basename "$d"; return 0; }
	done
	return 1
}

# tenant_ensure DEV TENANT: create the tenant unless it exists already
tenant_ensure() {
	"$DPUCTL" tenant show "$1/$2" >/dev/null 2>&1 ||
		"$DPUCTL" tenant add "$1/$2" >/dev/null
}

# fn_add DEV TYPE SIZE_OR_- TENANT: creates (and the tenant if it does not
# exist yet), waits for ready, prints "INDEX NAME" where NAME is the block
# or net device
fn_add() {
	local dev=$1 type=$2 size=$3 tenant=$4 j
	tenant_ensure "$dev" "$tenant" || return 1
	if [ "$type" = blk ]; then
		j=$("$DPUCTL" -j fn add dev "$dev" type blk size "$size" tenant "$tenant" wait) || return 1
		jq -r '.[0] | "\(.index) \(.blkdev)"' <<<"$j"
	else
		j=$("$DPUCTL" -j fn add dev "$dev" type net tenant "$tenant" wait) || return 1
		jq -r '.[0] | "\(.index) \(.netdev)"' <<<"$j"
	fi
}

sim_knob() {	# sim_knob ID KNOB VALUE
	echo "$3" > "/sys/kernel/debug/dpu_sim/dpu_sim$1/$2"
}

# netns_pair NIC REP NS_A NS_B NET: the NIC into NS_A as NET.1/24, its
# representor into NS_B as NET.2/24, both up (NET like 10.200.0)
netns_pair() {
	local nic=$1 rep=$2 a=$3 b=$4 net=$5
	ip netns add "$a" && ip netns add "$b" &&
	ip link set "$nic" netns "$a" && ip link set "$rep" netns "$b" &&
	ip -n "$a" addr add "$net.1/24" dev "$nic" &&
	ip -n "$b" addr add "$net.2/24" dev "$rep" &&
	ip -n "$a" link set "$nic" up && ip -n "$b" link set "$rep" up &&
	ip -n "$a" link set lo up && ip -n "$b" link set lo up
}

# --- the emulated PCIe DPU (scripts/vm --dpu-emu N, tools/testing/dpu-emu)

# name (dpuN) of the DPU of backend "pci"
pci_dpu() {
	local d
	for d in /sys/class/dpu/dpu*; do
		[ "$(cat "$d/backend" 2>/dev/null)" = pci ] && { basename "$d"; return 0; }
	done
	return 1
}

require_pci() {
	[ -x "$DPUCTL" ] || { echo "# SKIP: $DPUCTL not built"; exit $KSFT_SKIP; }
	command -v jq >/dev/null || { echo "# SKIP: jq missing"; exit $KSFT_SKIP; }
	[ -n "${DPU_EMU:-}" ] || { echo "# SKIP: no emulated DPU (scripts/vm --dpu-emu N)"; exit $KSFT_SKIP; }
	pci_dpu >/dev/null || { echo "# SKIP: no DPU of backend pci (dpu_pci.ko)"; exit $KSFT_SKIP; }
}

emu() {		# emu COMMAND [ARG]: tell the emulated DPU (fault injection)
	"$DPU_EMU" ctl "$@"
}

# emu_fns: "INDEX:TYPE:STATE:SLOT ..." of the functions the DPU has
emu_fns() {
	emu fns | sed 's/^ok *//'
}

# fn_state DEV INDEX
fn_state() {
	"$DPUCTL" -j fn show "$1/$2" 2>/dev/null | jq -r '.[0].state'
}

# wait_until SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds
wait_until() {	# wait_until SEC COMMAND...: poll until it succeeds or SEC pass
	local end=$((SECONDS + $1))
	shift
	while :; do
		"$@" && return 0
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}

state_is() {	# state_is DEV INDEX STATE
	[ "$(fn_state "$1" "$2")" = "$3" ]
}

# wait_state DEV INDEX STATE SECONDS
wait_state() {
	wait_until "$4" state_is "$1" "$2" "$3"
}

emu_empty() {
	[ -z "$(emu_fns)" ]
}

# wait_emu_empty SECONDS: the DPU has no function left
wait_emu_empty() {
	wait_until "$1" emu_empty
}

# --- tests about the core, run on either backend: DPU_TEST_BACKEND=pci
# runs them on the emulated PCIe DPU instead of a simulated one

# backend_dpu ID: a DPU to test on (a new simulated one of that ID, or the
# PCIe DPU), its name in $dev
backend_dpu() {
	if [ "${DPU_TEST_BACKEND:-sim}" = pci ]; then
		require_pci
		dev=$(pci_dpu)
		[ -z "$("$DPUCTL" -j fn show "$dev" | jq -r '.[]')" ] ||
			{ echo "# SKIP: the PCIe DPU has functions already"; exit $KSFT_SKIP; }
	else
		require
		echo "$1" > $SIM/new_device
		dev=$(sim_dpu "$1")
	fi
	backend_id=$1
}

# backend_fail_attach N: the next N attaches fail with EIO
backend_fail_attach() {
	if [ "${DPU_TEST_BACKEND:-sim}" = pci ]; then
		emu fail-attach "$1" >/dev/null
	else
		sim_knob "$backend_id" fail_attach "$1"
	fi
}

# backend_cleanup: delete what the test made on the DPU (or the DPU)
backend_cleanup() {
	local i t
	if [ "${DPU_TEST_BACKEND:-sim}" = pci ]; then
		for i in $("$DPUCTL" -j fn show "$dev" 2>/dev/null | jq -r '.[].index'); do
			"$DPUCTL" fn del "$dev/$i" 2>/dev/null
		done
		for t in $("$DPUCTL" -j tenant show "$dev" 2>/dev/null | jq -r '.[] | "\(.depth) \(.name)"' | sort -rn | cut -d' ' -f2); do
			"$DPUCTL" tenant del "$dev/$t" 2>/dev/null
		done
	else
		echo "$backend_id" > $SIM/del_device 2>/dev/null
	fi
}

# the block device name pattern of a function's disk
backend_blk_re() {
	if [ "${DPU_TEST_BACKEND:-sim}" = pci ]; then echo 'vd[a-z]*'; else echo "${dev}b$1"; fi
}

# wait_blk NAME: up to 10 s for /dev/NAME to be a block device (devtmpfs
# makes nodes asynchronously; a slow kernel may lag behind the disk)
wait_blk() {
	wait_until 10 test -b "/dev/$1"
}
