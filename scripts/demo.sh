#!/usr/bin/env bash
# A one-minute tour of GhostBridge on real Open vSwitch, printing each step and what it shows:
# three hosts in network namespaces on an OVS bridge (userspace datapath) whose controller is
# `ghostbridge run`; ping, a TCP transfer and a UDP query pass; every flow becomes an event
# with no raw address in it; a signed block is cut as a read-only btrfs snapshot, verified,
# proven, searched for similar flows and replicated to a second directory that verifies on
# its own. Everything it creates (bridge, namespaces, veths, a btrfs loop file, the
# controller) is removed on exit unless --keep is given.
#
# Needs root, a running OVS, btrfs-progs, iproute2, ping, nc and curl (scripts/testbed-setup.sh
# installs and starts them all) and `npm ci` done.
#
#   sudo bash scripts/demo.sh [--keep]
set -euo pipefail

keep=no
case "${1:-}" in
  '') ;;
  --keep) keep=yes ;;
  *) echo "usage: bash scripts/demo.sh [--keep]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
ghostbridge="$root/bin/ghostbridge"
node="$root/node_modules/.bin/node"
[ "$(id -u)" = 0 ] || { echo "demo: run as root (namespaces, OVS and a loop mount need it)" >&2; exit 1; }
[ -x "$node" ] || { echo "demo: run 'npm ci' first" >&2; exit 1; }
for tool in ovs-vsctl ovs-ofctl mkfs.btrfs ip ping nc curl ss python3; do
  command -v "$tool" >/dev/null || { echo "demo: $tool is missing; run scripts/testbed-setup.sh first" >&2; exit 1; }
done
ovs-vsctl --timeout=5 show >/dev/null || { echo "demo: OVS is not running; run scripts/testbed-setup.sh first" >&2; exit 1; }

# Unique names per run (interface names are limited to 15 characters).
tag="gbd$(printf '%04x' $((RANDOM)))"
work=$(mktemp -d /var/tmp/ghostbridge-demo.XXXXXX)
mnt="$work/mnt"
data="$mnt/data"
replica="$mnt/replica"
subnet=10.99.0
run_pid=
macs=()

step() { printf '\n== %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

cleanup() {
  set +e
  [ -n "$run_pid" ] && kill "$run_pid" 2>/dev/null && wait "$run_pid" 2>/dev/null
  if [ "$keep" = yes ]; then
    echo "kept: bridge $tag, namespaces ${tag}h1..3, data in $data, btrfs mounted at $mnt"
    return
  fi
  ovs-vsctl --if-exists del-br "$tag"
  for i in 1 2 3; do ip link del "${tag}v$i" 2>/dev/null; ip netns del "${tag}h$i" 2>/dev/null; done
  mountpoint -q "$mnt" && umount "$mnt"
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  local p
  for p in $(seq "$1" $(($1 + 200))); do
    if [ -z "$(ss -Hltn "sport = :$p")" ]; then echo "$p"; return; fi
  done
  echo "demo: no free port from $1" >&2; exit 1
}

# Turns off transmit checksum offload (SIOCETHTOOL, ETHTOOL_STXCSUM): a veth otherwise hands
# OVS's userspace datapath TCP segments without checksums, and the receiver drops them.
tx_checksum_off() {
  ip netns exec "$1" python3 -c '
import array, fcntl, socket, struct, sys
value = array.array("I", [0x17, 0])
ifreq = struct.pack("16sP", sys.argv[1].encode(), value.buffer_info()[0])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
fcntl.ioctl(sock.fileno(), 0x8946, ifreq)' "$2"
}

step "1. A btrfs filesystem (a 512 MB loop file) and a data directory that is a subvolume"
truncate -s 512M "$work/btrfs.img"
mkfs.btrfs -q "$work/btrfs.img" >/dev/null 2>&1
mkdir -p "$mnt"
mount -o loop "$work/btrfs.img" "$mnt"
show "$ghostbridge" init --data "$data" --btrfs

step "2. The controller: ghostbridge run (flows idle out after 2 s so the demo sees them end)"
of_port=$(free_port 16653)
api_port=$(free_port 18080)
api="http://127.0.0.1:$api_port"
"$ghostbridge" run --data "$data" --listen "tcp:127.0.0.1:$of_port" --api "127.0.0.1:$api_port" \
  --idle-timeout 2 --stats-interval 1 --block-every 0 --log-level info >"$work/run.log" 2>&1 &
run_pid=$!
for _ in $(seq 200); do grep -q 'REST API listening' "$work/run.log" && break; kill -0 "$run_pid" || break; sleep 0.1; done
grep -q 'REST API listening' "$work/run.log" || { cat "$work/run.log"; echo "demo: the controller did not start" >&2; exit 1; }
echo "controller on tcp:127.0.0.1:$of_port, REST API on $api (log: $work/run.log)"

step "3. An OVS bridge $tag (fail-mode secure: nothing passes unless the controller says so) with 3 hosts"
ovs-vsctl add-br "$tag" -- set bridge "$tag" datapath_type=netdev protocols=OpenFlow13 -- set-fail-mode "$tag" secure
for i in 1 2 3; do
  ns="${tag}h$i"
  ip netns add "$ns"
  ip link add "${tag}v$i" type veth peer name "${tag}e$i"
  ip link set "${tag}e$i" netns "$ns"
  ip netns exec "$ns" ip addr add "$subnet.$i/24" dev "${tag}e$i"
  ip netns exec "$ns" ip link set "${tag}e$i" up
  ip netns exec "$ns" ip link set lo up
  tx_checksum_off "$ns" "${tag}e$i"
  ip link set "${tag}v$i" up
  ovs-vsctl add-port "$tag" "${tag}v$i"
  macs+=("$(ip netns exec "$ns" cat "/sys/class/net/${tag}e$i/address")")
  echo "host ${tag}h$i: $subnet.$i ${macs[-1]}"
done
show ovs-vsctl set-controller "$tag" "tcp:127.0.0.1:$of_port"
for _ in $(seq 150); do ovs-ofctl -O OpenFlow13 dump-flows "$tag" | grep -q 'actions=CONTROLLER' && break; sleep 0.1; done
show ovs-ofctl -O OpenFlow13 dump-flows "$tag"

step "4. Traffic passes: ping, a 2 MB TCP transfer, a UDP query"
h() { ip netns exec "${tag}h$1" "${@:2}"; }
h 1 ping -c 3 -i 0.2 -W 2 "$subnet.2" | grep -E 'packets transmitted'
h 3 ping -c 3 -i 0.2 -W 2 "$subnet.1" | grep -E 'packets transmitted'
h 2 timeout 30 nc -l 5001 >"$work/received" &
listener=$!
sleep 0.3
head -c 2000000 /dev/urandom >"$work/sent"
h 1 timeout 30 nc -N "$subnet.2" 5001 <"$work/sent"
wait "$listener"
echo "tcp: sent $(stat -c %s "$work/sent") bytes, received $(stat -c %s "$work/received") bytes, identical: $(cmp -s "$work/sent" "$work/received" && echo yes || echo no)"
echo query | h 1 nc -u -w 1 "$subnet.3" 53 || true
echo "flow entries the controller installed:"
ovs-ofctl -O OpenFlow13 dump-flows "$tag" | grep -v 'actions=CONTROLLER' | sed 's/^ */  /'

step "5. Every flow is an event; flows end after their 2 s idle timeout"
for _ in $(seq 100); do
  grep -q '"flow.end"' "$data/events.jsonl" && [ "$(ovs-ofctl -O OpenFlow13 dump-flows "$tag" | grep -vc 'actions=CONTROLLER')" = 0 ] && break
  sleep 0.1
done
sleep 1
"$node" -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const count = {};
for (const e of lines) count[e.event.action] = (count[e.event.action] ?? 0) + 1;
console.log(`${lines.length} events:`, Object.entries(count).map(([k, n]) => `${n} ${k}`).join(", "));
const end = lines.filter((e) => e.event.action === "flow.end").sort((a, b) => (b.network?.bytes ?? 0) - (a.network?.bytes ?? 0))[0];
console.log("the largest flow.end event (the TCP transfer), as logged:");
console.log(JSON.stringify(end, null, 2));' "$data/events.jsonl"

step "6. No raw address in the log: addresses are pseudonyms under a site key kept outside <data>"
raw="$subnet\.[123]\b|${macs[0]}|${macs[1]}|${macs[2]}"
echo "lines of the log holding a raw address (IPs $subnet.1-3, the hosts' MACs): $(grep -ciE "$raw" "$data/events.jsonl" || true)"
show "$ghostbridge" pseudonym --data "$data" "$subnet.1"
pseudonym=$("$ghostbridge" pseudonym --data "$data" "$subnet.1" | awk '{print $NF}')
echo "events that name host 1 by its pseudonym $pseudonym: $(grep -cF "\"$pseudonym\"" "$data/events.jsonl") (only the key holder can make that link)"

step "7. A signed block: POST /blocks (the write needs the token in <data>.api-token), a read-only snapshot"
curl -sS -X POST -H "authorization: Bearer $(cat "$data.api-token")" "$api/blocks"
echo
show "$ghostbridge" block list --data "$data"
snapshot=$(ls -d "$data"/.snapshots/block-* | head -1)
show btrfs property get -ts "$snapshot" ro

step "8. Verify the chain, and prove one event is in its block"
show "$ghostbridge" verify --data "$data"
"$ghostbridge" proof --data "$data" 1 >"$work/proof.json"
echo "proof of event 1: $(wc -c <"$work/proof.json") bytes of JSON"
show "$ghostbridge" proof --check "$work/proof.json" --public-key "$data/metadata/signing-key.pub.pem"

step "9. Similar flows: the events nearest to the TCP transfer's flow.end"
seq=$("$node" -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const ends = lines.filter((e) => e.event.action === "flow.end" && e.network?.transport === "tcp");
console.log(ends[0].seq);' "$data/events.jsonl")
echo "\$ curl -sS '$api/similar?seq=$seq&k=3'"
curl -sS "$api/similar?seq=$seq&k=3" | "$node" -e '
const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
console.log(`event ${r.seq}, model ${r.model.slice(0, 12)}, index up to seq ${r.watermark}:`);
for (const h of r.hits) console.log(`  seq ${h.seq}  score ${h.score.toFixed(3)}  ${h.event.event.action} ${h.event.network?.transport ?? ""} ${h.event.network?.bytes ?? "?"} bytes`);'

step "10. Replicate the block snapshots (btrfs send | zstd | btrfs receive); the replica verifies on its own"
"$ghostbridge" replicate --data "$data" --to-dir "$replica" --log-level warn
show "$ghostbridge" verify --data "$replica"

step "done"
echo "demo: all steps passed"
