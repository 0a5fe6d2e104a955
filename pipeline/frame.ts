// Frame parsing: Ethernet II, 802.1Q / 802.1ad (QinQ), ARP, IPv4 (options, fragments),
// IPv6 (extension header chain), TCP, UDP, ICMP, ICMPv6. A frame cut short (miss_send_len)
// yields every header that is wholly present and sets `truncated`; no input ever throws.
// The result holds header fields only: no slice of the frame, so no payload byte can leak
// from here into an event.
import { formatIPv6, ipv4Text, macText } from './address.ts';

export interface ParsedFrame {
  /** Bytes captured (may be less than the frame's length on the wire). */
  captured: number;
  /** A header the frame announced was cut off or malformed. */
  truncated: boolean;
  eth?: { src: string; dst: string };
  /** VLAN ids, outermost first (QinQ gives two or more). */
  vlans: number[];
  /** The innermost EtherType (after any VLAN tags). */
  etherType?: number;
  arp?: { operation: number; senderMac: string; senderIp: string; targetMac: string; targetIp: string };
  ip?: {
    version: 4 | 6;
    src: string;
    dst: string;
    /** The transport protocol: IPv4's protocol, or the last next-header of IPv6's chain. */
    protocol: number;
    /** TTL (IPv4) or hop limit (IPv6). */
    ttl: number;
    dscp: number;
    /** Set when this packet is a fragment (IPv4 MF/offset, IPv6 fragment header). */
    fragment: boolean;
    fragmentOffset: number;
    /** IPv4 header options present. */
    options: boolean;
    /** IPv6 extension headers walked, in order. */
    extensions: number[];
    /** Total length the IP header announces (payload length + 40 for IPv6). */
    length: number;
  };
  tcp?: { srcPort: number; dstPort: number; flags: number };
  udp?: { srcPort: number; dstPort: number };
  icmp?: { type: number; code: number };
}

export const ETH_IPV4 = 0x0800;
export const ETH_ARP = 0x0806;
export const ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100;
const ETH_QINQ = 0x88a8;
const ETH_QINQ_OLD = 0x9100;
export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;

/** IPv6 extension headers whose length field follows the usual (len + 1) * 8 rule. */
const IPV6_EXTENSIONS = new Set([0, 43, 60, 135, 139, 140]);
const IPV6_FRAGMENT = 44;
const IPV6_AH = 51;
/** Bounds the extension chain walk; real stacks use a handful at most. */
const MAX_EXTENSIONS = 16;
const MAX_VLAN_TAGS = 4;

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;

export function parseFrame(b: Uint8Array): ParsedFrame {
  const out: ParsedFrame = { captured: b.length, truncated: false, vlans: [] };
  if (b.length < 14) {
    out.truncated = true;
    return out;
  }
  out.eth = { dst: macText(b, 0), src: macText(b, 6) };
  let type = u16(b, 12);
  let at = 14;
  while (type === ETH_VLAN || type === ETH_QINQ || type === ETH_QINQ_OLD) {
    if (at + 4 > b.length || out.vlans.length === MAX_VLAN_TAGS) {
      out.truncated = true;
      return out;
    }
    out.vlans.push(u16(b, at) & 0x0fff);
    type = u16(b, at + 2);
    at += 4;
  }
  out.etherType = type;
  if (type === ETH_ARP) parseArp(b, at, out);
  else if (type === ETH_IPV4) parseIPv4(b, at, out);
  else if (type === ETH_IPV6) parseIPv6(b, at, out);
  return out;
}

function parseArp(b: Uint8Array, at: number, out: ParsedFrame): void {
  // Only Ethernet/IPv4 ARP (htype 1, ptype 0x0800, hlen 6, plen 4) has a fixed 28-byte body.
  if (at + 28 > b.length) {
    out.truncated = true;
    return;
  }
  if (u16(b, at) !== 1 || u16(b, at + 2) !== ETH_IPV4 || b[at + 4] !== 6 || b[at + 5] !== 4) return;
  out.arp = {
    operation: u16(b, at + 6),
    senderMac: macText(b, at + 8),
    senderIp: ipv4Text(b, at + 14),
    targetMac: macText(b, at + 18),
    targetIp: ipv4Text(b, at + 24),
  };
}

function parseIPv4(b: Uint8Array, at: number, out: ParsedFrame): void {
  if (at + 20 > b.length) {
    out.truncated = true;
    return;
  }
  const ihl = (b[at]! & 0x0f) * 4;
  if (b[at]! >> 4 !== 4 || ihl < 20) {
    out.truncated = true;
    return;
  }
  const flagsOffset = u16(b, at + 6);
  const fragmentOffset = (flagsOffset & 0x1fff) * 8;
  const moreFragments = (flagsOffset & 0x2000) !== 0;
  const protocol = b[at + 9]!;
  out.ip = {
    version: 4,
    src: ipv4Text(b, at + 12),
    dst: ipv4Text(b, at + 16),
    protocol,
    ttl: b[at + 8]!,
    dscp: b[at + 1]! >> 2,
    fragment: moreFragments || fragmentOffset > 0,
    fragmentOffset,
    options: ihl > 20,
    extensions: [],
    length: u16(b, at + 2),
  };
  if (at + ihl > b.length) {
    out.truncated = true;
    return;
  }
  // Only the first fragment carries the transport header.
  if (fragmentOffset === 0) parseTransport(b, at + ihl, protocol, out);
}

function parseIPv6(b: Uint8Array, at: number, out: ParsedFrame): void {
  if (at + 40 > b.length) {
    out.truncated = true;
    return;
  }
  if (b[at]! >> 4 !== 6) {
    out.truncated = true;
    return;
  }
  const ip: NonNullable<ParsedFrame['ip']> = {
    version: 6,
    src: formatIPv6(b, at + 8),
    dst: formatIPv6(b, at + 24),
    protocol: b[at + 6]!,
    ttl: b[at + 7]!,
    dscp: ((b[at]! & 0x0f) << 2) | (b[at + 1]! >> 6),
    fragment: false,
    fragmentOffset: 0,
    options: false,
    extensions: [],
    length: u16(b, at + 4) + 40,
  };
  out.ip = ip;
  let next = ip.protocol;
  let p = at + 40;
  while (IPV6_EXTENSIONS.has(next) || next === IPV6_FRAGMENT || next === IPV6_AH) {
    if (ip.extensions.length === MAX_EXTENSIONS || p + 8 > b.length) {
      out.truncated = true;
      return;
    }
    ip.extensions.push(next);
    const following = b[p]!;
    if (next === IPV6_FRAGMENT) {
      ip.fragment = true;
      ip.fragmentOffset = u16(b, p + 2) & 0xfff8;
      p += 8;
    } else if (next === IPV6_AH) {
      p += (b[p + 1]! + 2) * 4;
    } else {
      p += (b[p + 1]! + 1) * 8;
    }
    next = following;
  }
  ip.protocol = next;
  if (ip.fragmentOffset === 0) parseTransport(b, p, next, out);
}

function parseTransport(b: Uint8Array, at: number, protocol: number, out: ParsedFrame): void {
  if (protocol === PROTO_TCP) {
    if (at + 14 > b.length) {
      out.truncated = true;
      return;
    }
    // Flags are the low 9 bits of bytes 12–13 (NS, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN).
    out.tcp = { srcPort: u16(b, at), dstPort: u16(b, at + 2), flags: u16(b, at + 12) & 0x01ff };
  } else if (protocol === PROTO_UDP) {
    if (at + 8 > b.length) {
      out.truncated = true;
      return;
    }
    out.udp = { srcPort: u16(b, at), dstPort: u16(b, at + 2) };
  } else if (protocol === PROTO_ICMP || protocol === PROTO_ICMPV6) {
    if (at + 2 > b.length) {
      out.truncated = true;
      return;
    }
    out.icmp = { type: b[at]!, code: b[at + 1]! };
  }
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
