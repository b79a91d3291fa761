#!/usr/bin/env bash
# Resolve, download and unpack (without installing) the Debian kernel the
# guests boot, its matching headers and linux-source-6.1.
#
# Usage: scripts/kernel.sh [--env]
#   default: fetch if needed, print what was picked (human readable)
#   --env:   fetch if needed, print shell assignments (KVER=..., KDIR=..., ...)
#   --header-debs: download the headers' .deb packages (once) and print
#            their directory
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/dpupool (override with DPU_CACHE).
# Pin a kernel ABI with DPU_KABI=6.1.0-NN-amd64.
set -euo pipefail

CACHE=${DPU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dpupool}
mkdir -p "$CACHE"
mode=${1:-}

log() { if [ -n "$mode" ]; then echo "kernel: $*" >&2; else echo "kernel: $*"; fi; }
die() { echo "kernel: error: $*" >&2; exit 1; }

command -v apt-cache >/dev/null || die "apt-cache not found (Debian host required)"

# Resolving through apt-cache takes seconds; reuse the last answer while
# the package lists are unchanged (and nothing is pinned).
envfile=$CACHE/kernel.env
if [ "$mode" = --env ] && [ -z "${DPU_KABI:-}" ] && [ -s "$envfile" ] &&
   [ -z "$(find /var/lib/apt/lists -maxdepth 1 -newer "$envfile" -name '*Packages*' 2>/dev/null | head -n1)" ]; then
	# shellcheck disable=SC1090
	. "$envfile"
	if [ -f "${VMLINUZ:-/nonexistent}" ] && [ -f "$KDIR/Makefile" ] && [ -d "$KSRC" ]; then
		cat "$envfile"
		exit 0
	fi
fi

# 1. The ABI that linux-image-amd64 depends on.
abi=${DPU_KABI:-}
if [ -z "$abi" ]; then
	abi=$(apt-cache depends linux-image-amd64 2>/dev/null |
	      sed -n 's/^ *Depends: linux-image-\(6\.1\.[0-9]*-[0-9]*-amd64\)$/\1/p' | head -n1)
	if [ -z "$abi" ]; then
		apt-get update -q >&2 || true
		abi=$(apt-cache depends linux-image-amd64 2>/dev/null |
		      sed -n 's/^ *Depends: linux-image-\(6\.1\.[0-9]*-[0-9]*-amd64\)$/\1/p' | head -n1)
	fi
fi
[ -n "$abi" ] || die "cannot resolve the ABI linux-image-amd64 depends on (run apt-get update)"
abinum=${abi%-amd64}            # 6.1.0-56

# 2. A version that has image-unsigned and headers (and common/kbuild) alike.
versions() { apt-cache madison "$1" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}'; }
ver=""
for v in $(versions "linux-image-$abi-unsigned"); do
	if versions "linux-headers-$abi" | grep -qx "$v" &&
	   versions "linux-headers-$abinum-common" | grep -qx "$v" &&
	   versions linux-kbuild-6.1 | grep -qx "$v"; then
		ver=$v
		break
	fi
done
[ -n "$ver" ] || die "no version of linux-image-$abi-unsigned with matching headers"

kroot=$CACHE/kernel-$abi-$ver
if [ ! -f "$kroot/.done" ]; then
	log "fetching linux-image-$abi-unsigned $ver and headers"
	tmp=$(mktemp -d "$CACHE/dl.XXXXXX"); chmod 755 "$tmp"
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -q \
		"linux-image-$abi-unsigned=$ver" \
		"linux-headers-$abi=$ver" \
		"linux-headers-$abinum-common=$ver" \
		"linux-kbuild-6.1=$ver" >&2)
	rm -rf "$kroot"
	mkdir -p "$kroot"
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$kroot"
	done
	rm -rf "$tmp"
	trap - EXIT
	# The arch headers include the common tree by absolute path; point it
	# at the unpacked copy.
	sed -i "s|/usr/src/linux-headers-$abinum-common|$kroot/usr/src/linux-headers-$abinum-common|" \
		"$kroot/usr/src/linux-headers-$abi/Makefile"
	# The package leaves modules.dep to its postinst; make it so that
	# modprobe works in the guest.
	depmod -b "$kroot" "$abi"
	touch "$kroot/.done"
fi

srcver=$ver
sroot=$CACHE/src-$srcver
if [ ! -f "$sroot/.done" ]; then
	if ! versions linux-source-6.1 | grep -qx "$srcver"; then
		srcver=$(versions linux-source-6.1 | head -n1)
		sroot=$CACHE/src-$srcver
	fi
fi
if [ ! -f "$sroot/.done" ]; then
	log "fetching linux-source-6.1 $srcver"
	tmp=$(mktemp -d "$CACHE/dl.XXXXXX"); chmod 755 "$tmp"
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -q "linux-source-6.1=$srcver" >&2)
	dpkg-deb -x "$tmp"/linux-source-6.1_*.deb "$tmp/x"
	rm -rf "$sroot"
	mkdir -p "$sroot"
	tar -C "$sroot" -xJf "$tmp"/x/usr/src/linux-source-6.1.tar.xz
	rm -rf "$tmp"
	trap - EXIT
	touch "$sroot/.done"
fi

# --header-debs: the headers as packages, for a guest that installs them
# (DKMS there builds for the guest's own kernel); prints their directory
if [ "$mode" = --header-debs ]; then
	ddir=$CACHE/debs-$abi-$ver
	if [ ! -f "$ddir/.done" ]; then
		log "fetching the header packages of $abi ($ver)"
		rm -rf "$ddir"
		mkdir -p "$ddir"
		chmod 755 "$ddir"
		compiler=$(apt-cache depends "linux-headers-$abi=$ver" 2>/dev/null |
			   sed -n 's/^ *Depends: \(linux-compiler-gcc-[0-9]*-x86\)$/\1/p' | head -n1)
		(cd "$ddir" && apt-get download -q "linux-headers-$abi=$ver" \
			"linux-headers-$abinum-common=$ver" "linux-kbuild-6.1=$ver" \
			${compiler:+"$compiler"} >&2) || die "cannot download the header packages"
		touch "$ddir/.done"
	fi
	echo "$ddir"
	exit 0
fi

KDIR=$kroot/usr/src/linux-headers-$abi
VMLINUZ=$kroot/boot/vmlinuz-$abi
MODDIR=$kroot/lib/modules/$abi
KSRC=$sroot/linux-source-6.1
[ -f "$VMLINUZ" ] || die "missing $VMLINUZ"
[ -f "$KDIR/Makefile" ] || die "missing $KDIR/Makefile"
[ -d "$KSRC/tools/testing/kunit" ] || die "missing $KSRC/tools/testing/kunit"

printf 'KVER=%s\nKPKGVER=%s\nKDIR=%s\nVMLINUZ=%s\nMODDIR=%s\nKSRC=%s\nDPU_CACHE=%s\n' \
	"$abi" "$ver" "$KDIR" "$VMLINUZ" "$MODDIR" "$KSRC" "$CACHE" > "$envfile.tmp"
[ -n "${DPU_KABI:-}" ] || mv "$envfile.tmp" "$envfile"
rm -f "$envfile.tmp"
if [ "$mode" = --env ]; then
	printf 'KVER=%s\nKPKGVER=%s\nKDIR=%s\nVMLINUZ=%s\nMODDIR=%s\nKSRC=%s\nDPU_CACHE=%s\n' \
		"$abi" "$ver" "$KDIR" "$VMLINUZ" "$MODDIR" "$KSRC" "$CACHE"
else
	log "picked $abi ($ver); linux-source-6.1 $srcver"
	log "  headers  $KDIR"
	log "  image    $VMLINUZ"
	log "  modules  $MODDIR"
	log "  source   $KSRC"
fi
