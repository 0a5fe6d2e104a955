// Community ID v1 (github.com/corelight/community-id-spec): a direction-free flow hash that
// Zeek, Suricata and Elastic compute the same way, so records join across tools.
import { hash } from 'node:crypto';
import { PROTO_ICMP, PROTO_ICMPV6 } from './frame.ts';

// ICMP types that have a counterpart (request/reply); the rest are one-way (Zeek's table).
const ICMP4_COUNTERPART = new Map([[8, 0], [0, 8], [13, 14], [14, 13], [15, 16], [16, 15], [10, 9], [9, 10], [17, 18], [18, 17]]);
const ICMP6_COUNTERPART = new Map([
  [128, 129], [129, 128], [133, 134], [134, 133], [135, 136], [136, 135],
  [130, 131], [131, 130], [139, 140], [140, 139], [144, 145], [145, 144],
]);

export interface CommunityTuple {
  src: Uint8Array;
  dst: Uint8Array;
  protocol: number;
  /** Ports (TCP, UDP, SCTP) or ICMP type and code; absent for other protocols. */
  srcPort?: number;
  dstPort?: number;
}

export function communityId(t: CommunityTuple, seed = 0): string {
  let sport = t.srcPort;
  let dport = t.dstPort;
  let oneWay = false;
  if ((t.protocol === PROTO_ICMP || t.protocol === PROTO_ICMPV6) && sport !== undefined) {
    const counterpart = (t.protocol === PROTO_ICMP ? ICMP4_COUNTERPART : ICMP6_COUNTERPART).get(sport);
    if (counterpart === undefined) oneWay = true;
    else dport = counterpart;
  }
  const hasPorts = sport !== undefined && dport !== undefined;
  let a = t.src;
  let b = t.dst;
  const order = Buffer.compare(a, b);
  if (!oneWay && (order > 0 || (order === 0 && hasPorts && sport! > dport!))) {
    const address = a;
    a = b;
    b = address;
    const port = sport;
    sport = dport;
    dport = port;
  }
  // seed (2 bytes), addresses, protocol, a zero byte, then the ports: hashed in one call,
  // from a buffer kept for each input length (this runs once per flow).
  const input = scratch(2 + a.length + b.length + 2 + (hasPorts ? 4 : 0));
  input.writeUInt16BE(seed, 0);
  input.set(a, 2);
  input.set(b, 2 + a.length);
  let at = 2 + a.length + b.length;
  input[at++] = t.protocol;
  input[at++] = 0;
  if (hasPorts) {
    input[at++] = sport! >> 8;
    input[at++] = sport! & 0xff;
    input[at++] = dport! >> 8;
    input[at] = dport! & 0xff;
  }
  return `1:${hash('sha1', input, 'base64')}`;
}

const scratches = new Map<number, Buffer>();

/** A buffer of `length` bytes, the same one each time (every byte of it is written before it is hashed). */
function scratch(length: number): Buffer {
  let buffer = scratches.get(length);
  if (buffer === undefined) scratches.set(length, (buffer = Buffer.alloc(length)));
  return buffer;
}
