#!/usr/bin/env bash
# Install every build and test dependency of dpupool (Debian 12).
# Idempotent: packages already present are skipped; apt-get update runs only
# when something is missing.
set -euo pipefail

PKGS=(
	# toolchain and kernel build
	build-essential gcc make bc flex bison libelf-dev libssl-dev dwarves
	kmod xz-utils sparse pkg-config perl
	# guest runner
	qemu-system-x86 busybox-static cpio
	# userspace libraries
	libmnl-dev libnl-3-dev libnl-route-3-dev liburing-dev libbpf-dev linux-perf
	bpftool libcmocka-dev
	# the NIC limits program (BPF): clang targets bpf, bpftool makes the skeleton
	clang llvm
	# the emulated DPU (tools/testing/dpu-emu): QMP is JSON
	libjson-c-dev
	# dpud and the autoscaler provider: gRPC C core, protobuf-c, SQLite
	libgrpc-dev libnghttp2-dev libssl-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler
	libsqlite3-dev sqlite3
	# dpud's API server client (Kubernetes): libcurl, kubeconfig (YAML), JSON
	libcurl4-openssl-dev libyaml-dev
	# tests in the guest
	fio iperf3 iproute2 iputils-ping e2fsprogs util-linux jq python3
	python3-grpcio python3-protobuf prometheus stress-ng rt-tests openssl curl
	# packaging (make deb, make rpm) and the install test
	debhelper dh-dkms dkms dpkg-dev devscripts fakeroot lintian rpm
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#PKGS[@]} packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
