#!/usr/bin/env bash
# Build (once, cached) a debug kernel for the guest from the cached
# linux-source-6.1: x86_64_defconfig plus the fragment
# scripts/debug-kernel.config (KASAN, lockdep, PROVE_RCU, KMEMLEAK, UBSAN,
# DEBUG_OBJECTS, fault injection) with everything the guest runner needs
# built in. Then build dpu.ko and dpu_sim.ko against it in a copy of the
# tree (M= builds in place; the Debian kernel's modules stay in kmod/).
#
# Usage: scripts/debug-kernel.sh [--env]
#   --env: print DBG_VMLINUZ=, DBG_MODDIR=, DBG_KMOD= (directory of our
#          modules built for it), DBG_KVER=
# Cold: about 25 min on 2 cores; later runs rebuild only our modules.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
mode=${1:-}
eval "$("$here/kernel.sh" --env)"

log() { echo "debug-kernel: $*" >&2; }

frag=$here/debug-kernel.config
key=$(sha1sum < "$frag" | cut -c1-10)
out=$DPU_CACHE/debug-kernel-$key
jobs=$(nproc)

if [ ! -f "$out/.done" ]; then
	log "building a debug kernel in $out (cold: ~25 min)"
	mkdir -p "$out"
	make -s -C "$KSRC" O="$out" x86_64_defconfig >/dev/null
	"$KSRC/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$frag" >"$out/merge.log" 2>&1
	make -s -C "$KSRC" O="$out" olddefconfig >/dev/null
	# every option of the fragment must have survived (dependencies)
	missing=0
	while IFS= read -r line; do
		case "$line" in CONFIG_*=*) ;; *) continue ;; esac
		grep -qx "$line" "$out/.config" || { log "not set: $line"; missing=1; }
	done < "$frag"
	[ "$missing" = 0 ] || { log "the fragment did not apply"; exit 1; }
	nice -n 10 make -s -C "$KSRC" O="$out" -j"$jobs" bzImage modules >"$out/build.log" 2>&1 ||
		{ tail -n 40 "$out/build.log" >&2; exit 1; }
	rm -rf "$out/install"
	make -s -C "$KSRC" O="$out" INSTALL_MOD_PATH="$out/install" modules_install >/dev/null
	touch "$out/.done"
fi
kver=$(cat "$out/include/config/kernel.release")

# our modules against it, in a copy of the sources
mdir=$out/dpupool
mkdir -p "$mdir"
rm -rf "$mdir"/kmod "$mdir"/include
cp "$repo/Kbuild" "$mdir/"
cp -r "$repo/include" "$mdir/"
cp -r "$repo/kmod" "$mdir/"
find "$mdir/kmod" \( -name '*.o' -o -name '*.ko' -o -name '*.cmd' -o -name '*.mod' -o -name '*.mod.c' \) -delete
make -s -C "$out" M="$mdir" -j"$jobs" modules >"$out/dpupool-build.log" 2>&1 ||
	{ cat "$out/dpupool-build.log" >&2; exit 1; }

if [ "$mode" = --env ]; then
	printf 'DBG_VMLINUZ=%s\nDBG_MODDIR=%s\nDBG_KMOD=%s\nDBG_KVER=%s\n' \
		"$out/arch/x86/boot/bzImage" "$out/install/lib/modules/$kver" \
		"$mdir/kmod" "$kver"
else
	log "ready: $out/arch/x86/boot/bzImage ($kver), modules in $mdir/kmod"
fi
