#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dpupool installed as users install it. On the host: the Debian packages
# built from a clean tree (make deb), lintian, libdpu's SONAME, symbols and
# pkg-config file used by a program built against libdpu-dev, the RPMs
# (make rpm) and their file lists. Then, in a guest booted with systemd as
# init: apt install, DKMS, modprobe, systemctl, upgrade, remove and purge
# (guest.sh). TAP on stdout.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cd "$repo"
version=$(cat VERSION)
n=0 nfail=0
check() {
	local d=$1
	shift
	n=$((n + 1))
	if "$@"; then echo "ok $n $d"; else echo "not ok $n $d"; nfail=$((nfail + 1)); fi
}
quiet() { "$@" >"$t/cmd.log" 2>&1 || { tail -n 40 "$t/cmd.log" | sed 's/^/#   /'; return 1; }; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

# ------------------------------------------------ Debian packages
s=$SECONDS
check "make deb: dpkg-buildpackage -us -uc -b from a clean tree" quiet make -s deb
echo "# make deb: $((SECONDS - s)) s"
D=$repo/build/deb
for p in dpupool-dkms_${version}_all dpupool_${version}_amd64 dpu-provider_${version}_amd64 \
	 libdpu0_${version}_amd64 libdpu-dev_${version}_amd64; do
	check "  $p.deb" test -f "$D/$p.deb"
done
lint() { lintian --fail-on error,warning --info "$D"/dpupool_"${version}"_amd64.changes; }
check "lintian: no error, no warning" quiet lint
sed -n '/^[EWI]: /p' "$t/cmd.log" | head -n 20 | sed 's/^/# lintian: /'

x=$t/dev
for p in libdpu0 libdpu-dev; do dpkg-deb -x "$D/${p}_${version}_amd64.deb" "$x"; done
lib=$x/usr/lib/x86_64-linux-gnu
check "libdpu0: libdpu.so.$version with SONAME libdpu.so.0" \
	sh -c "objdump -p '$lib/libdpu.so.$version' | grep -q 'SONAME *libdpu.so.0$'"
check "  exports the API of libdpu.h only, versioned LIBDPU_0" \
	sh -c "! nm -D --defined-only '$lib/libdpu.so.$version' | grep -v ' dpu_' | grep -q ' T ' &&
	       ! nm -D --defined-only '$lib/libdpu.so.$version' | grep -q 'dpu_nl_talk\|dpu_nl_msg' &&
	       objdump -T '$lib/libdpu.so.$version' | grep -q 'LIBDPU_0 *dpu_nl_open$'"
check "  its symbols file lists them" \
	sh -c "dpkg-deb --ctrl-tarfile '$D/libdpu0_${version}_amd64.deb' | tar -xOf - ./symbols |
	       grep -q '^ dpu_nl_open@LIBDPU_0 $version'"
check "dpupool depends on libdpu0 (shlibs)" \
	sh -c "dpkg-deb -f '$D/dpupool_${version}_amd64.deb' Depends | grep -q 'libdpu0 (= $version)'"
cat > "$t/use.c" <<'C'
#include <stdio.h>
#include <libdpu.h>

int main(void)
{
	char buf[32];

	dpu_format_rate(2500000, buf, sizeof(buf));
	printf("%s %d\n", buf, DPU_GENL_VERSION);
	return 0;
}
C
build_with_pc() {
	PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$x \
		cc -Wall -Werror -o "$t/use" "$t/use.c" $(PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$x pkg-config --cflags --libs libdpu)
}
check "libdpu-dev: a program builds with pkg-config --cflags --libs libdpu" quiet build_with_pc
out=$(LD_LIBRARY_PATH=$lib "$t/use" 2>&1)
check "  and runs against libdpu.so.0 ($out)" test "$out" = "2500k $(sed -n 's/^#define DPU_GENL_VERSION\t*//p' include/uapi/linux/dpu.h)"

# the previous build: the same packages at a lower version, for the upgrade
P=$t/prev
mkdir -p "$P"
# (apt refuses local files whose names carry a '~'; any lower version does)
prev="0.0.0+prev1"
for f in "$D"/dpupool-dkms_*.deb "$D"/dpupool_*.deb "$D"/dpu-provider_*.deb \
	 "$D"/libdpu0_*.deb "$D"/libdpu-dev_*.deb; do
	r=$t/r
	rm -rf "$r"
	dpkg-deb -R "$f" "$r"
	sed -i "s/^Version: .*/Version: $prev/; s/(= $version)/(= $prev)/g" "$r/DEBIAN/control"
	dpkg-deb -b "$r" "$P/$(basename "$f" | sed "s/_${version}_/_${prev}_/")" >/dev/null
done
check "the previous build ($prev) repacked" test "$(ls "$P" | wc -l)" = 5

# ------------------------------------------------ RPM
s=$SECONDS
check "make rpm: rpmbuild -bb dist/rpm/dpupool.spec" quiet make -s rpm
echo "# make rpm: $((SECONDS - s)) s"
R=$repo/build/rpm/RPMS
rpmfiles() { rpm -qlp "$(ls "$R"/*/"$1"-"$version"-1*.rpm)" 2>/dev/null; }
has() {	# has PACKAGE PATH...
	local p=$1 f l
	shift
	l=$(rpmfiles "$p")
	for f in "$@"; do	# man pages: compressed or not (brp-compress)
		grep -qxF -e "$f" -e "$f.gz" <<<"$l" || { echo "# $p lacks $f"; return 1; }
	done
}
check "rpm dpupool: dpuctl, dpud, its unit and config, man pages" \
	has dpupool /usr/bin/dpuctl /usr/sbin/dpud /usr/lib/systemd/system/dpud.service \
	/etc/dpupool/dpud.conf /var/lib/dpud /usr/share/man/man8/dpud.8
check "rpm dpupool-dkms: the sources with dkms.conf, modprobe.d, modules-load.d" \
	has dpupool-dkms "/usr/src/dpupool-$version/dkms.conf" "/usr/src/dpupool-$version/kmod/dpu/dpu_core.c" \
	"/usr/src/dpupool-$version/include/uapi/linux/dpu.h" /etc/modprobe.d/dpupool.conf \
	/etc/modules-load.d/dpupool.conf
check "rpm dpu-provider: the provider and its unit" \
	has dpu-provider /usr/sbin/dpu-provider /usr/lib/systemd/system/dpu-provider.service
check "rpm libdpu and libdpu-devel: library, headers, pkg-config" \
	bash -c "$(declare -f rpmfiles has); R='$R' version='$version'; has libdpu /usr/lib64/libdpu.so.0 /usr/lib64/libdpu.so.$version &&
	       has libdpu-devel /usr/lib64/libdpu.so /usr/lib64/pkgconfig/libdpu.pc /usr/include/dpupool/libdpu.h"
check "  dpupool.rpm requires libdpu" \
	sh -c "rpm -qp --requires '$(ls "$R"/*/dpupool-"$version"-1*.rpm)' | grep -q '^libdpu(x86-64) = $version'"

# ------------------------------------------------ in a guest with systemd
K=$(scripts/kernel.sh --header-debs) || K=""
check "the guest kernel's header packages ($(ls "$K" 2>/dev/null | wc -l) in $K)" test -n "$K"
s=$SECONDS
scripts/vm --systemd --no-modules -m 3072 -t 2400 -- \
	tools/testing/install/guest.sh "$D" "$P" "$K" > "$t/guest.log" 2>&1
rc=$?
echo "# guest: exit $rc after $((SECONDS - s)) s"
# renumber the guest's TAP lines after ours
while IFS= read -r l; do
	case "$l" in
	"ok "*|"not ok "*)
		n=$((n + 1))
		[ "${l#not ok }" != "$l" ] && nfail=$((nfail + 1))
		echo "$l" | sed -E "s/^(not )?ok [0-9]+/\\1ok $n/"
		;;
	*) echo "# $l" ;;
	esac
done < "$t/guest.log"
if [ $rc -ne 0 ] && ! grep -q '^not ok' "$t/guest.log"; then
	n=$((n + 1)); nfail=$((nfail + 1))
	echo "not ok $n the guest failed (exit $rc) without a failed check"
fi
echo "# $((n - nfail)) passed, $nfail failed"
[ $nfail -eq 0 ]
