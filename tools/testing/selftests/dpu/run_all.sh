#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run every dpupool selftest in this directory (inside a guest with dpu.ko
# and dpu_sim.ko loaded), printing each test's own TAP output between
# "# selftest: NAME" and "# exit: NAME RC" markers for scripts/check.sh.
# kselftest's "make run_tests" runs the same programs.
cd "$(dirname "$0")" || exit 1
tests=${*:-$(make -s --no-print-directory print-tests 2>/dev/null)}
timeout=${DPU_TEST_TIMEOUT:-$(sed -n 's/^timeout=//p' settings)}
for t in $tests; do
	echo "# selftest: $t"
	timeout "${timeout:-300}" "./$t" 2>&1
	echo "# exit: $t $?"
done
