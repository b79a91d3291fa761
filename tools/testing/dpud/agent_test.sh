#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dpud as the agent of dpu-provider, in a guest with dpu.ko and dpu_sim.ko:
#   make modules user && scripts/vm -t 300 -- tools/testing/dpud/agent_test.sh
# dpud registers with a real dpu-provider (run here in the guest), reports
# every second, writes the directive and runs its hook once per change,
# survives the provider's kill -9 and speaks mTLS; its /metrics is served
# on a unix socket.  The provider side of the protocol is tested by
# tools/testing/provider; a guest booted as a provisioned host, by
# tools/testing/provider/host_test.py.
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
DPUD=${DPUD:-$REPO/user/build/san/bin/dpud}
[ -x "$DPUD" ] || DPUD=$REPO/user/build/bin/dpud
DPUCTL=$REPO/user/build/bin/dpuctl
PROVIDER=$REPO/user/build/bin/dpu-provider
SIM=/sys/bus/dpu_sim
SIMID=72
PPORT=9900
. "$(dirname "$0")/lib.sh"

[ -d $SIM ] || { echo "# SKIP: dpu_sim.ko not loaded"; exit 4; }
for x in "$DPUD" "$PROVIDER"; do
	[ -x "$x" ] || { echo "# SKIP: $x not built"; exit 4; }
done
command -v sqlite3 >/dev/null || { echo "# SKIP: sqlite3 missing"; exit 4; }

T=$(mktemp -d /tmp/agent_test.XXXXXX)
A=$T
APID= PPID_=
cleanup() {
	[ -n "$APID" ] && kill -9 "$APID" 2>/dev/null
	[ -n "$PPID_" ] && kill -9 "$PPID_" 2>/dev/null
	echo $SIMID > $SIM/del_device 2>/dev/null
	if [ -n "$DPU_VM_OUT" ]; then cp "$T"/*.log "$DPU_VM_OUT"/ 2>/dev/null; fi
}
trap cleanup EXIT
DEV=$(sim_device $SIMID)
nfns() { "$DPUCTL" -j fn show "$DEV" | jq 'length'; }
mkdir -p /sys/fs/cgroup/agent-test
echo "# device $DEV, work dir $T, daemon $DPUD"

mkdir -p "$A/desired" "$A/state"
cat > "$A/provider.conf" <<EOC
listen = 127.0.0.1:$PPORT
db = $A/provider.db
insecure_agents = yes
agent_report_interval = 1s
[group g1]
min = 0
max = 2
cpu = 2
memory = 1Gi
EOC
cat > "$A/hook.sh" <<'EOC'
#!/bin/sh
echo "$1 $DPUPOOL_SERIAL $DPUPOOL_DISPOSITION" >> "$(dirname "$0")/directive.log"
awk '$1 == "CapEff:" || $1 == "CapBnd:" {print}' /proc/self/status >> "$(dirname "$0")/hook-caps.log"
EOC
chmod +x "$A/hook.sh"
agent_conf() {	# agent_conf EXTRA-LINES
	cat > "$A/dpud.conf" <<EOC
listen = unix:$A/metrics.sock
desired_dir = $A/desired
state_dir = $A/state
device = $DEV
sample_interval = 1s
cgroup_root = agent-test
provider = 127.0.0.1:$PPORT
serial = free-host-1
labels = topology.kubernetes.io/zone=rack7, dpupool.io/shape=test
directive_hook = $A/hook.sh
$1
EOC
}
prov_start() {	# prov_start [TLS ARGS]
	"$PROVIDER" --config "$A/provider.conf" "$@" 2>>"$A/provider.log" &
	PPID_=$!
}
umetrics() { curl -sf --unix-socket "$A/metrics.sock" http://dpud/metrics; }
mval() { umetrics | awk -v k="$1" '$1 == k {print $2}'; }
registered() { [ "$(mval dpud_agent_registered)" = 1 ]; }
calls() {	# calls RPC RESULT: the counter, 0 while /metrics does not answer
	local v
	v=$(mval "dpud_agent_calls_total{rpc=\"$1\",result=\"$2\"}")
	echo "${v:-0}"
}
nreports() { sqlite3 "$A/provider.db" "select reports from reports where serial = 'free-host-1'" 2>/dev/null; }
agent_conf ""
prov_start
"$DPUD" --config "$A/dpud.conf" 2>>"$A/dpud.log" &
APID=$!
check "agent: registers with dpu-provider (/metrics over a unix socket)" wait_for 20 registered
check "  directive stay_free written to state_dir/directive (unknown serial)" \
	wait_for 5 grep -q "disposition = stay_free" "$A/state/directive"
check "  directive hook ran once with stay_free" \
	wait_for 5 grep -qx "stay_free free-host-1 stay_free" "$A/directive.log"
r1=$(nreports)
sleep 3
r2=$(nreports)
check "  reports every second ($r1 -> $r2 in 3 s)" awk -v a="${r1:-0}" -v b="${r2:-0}" 'BEGIN{exit !(b - a >= 2 && b - a <= 5)}'
row=$(sqlite3 "$A/provider.db" "select labels || ' ' || slots || ' ' || cpu_milli from reports where serial = 'free-host-1'")
maxf=$(cat /sys/class/dpu/$DEV/max_fns)
nf=$(nfns)
free=$((maxf - nf))
has_row() { grep -qF -- "$1" <<<"$row" || { echo "# report row '$row' lacks '$1'"; return 1; }; }
check "  the provider stored labels, slots ($free of $maxf free) and capacity" \
	eval 'has_row topology.kubernetes.io/zone=rack7 && has_row "blk=$free" && has_row "net=$free" && has_row " $(($(nproc) * 1000))"'
check "  the hook did not run again for the same directive" eq "$(wc -l < "$A/directive.log")" 1
check "  the hook ran without capabilities (root, but CapEff 0)" \
	grep -qx "CapEff:[[:space:]]*0000000000000000" "$A/hook-caps.log"
kill -9 "$PPID_"; wait "$PPID_" 2>/dev/null
failed() { [ "$(calls report error)" -ge 1 ] 2>/dev/null || [ "$(calls register error)" -ge 1 ] 2>/dev/null; }
check "agent: provider killed -9: calls fail, registered drops to 0" \
	wait_for 15 eval 'failed && [ "$(mval dpud_agent_registered)" = 0 ]'
check "  the log says why (UNAVAILABLE: connection refused, closed or reset)" \
	grep -q 'provider call failed.*code=14 error="\(connect 127.0.0.1:9900: Connection refused\|connection to 127.0.0.1:9900 closed\|connection to 127.0.0.1:9900 Connection reset by peer\)' "$A/dpud.log"
ok_before=$(calls register ok)
prov_start
check "  provider back: registers again (register ok ${ok_before} -> more)" \
	wait_for 45 eval '[ "$(calls register ok)" -gt "$ok_before" ] && registered'
term "$APID"; rc=$?
check "  SIGTERM with the agent running: exit 0" eq "$rc" 0
term "$PPID_"

# mTLS: certificates made now; the provider asks for client certs
if command -v openssl >/dev/null; then
	C=$A/certs
	mkdir -p "$C"
	ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
	(cd "$C" &&
	 openssl req -x509 $ec -keyout ca.key -out ca.crt -days 2 -subj "/CN=t ca" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign &&
	 printf 'subjectAltName=DNS:provider.test\nextendedKeyUsage=serverAuth\n' > s.ext &&
	 printf 'extendedKeyUsage=clientAuth\n' > c.ext &&
	 cp c.ext o.ext &&
	 for n in s c o; do
		# the agent's certificate names its serial; o names another host
		cn=$n; [ $n = c ] && cn=free-host-1; [ $n = o ] && cn=other-host
		openssl req $ec -keyout $n.key -out $n.csr -subj "/CN=$cn" &&
		openssl x509 -req -in $n.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-out $n.crt -days 2 -extfile $n.ext || exit 1
	 done) >/dev/null 2>&1
	prov_start --tls-cert "$C/s.crt" --tls-key "$C/s.key" --tls-ca "$C/ca.crt"
	agent_conf "provider_ca = $C/ca.crt
provider_cert = $C/c.crt
provider_key = $C/c.key
provider_server_name = provider.test"
	"$DPUD" --config "$A/dpud.conf" 2>>"$A/dpud.log" &
	APID=$!
	check "agent: registers over mTLS (server name provider.test)" wait_for 30 registered
	check "  SIGTERM: exit 0" term "$APID"
	# a certificate of another host: the provider refuses the report
	agent_conf "provider_ca = $C/ca.crt
provider_cert = $C/o.crt
provider_key = $C/o.key
provider_server_name = provider.test"
	"$DPUD" --config "$A/dpud.conf" 2>>"$A/dpud.log" &
	APID=$!
	denied() { grep -q 'provider call failed.*code=7 error="a host reports only as itself: the certificate names other-host, the report claims free-host-1"' "$A/dpud.log"; }
	check "agent: another host's certificate: PERMISSION_DENIED, named" wait_for 20 denied
	check "  never registered" eval '[ "$(mval dpud_agent_registered)" = 0 ]'
	check "  SIGTERM: exit 0" term "$APID"
	# a certificate for another name than the one expected: refused
	agent_conf "provider_ca = $C/ca.crt
provider_cert = $C/c.crt
provider_key = $C/c.key
provider_server_name = wrong.name"
	"$DPUD" --config "$A/dpud.conf" 2>>"$A/dpud.log" &
	APID=$!
	sleep 4
	check "agent: wrong server name: never registered, calls fail" \
		eval '[ "$(mval dpud_agent_registered)" = 0 ] && [ "$(calls register error)" -ge 1 ]'
	check "  the log names the reason (hostname mismatch)" \
		grep -q 'provider call failed.*code=14 error="TLS handshake: hostname mismatch"' "$A/dpud.log"
	check "  SIGTERM: exit 0" term "$APID"
	term "$PPID_"
else
	check "mTLS (openssl missing) # SKIP" true
fi
# a provider that accepts connections and never answers: the 5 s deadline
/usr/bin/python3 -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 9902)); s.listen(); time.sleep(60)' &
MUTE=$!
agent_conf ""
sed -i "s/^provider = .*/provider = 127.0.0.1:9902/" "$A/dpud.conf"
: > "$A/dpud-mute.log"
"$DPUD" --config "$A/dpud.conf" 2>>"$A/dpud-mute.log" &
APID=$!
check "agent: a provider that never answers: DEADLINE_EXCEEDED after 5 s, retried" \
	wait_for 25 sh -c '[ "$(grep -c "provider call failed.*rpc=Register code=4 error=\"no answer within 5 s\"" "$0")" -ge 2 ]' "$A/dpud-mute.log"
check "  SIGTERM: exit 0" term "$APID"
kill "$MUTE" 2>/dev/null
cat "$A/dpud-mute.log" >> "$A/dpud.log"
if [ "$n_fail" -ne 0 ]; then echo "# agent dpud log:"; sed 's/^/#   /' "$A/dpud.log" | tail -40; fi

check "no ERROR from sanitizers or crashes in the log" sh -c "! grep -q 'runtime error\\|AddressSanitizer\\|LeakSanitizer' '$A/dpud.log'"
finish
