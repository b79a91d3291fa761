# SPDX-License-Identifier: GPL-2.0
# Shared by the dpud guest tests (sourced): the selftests' TAP helpers
# (check, finish, sim_dpu) plus a few of their own.
. "$(dirname "${BASH_SOURCE[0]}")/../selftests/dpu/lib.sh"

wait_for() {	# wait_for SEC COMMAND...: poll until the command succeeds
	# a deadline on the clock: a slow command must not stretch the wait
	wait_until "$@"
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
	echo "$1" > "$SIM/new_device" && sim_dpu "$1"
}
