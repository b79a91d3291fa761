# SPDX-License-Identifier: GPL-2.0
# Shared by the dpud guest tests (sourced): TAP counters and helpers.
n_test=0 n_pass=0 n_fail=0

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
	fi
}

finish() {
	echo "# $n_pass passed, $n_fail failed"
	[ "$n_fail" -eq 0 ]
	exit $?
}

wait_for() {	# wait_for SEC COMMAND...: poll until the command succeeds
	local t=$(($1 * 10))
	shift
	while [ $t -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}

eq() { [ "$1" = "$2" ] || { echo "# got '$1', want '$2'"; return 1; }; }

term() {	# term PID: SIGTERM, 10 s to exit (else SIGKILL, 137); its status
	local i
	kill -TERM "$1" 2>/dev/null
	for i in $(seq 100); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$1" 2>/dev/null && { echo "# $1 ignored SIGTERM"; kill -9 "$1"; }
	wait "$1"
}

sim_device() {	# sim_device ID: create dpu_sim ID, print its dpuN name
	local d
	echo "$1" > /sys/bus/dpu_sim/new_device || return 1
	for d in /sys/class/dpu/dpu*; do
		[ "$(basename "$(readlink "$d/device")")" = "dpu_sim$1" ] &&
			basename "$d"
	done
}
