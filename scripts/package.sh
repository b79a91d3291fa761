#!/usr/bin/env bash
# scripts/package.sh deb|rpm: build dpupool's packages from a clean copy of
# the source tree (what git tracks, plus new files it does not ignore).
#   deb  dpkg-buildpackage -us -uc -b  -> build/deb/*.deb, *.changes
#   rpm  rpmbuild -bb dist/rpm/dpupool.spec -> build/rpm/RPMS/*/*.rpm
# Build dependencies: scripts/deps.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"
version=$(cat VERSION)
what=${1:-}

copy_tree() {	# copy_tree DIR: the clean source tree into DIR
	rm -rf "$1"
	mkdir -p "$1"
	git ls-files -co --exclude-standard -z | grep -zv '^build/' |
		tar --null -cf - -T - | tar -xf - -C "$1"
}

case "$what" in
deb)
	out=$repo/build/deb
	rm -rf "$out"
	copy_tree "$out/dpupool-$version"
	(cd "$out/dpupool-$version" && dpkg-buildpackage -us -uc -b)
	rm -rf "$out/dpupool-$version"
	ls "$out"
	;;
rpm)
	out=$repo/build/rpm
	rm -rf "$out"
	mkdir -p "$out/SOURCES"
	copy_tree "$out/tmp/dpupool-$version"
	tar -C "$out/tmp" -czf "$out/SOURCES/dpupool-$version.tar.gz" "dpupool-$version"
	rm -rf "$out/tmp"
	# Debian's rpm has no RHEL build root: the BuildRequires are Debian's
	# packages here (scripts/deps.sh), hence --nodeps
	rpmbuild -bb --nodeps --define "_topdir $out" --define "dpupool_version $version" \
		dist/rpm/dpupool.spec
	find "$out/RPMS" -name '*.rpm'
	;;
*)
	echo "usage: scripts/package.sh deb|rpm" >&2
	exit 2
	;;
esac
