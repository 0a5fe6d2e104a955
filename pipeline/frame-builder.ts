// Builds frames byte by byte, for the traffic generator, tests and benchmarks. Checksums are
// left zero: nothing here parses them, and OVS forwards such frames unchanged.
import { parseIPv4, parseIPv6, parseMac } from './address.ts';
import { ETH_ARP, ETH_IPV4, ETH_IPV6, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP } from './frame.ts';

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function be16(n: number): Uint8Array {
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff);
}

function mustParse<T>(value: T | null, what: string): T {
  if (value === null) throw new Error(`not a valid ${what}`);
  return value;
}

/** Ethernet II; each VLAN id adds an 802.1Q tag (the first one 802.1ad when there are two). */
export function ethernet(o: { src: string; dst: string; type: number; vlans?: number[] }, payload: Uint8Array): Uint8Array {
  const vlans = o.vlans ?? [];
  const tags = vlans.map((id, i) => concat(be16(vlans.length > 1 && i === 0 ? 0x88a8 : 0x8100), be16(id & 0x0fff)));
  return concat(mustParse(parseMac(o.dst), 'MAC'), mustParse(parseMac(o.src), 'MAC'), ...tags, be16(o.type), payload);
}

export function arp(o: { operation: number; senderMac: string; senderIp: string; targetMac: string; targetIp: string }): Uint8Array {
  return concat(
    be16(1), be16(ETH_IPV4), Uint8Array.of(6, 4), be16(o.operation),
    mustParse(parseMac(o.senderMac), 'MAC'), mustParse(parseIPv4(o.senderIp), 'IPv4'),
    mustParse(parseMac(o.targetMac), 'MAC'), mustParse(parseIPv4(o.targetIp), 'IPv4'),
  );
}

export interface IPv4Options {
  src: string;
  dst: string;
  protocol: number;
  ttl?: number;
  /** Raw option bytes (padded to a multiple of 4 here). */
  options?: Uint8Array;
  moreFragments?: boolean;
  fragmentOffset?: number;
  dscp?: number;
}

export function ipv4(o: IPv4Options, payload: Uint8Array): Uint8Array {
  const options = o.options ?? new Uint8Array(0);
  const padded = new Uint8Array(Math.ceil(options.length / 4) * 4);
  padded.set(options);
  const ihl = 5 + padded.length / 4;
  const header = new Uint8Array(20);
  header[0] = 0x40 | ihl;
  header[1] = (o.dscp ?? 0) << 2;
  header.set(be16(ihl * 4 + payload.length), 2);
  header.set(be16(((o.moreFragments ? 1 : 0) << 13) | ((o.fragmentOffset ?? 0) >> 3)), 6);
  header[8] = o.ttl ?? 64;
  header[9] = o.protocol;
  header.set(mustParse(parseIPv4(o.src), 'IPv4'), 12);
  header.set(mustParse(parseIPv4(o.dst), 'IPv4'), 16);
  return concat(header, padded, payload);
}

/** An IPv6 extension header: type, and its body after next-header/length (padded to 8n − 2). */
export interface IPv6Extension {
  type: number;
  body?: Uint8Array;
  /** Fragment header only. */
  fragmentOffset?: number;
}

export function ipv6(o: { src: string; dst: string; protocol: number; hopLimit?: number; extensions?: IPv6Extension[] }, payload: Uint8Array): Uint8Array {
  const chain = o.extensions ?? [];
  const encoded = chain.map((ext, i) => {
    const next = i + 1 < chain.length ? chain[i + 1]!.type : o.protocol;
    if (ext.type === 44) return concat(Uint8Array.of(next, 0), be16((ext.fragmentOffset ?? 0) & 0xfff8), new Uint8Array(4));
    const body = ext.body ?? new Uint8Array(0);
    const size = Math.ceil((body.length + 2) / 8) * 8;
    const out = new Uint8Array(size);
    out[0] = next;
    out[1] = size / 8 - 1;
    out.set(body, 2);
    return out;
  });
  const rest = concat(...encoded, payload);
  const header = new Uint8Array(40);
  header[0] = 0x60;
  header.set(be16(rest.length), 4);
  header[6] = chain.length > 0 ? chain[0]!.type : o.protocol;
  header[7] = o.hopLimit ?? 64;
  header.set(mustParse(parseIPv6(o.src), 'IPv6'), 8);
  header.set(mustParse(parseIPv6(o.dst), 'IPv6'), 24);
  return concat(header, rest);
}

export function tcp(o: { srcPort: number; dstPort: number; flags: number }, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const header = new Uint8Array(20);
  header.set(be16(o.srcPort), 0);
  header.set(be16(o.dstPort), 2);
  header[12] = (5 << 4) | ((o.flags >> 8) & 1);
  header[13] = o.flags & 0xff;
  header.set(be16(65535), 14);
  return concat(header, payload);
}

export function udp(o: { srcPort: number; dstPort: number }, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concat(be16(o.srcPort), be16(o.dstPort), be16(8 + payload.length), be16(0), payload);
}

export function icmp(o: { type: number; code: number }, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concat(Uint8Array.of(o.type, o.code, 0, 0, 0, 0, 0, 0), payload);
}

export { ETH_ARP, ETH_IPV4, ETH_IPV6, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP };
