// Reads the header fields the forwarding policy keys its flow entries on from a packet-in's
// frame: Ethernet (+ one 802.1Q tag), then IPv4/IPv6 with TCP, UDP or ICMP. Only what the
// match needs; the pipeline does the full parse of the same bytes. In two steps: scanFrame
// finds the fields as numbers and offsets (what the fast path writes its match from), and
// keyOf turns them into the FlowKey, addresses as text.
import type { FlowKey } from '../pipeline/facts.ts';
import { ipv6ToText } from '../openflow/index.ts';
import { ipv4Text, macText } from '../pipeline/index.ts';

export interface FrameKey {
  /** Flow-entry key; fields missing were not in the frame. */
  key: FlowKey;
  /** Group bit of the destination MAC (broadcast or multicast). */
  dstGroup: boolean;
  /** Group bit of the source MAC: not a host address, never learned. */
  srcGroup: boolean;
}

/** The key fields of a frame at `at` in a buffer (-1: not in the frame). */
export interface FrameFields {
  vlanId: number;
  ethType: number;
  /** With the addresses: both are there or neither. */
  ipProto: number;
  /** Where the source address starts; the destination follows it. */
  ipAt: number;
  /** 4 or 16 (IPv6), when ipProto is set. */
  ipSize: number;
  srcPort: number;
  dstPort: number;
  icmpType: number;
  icmpCode: number;
}

export function emptyFrameFields(): FrameFields {
  return { vlanId: -1, ethType: -1, ipProto: -1, ipAt: 0, ipSize: 0, srcPort: -1, dstPort: -1, icmpType: -1, icmpCode: -1 };
}

const ETH_VLAN = 0x8100;
const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;
export const TCP = 6;
const UDP = 17;
const ICMP = 1;
const ICMPV6 = 58;

/** Fills `f` from the frame in b[at, end); false when shorter than an Ethernet header. */
export function scanFrame(b: Uint8Array, at: number, end: number, f: FrameFields): boolean {
  f.vlanId = f.ethType = f.ipProto = f.srcPort = f.dstPort = f.icmpType = f.icmpCode = -1;
  f.ipAt = f.ipSize = 0;
  if (end - at < 14) return false;
  let type = (b[at + 12] << 8) | b[at + 13];
  let o = at + 14;
  if (type === ETH_VLAN) {
    if (end - at < 18) return true;
    f.vlanId = ((b[at + 14] << 8) | b[at + 15]) & 0x0fff;
    type = (b[at + 16] << 8) | b[at + 17];
    o = at + 18;
  }
  f.ethType = type;
  if (type === ETH_IPV4 && end >= o + 20) {
    const ihl = (b[o] & 0x0f) * 4;
    const fragment = (((b[o + 6] << 8) | b[o + 7]) & 0x3fff) !== 0;
    // A fragment's ports are not all there: such packets get an L2 entry, like "the rest".
    if (fragment || ihl < 20) return true;
    transport(b, o + ihl, end, f, b[o + 9], ICMP, o + 12, 4);
  } else if (type === ETH_IPV6 && end >= o + 40) {
    const next = b[o + 6];
    // Extension headers would need walking; those packets get an L2 entry.
    if (next !== TCP && next !== UDP && next !== ICMPV6) return true;
    transport(b, o + 40, end, f, next, ICMPV6, o + 8, 16);
  }
  return true;
}

function transport(b: Uint8Array, o: number, end: number, f: FrameFields, proto: number, icmp: number, ipAt: number, ipSize: number): void {
  if ((proto === TCP || proto === UDP) && end >= o + 4) {
    f.srcPort = (b[o] << 8) | b[o + 1];
    f.dstPort = (b[o + 2] << 8) | b[o + 3];
  } else if (proto === icmp && end >= o + 2) {
    f.icmpType = b[o];
    f.icmpCode = b[o + 1];
  } else if (proto === TCP || proto === UDP || proto === icmp) {
    // Truncated transport header: key on addresses only, without the protocol.
    return;
  }
  f.ipProto = proto;
  f.ipAt = ipAt;
  f.ipSize = ipSize;
}

/** The FlowKey of a frame at `at` that scanFrame read into `f`, which arrived on `inPort`. */
export function keyOf(b: Uint8Array, at: number, inPort: number, f: FrameFields): FlowKey {
  // Fields in the same order always: the key's shape (and JSON) does not depend on the path.
  const key: FlowKey = { inPort, ethDst: macText(b, at), ethSrc: macText(b, at + 6) };
  if (f.vlanId >= 0) key.vlanId = f.vlanId;
  if (f.ethType >= 0) key.ethType = f.ethType;
  if (f.ipProto >= 0) {
    key.ipProto = f.ipProto;
    const text = f.ipSize === 4 ? ipv4Text : ipv6ToText;
    key.ipSrc = text(b, f.ipAt);
    key.ipDst = text(b, f.ipAt + f.ipSize);
  }
  if (f.srcPort >= 0) {
    key.srcPort = f.srcPort;
    key.dstPort = f.dstPort;
  }
  if (f.icmpType >= 0) {
    key.icmpType = f.icmpType;
    key.icmpCode = f.icmpCode;
  }
  return key;
}

/** The key of a frame that arrived on `inPort`; null when shorter than an Ethernet header. */
export function frameKey(b: Uint8Array, inPort: number): FrameKey | null {
  const f = emptyFrameFields();
  if (!scanFrame(b, 0, b.length, f)) return null;
  return { key: keyOf(b, 0, inPort, f), dstGroup: (b[0] & 1) === 1, srcGroup: (b[6] & 1) === 1 };
}
