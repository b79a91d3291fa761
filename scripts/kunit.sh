#!/usr/bin/env bash
# Run dpupool's KUnit suites on UML with kunit.py from the cached
# linux-source-6.1 tree. Our PCI-free sources are linked into the tree as
# drivers/misc/dpupool; the build directory lives in the cache, so reruns
# are incremental.
#
# Usage: scripts/kunit.sh [extra kunit.py run args]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
eval "$("$here/kernel.sh" --env)"

# sources of dpu.ko/dpu_sim.ko that build on UML, and the tests
srcs=(kmod/dpu_sim/sim_parse.c kmod/dpu_sim/dpu_sim.h kmod/dpu/dpu_fn_lib.h kmod/dpu/dpu_fn_state.c kmod/dpu/dpu_attr.c
      kmod/dpu/dpu_tb.h kmod/dpu/dpu_tb.c kmod/dpu/dpu_limits.h kmod/dpu/dpu_limits.c kmod/dpu/dpu_rate.h kmod/dpu/dpu_rate.c
      kmod/tests/sim_parse_kunit.c kmod/tests/dpu_fn_kunit.c kmod/tests/dpu_tb_kunit.c
      kmod/tests/dpu_rate_kunit.c kmod/dpu/dpu_qos_engine.h kmod/dpu/dpu_qos_engine.c kmod/tests/dpu_qos_kunit.c)

t=$KSRC/drivers/misc/dpupool
mkdir -p "$t"
find "$t" -maxdepth 1 -type l -delete
for f in "${srcs[@]}"; do
	ln -sfn "$repo/$f" "$t/$(basename "$f")"
done
ln -sfn "$repo/include/uapi" "$t/uapi"
ln -sfn "$repo/kmod/tests/Kconfig.kunit" "$t/Kconfig"
ln -sfn "$repo/kmod/tests/Makefile.kunit" "$t/Makefile"

grep -q 'drivers/misc/dpupool/Kconfig' "$KSRC/drivers/misc/Kconfig" ||
	sed -i '$i source "drivers/misc/dpupool/Kconfig"' "$KSRC/drivers/misc/Kconfig"
grep -q 'dpupool/' "$KSRC/drivers/misc/Makefile" ||
	echo 'obj-$(CONFIG_DPUPOOL_KUNIT) += dpupool/' >> "$KSRC/drivers/misc/Makefile"

build=$DPU_CACHE/kunit-build
mkdir -p "$build"
py=/usr/bin/python3
[ -x "$py" ] || py=python3
cd "$KSRC"
exec "$py" tools/testing/kunit/kunit.py run --arch=um --jobs="$(nproc)" \
	--build_dir="$build" --kunitconfig="$repo/kmod/tests/.kunitconfig" "$@"
