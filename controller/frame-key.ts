// Reads the header fields the forwarding policy keys its flow entries on from a packet-in's
// frame: Ethernet (+ one 802.1Q tag), then IPv4/IPv6 with TCP, UDP or ICMP. Only what the
// match needs; the pipeline does the full parse of the same bytes.
import type { FlowKey } from '../pipeline/facts.ts';
import { ipv4ToText, ipv6ToText, macToText } from '../openflow/index.ts';

export interface FrameKey {
  /** Flow-entry key; fields missing were not in the frame. */
  key: FlowKey;
  /** Group bit of the destination MAC (broadcast or multicast). */
  dstGroup: boolean;
  /** Group bit of the source MAC: not a host address, never learned. */
  srcGroup: boolean;
}

const ETH_VLAN = 0x8100;
const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const TCP = 6;
const UDP = 17;
const ICMP = 1;
const ICMPV6 = 58;

/** The key of a frame that arrived on `inPort`; null when shorter than an Ethernet header. */
export function frameKey(b: Uint8Array, inPort: number): FrameKey | null {
  if (b.length < 14) return null;
  const key: FlowKey = { inPort, ethDst: macToText(b, 0), ethSrc: macToText(b, 6) };
  const out: FrameKey = { key, dstGroup: (b[0] & 1) === 1, srcGroup: (b[6] & 1) === 1 };
  let type = (b[12] << 8) | b[13];
  let o = 14;
  if (type === ETH_VLAN) {
    if (b.length < 18) return out;
    key.vlanId = ((b[14] << 8) | b[15]) & 0x0fff;
    type = (b[16] << 8) | b[17];
    o = 18;
  }
  key.ethType = type;
  if (type === ETH_IPV4 && b.length >= o + 20) {
    const ihl = (b[o] & 0x0f) * 4;
    const fragment = (((b[o + 6] << 8) | b[o + 7]) & 0x3fff) !== 0;
    // A fragment's ports are not all there: such packets get an L2 entry, like "the rest".
    if (fragment || ihl < 20) return out;
    key.ipProto = b[o + 9];
    key.ipSrc = ipv4ToText(b, o + 12);
    key.ipDst = ipv4ToText(b, o + 16);
    transport(b, o + ihl, key, ICMP);
  } else if (type === ETH_IPV6 && b.length >= o + 40) {
    const next = b[o + 6];
    // Extension headers would need walking; those packets get an L2 entry.
    if (next !== TCP && next !== UDP && next !== ICMPV6) return out;
    key.ipProto = next;
    key.ipSrc = ipv6ToText(b, o + 8);
    key.ipDst = ipv6ToText(b, o + 24);
    transport(b, o + 40, key, ICMPV6);
  }
  return out;
}

function transport(b: Uint8Array, o: number, key: FlowKey, icmp: number): void {
  const proto = key.ipProto;
  if ((proto === TCP || proto === UDP) && b.length >= o + 4) {
    key.srcPort = (b[o] << 8) | b[o + 1];
    key.dstPort = (b[o + 2] << 8) | b[o + 3];
  } else if (proto === icmp && b.length >= o + 2) {
    key.icmpType = b[o];
    key.icmpCode = b[o + 1];
  } else if (proto === TCP || proto === UDP || proto === icmp) {
    // Truncated transport header: key on addresses only, without the protocol.
    delete key.ipProto;
    delete key.ipSrc;
    delete key.ipDst;
  }
}
