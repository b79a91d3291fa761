#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In a guest booted with systemd as init (scripts/vm --systemd): install
# dpupool's packages as a user would, and check the node works.
#   guest.sh DEBS PREV KDEBS
# DEBS: this build's .debs, PREV: the same packages as a previous build
# (lower version), KDEBS: the running kernel's header packages.
set -u
DEBS=$1 PREV=$2 KDEBS=$3
export DEBIAN_FRONTEND=noninteractive
kver=$(uname -r)
ver=$(dpkg-deb -f "$(ls "$DEBS"/dpupool_*.deb)" Version)
pver=$(dpkg-deb -f "$(ls "$PREV"/dpupool_*.deb)" Version)
n=0 nfail=0
check() {	# check DESCRIPTION COMMAND...
	local d=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n $d"
	else
		echo "not ok $n $d"
		nfail=$((nfail + 1))
	fi
}
quiet() { "$@" >/tmp/cmd.log 2>&1 || { sed 's/^/#   /' /tmp/cmd.log; return 1; }; }
wait_until() {	# wait_until SEC COMMAND...
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}
PORT=9477
metrics() { curl -sf --max-time 2 "http://127.0.0.1:$PORT/metrics"; }
metric_is() { metrics | grep -qx "$1"; }
fn_ready() {	# fn_ready TENANT: a ready function of that tenant
	dpuctl -j fn show dpu0 2>/dev/null |
		jq -e --arg t "$1" 'any(.[]; .tenant == $t and .state == "ready")' >/dev/null
}
fn_index() { dpuctl -j fn show dpu0 | jq -r --arg t "$1" '.[] | select(.tenant == $t) | .index'; }
pkgs() { local d=$1; echo "$d"/dpupool-dkms_*.deb "$d"/dpupool_*.deb "$d"/libdpu0_*.deb "$d"/dpu-provider_*.deb; }

# man-db's trigger would re-index every manual page at each install (minutes
# in an emulated guest); nothing here reads the index
echo "man-db man-db/auto-update boolean false" | debconf-set-selections
echo "# guest: systemd $(systemctl --version | head -n1 | cut -d' ' -f2), kernel $kver, packages $pver -> $ver"
check "systemd is PID 1" test "$(cat /proc/1/comm)" = systemd
t0=$SECONDS
check "the running kernel's headers install (dpkg -i)" quiet dpkg -i "$KDEBS"/*.deb
check "  /lib/modules/$kver/build is there" test -f "/lib/modules/$kver/build/Makefile"

# ------------------------------------------------ the previous build
t1=$SECONDS
check "apt installs the previous build ($pver): DKMS builds the modules" \
	quiet apt-get install -y $(pkgs "$PREV")
echo "# install with a DKMS build: $((SECONDS - t1)) s"
check "dkms status: dpupool installed for $kver" \
	sh -c "dkms status dpupool | grep '$kver.*installed' >/dev/null"
check "  dpu.ko, dpu_sim.ko, dpu_pci.ko under updates/dkms" \
	test -f "/lib/modules/$kver/updates/dkms/dpu.ko" -a -f "/lib/modules/$kver/updates/dkms/dpu_sim.ko" \
	-a -f "/lib/modules/$kver/updates/dkms/dpu_pci.ko"
check "modinfo dpu: description, version, parameter with its help" \
	sh -c "modinfo dpu | grep -q '^description: *dpupool: DPU function pool core' &&
	       modinfo dpu | grep -q '^version: *${ver%%[~-]*}\$' &&
	       modinfo dpu | grep -q '^parm: *attach_timeout_ms:fail an attach'"
check "modinfo dpu_pci: binds the DPU's PF by PCI ID (alias)" \
	sh -c "modinfo dpu_pci | grep -q '^alias: *pci:v00001AF4d00001110'"
check "modprobe dpu_sim: dpu comes with it (dependency)" quiet modprobe dpu_sim
check "  both loaded" sh -c "grep -q '^dpu_sim ' /proc/modules && grep -q '^dpu ' /proc/modules"
check "dpud.service enabled (starts at boot)" test "$(systemctl is-enabled dpud.service)" = enabled
check "dpud.service active after install" wait_until 10 systemctl -q is-active dpud.service
check "dpu-provider.service waits for a config (condition unmet, not failed)" \
	sh -c "! systemctl -q is-failed dpu-provider.service"
check "/metrics answers: dpud_dpu_up 0 (no DPU yet)" wait_until 10 metric_is "dpud_dpu_up 0"
echo 0 > /sys/bus/dpu_sim/new_device
check "a simulated DPU: dpud sees it (dpud_dpu_up 1)" wait_until 20 metric_is "dpud_dpu_up 1"
check "  dpuctl from the package shows dpu0" sh -c "dpuctl dev show dpu0 | grep -q '^dpu0: index 0 backend sim'"
# the DPU leaves its NIC limits to the host: the service loads its BPF
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
echo 960 > /sys/kernel/debug/dpu_sim/dpu_sim0/host_limit_kinds
check "  the sandboxed dpud loads its NIC limits programs when the DPU leaves them to the host (bpf(2) allowed; maps pinned in /sys/fs/bpf/dpupool)" \
	wait_until 30 sh -c "journalctl -u dpud.service | grep -q 'nic limits ready' && test -e /sys/fs/bpf/dpupool/dpu0/maps/nl_conf"
check "  dpuctl links libdpu.so.0 from libdpu0" \
	sh -c "ldd /usr/bin/dpuctl | grep -q 'libdpu.so.0 => .*/x86_64-linux-gnu/libdpu.so.0 '"
# desired state through the packaged config directory
printf 'limits = iops 5k\n' > /etc/dpupool/desired.d/tenant-acme.conf
printf 'tenant = acme\ntype = blk\nsize = 64Mi\n' > /etc/dpupool/desired.d/data.conf
reload_attaches() { systemctl reload dpud.service && wait_until 30 fn_ready acme; }
check "systemctl reload dpud: the desired disk is attached" reload_attaches
idx=$(fn_index acme)
check "dpuctl attaches a function itself (tenant ops)" \
	quiet sh -c "dpuctl tenant add dpu0/ops && dpuctl fn add dev dpu0 type blk size 32M tenant ops wait"
mine=$(fn_index ops)
check "  dpud's record of its function in /var/lib/dpud" sh -c "ls /var/lib/dpud/*.fn >/dev/null 2>&1"
# the admin moves /metrics to another port
sed -i 's/^listen = 127.0.0.1:9477$/listen = 127.0.0.1:9478/' /etc/dpupool/dpud.conf
PORT=9478
fns() { dpuctl -j fn show dpu0 | jq -r '[.[].index] | sort | map(tostring) | join(",")'; }
want_fns=$(printf '%s\n' "$idx" "$mine" | sort -n | paste -sd,)
restarted() { systemctl restart dpud.service && wait_until 20 metric_is "dpud_dpu_up 1"; }
check "systemctl restart dpud: active again, /metrics on the admin's port" restarted
check "  the same functions ($want_fns: dpud's and dpuctl's), none recreated" test "$(fns)" = "$want_fns"

# ------------------------------------------------ hardening
pid=$(systemctl show -p MainPID --value dpud.service)
capbnd=$(sed -n 's/^CapBnd:\t//p' "/proc/$pid/status")
check "dpud's bounding set: CAP_NET_ADMIN and CAP_SYS_ADMIN only ($capbnd)" \
	test "$capbnd" = 0000000000201000
check "  no_new_privs" test "$(sed -n 's/^NoNewPrivs:\t//p' "/proc/$pid/status")" = 1
check "  /usr is read-only in its mount namespace, /var/lib/dpud is not" \
	nsenter -t "$pid" -m sh -c '! touch /usr/.dpud-rw 2>/dev/null && touch /var/lib/dpud/.rw && rm /var/lib/dpud/.rw'
devs=$(systemctl show -p DeviceAllow --value dpud.service)
check "  its only device: /dev/dpu-ctl ($devs; DevicePolicy $(systemctl show -p DevicePolicy --value dpud.service))" \
	sh -c "[ \"\$(systemctl show -p DevicePolicy --value dpud.service)\" = closed ] && echo '$devs' | grep -qx '/dev/dpu-ctl rw'"
check "systemd-analyze verify: the units are clean" \
	quiet systemd-analyze verify /lib/systemd/system/dpud.service /lib/systemd/system/dpu-provider.service
for u in dpud dpu-provider; do
	e=$(systemd-analyze security "$u.service" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
	echo "# systemd-analyze security $u.service: exposure ${e:-?}"
	lim=5.0
	[ $u = dpu-provider ] && lim=2.0
	check "systemd-analyze security $u: exposure ${e:-?} at most $lim" \
		awk -v e="${e:-99}" -v l=$lim 'BEGIN { exit !(e <= l) }'
done

# ------------------------------------------------ upgrade
t1=$SECONDS
# the upgrade of dpupool, libdpu0 and dpu-provider; dpupool-dkms stays at
# the previous build (its upgrade is DKMS's remove and add: a second module
# build, about 9 min in this emulated guest)
upgrade() { local d=$1; echo "$d"/dpupool_*.deb "$d"/libdpu0_*.deb "$d"/dpu-provider_*.deb; }
check "apt upgrades dpupool, libdpu0, dpu-provider to this build ($ver)" \
	quiet apt-get install -y $(upgrade "$DEBS")
echo "# upgrade: $((SECONDS - t1)) s"
check "  dpkg: $ver installed" test "$(dpkg-query -W -f='${Version}' dpupool)" = "$ver"
check "  the modules still installed for $kver" \
	sh -c "dkms status dpupool | grep '$kver.*installed' >/dev/null"
check "  the admin's change to dpud.conf kept" grep -qx "listen = 127.0.0.1:9478" /etc/dpupool/dpud.conf
check "  dpud restarted, /metrics on port 9478" wait_until 20 metric_is "dpud_dpu_up 1"
check "  its records kept" sh -c "ls /var/lib/dpud/*.fn >/dev/null 2>&1"
check "  the functions unchanged ($want_fns)" test "$(fns)" = "$want_fns"

# ------------------------------------------------ remove, purge
dpuctl fn del dpu0/"$mine" >/dev/null 2>&1
check "apt remove: packages go" quiet apt-get remove -y dpupool dpupool-dkms dpu-provider
check "  the modules are gone from /lib/modules/$kver" \
	sh -c "! find /lib/modules/$kver -name 'dpu*.ko' | grep -q ."
check "  the units are gone" test ! -e /lib/systemd/system/dpud.service -a ! -e /lib/systemd/system/dpu-provider.service
check "  dpud stopped" sh -c "! systemctl -q is-active dpud.service"
check "  config kept until purge" test -f /etc/dpupool/dpud.conf -a -f /etc/modprobe.d/dpupool.conf
check "apt purge" quiet apt-get purge -y dpupool dpupool-dkms dpu-provider libdpu0
check "  config, modprobe.d and modules-load.d snippets gone" \
	test ! -e /etc/dpupool/dpud.conf -a ! -e /etc/modprobe.d/dpupool.conf -a ! -e /etc/modules-load.d/dpupool.conf
check "  dpud's state gone, and its BPF pins" test ! -e /var/lib/dpud -a ! -e /sys/fs/bpf/dpupool
check "  DKMS forgot it" sh -c "[ -z \"\$(dkms status dpupool)\" ]"
echo "# guest part: $((SECONDS - t0)) s"
echo "# $((n - nfail)) passed, $nfail failed"
[ $nfail -eq 0 ]
