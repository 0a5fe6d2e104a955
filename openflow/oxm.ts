// OXM TLVs (spec 7.2.3): the match structure and single fields (also used by SET_FIELD).
// Every OpenFlow-basic field is decoded to a typed value; any other class is kept as bytes.
import { ipv4ToNumber, ipv4ToText, ipv6ToBytes, ipv6ToText, macToText, writeMac } from './addresses.ts';
import { EncodeError, type BufferWriter } from './buffer-writer.ts';
import { Malformed, need } from './malformed.ts';
import type { Match, OxmBasicName, OxmField, OxmValue } from './types.ts';

export const OFPXMC_OPENFLOW_BASIC = 0x8000;
export const OFPXMC_EXPERIMENTER = 0xffff;
/** ofp_match's type: the only one OpenFlow 1.3 has. */
export const OFPMT_OXM = 1;

type Kind = 'u8' | 'u16' | 'u24' | 'u32' | 'u64' | 'mac' | 'ipv4' | 'ipv6';
const SIZE: Record<Kind, number> = { u8: 1, u16: 2, u24: 3, u32: 4, u64: 8, mac: 6, ipv4: 4, ipv6: 16 };

/** OpenFlow-basic fields in OXM field-number order (OFPXMT_OFB_*). */
const BASIC: [OxmBasicName, Kind][] = [
  ['in_port', 'u32'], ['in_phy_port', 'u32'], ['metadata', 'u64'], ['eth_dst', 'mac'],
  ['eth_src', 'mac'], ['eth_type', 'u16'], ['vlan_vid', 'u16'], ['vlan_pcp', 'u8'],
  ['ip_dscp', 'u8'], ['ip_ecn', 'u8'], ['ip_proto', 'u8'], ['ipv4_src', 'ipv4'],
  ['ipv4_dst', 'ipv4'], ['tcp_src', 'u16'], ['tcp_dst', 'u16'], ['udp_src', 'u16'],
  ['udp_dst', 'u16'], ['sctp_src', 'u16'], ['sctp_dst', 'u16'], ['icmpv4_type', 'u8'],
  ['icmpv4_code', 'u8'], ['arp_op', 'u16'], ['arp_spa', 'ipv4'], ['arp_tpa', 'ipv4'],
  ['arp_sha', 'mac'], ['arp_tha', 'mac'], ['ipv6_src', 'ipv6'], ['ipv6_dst', 'ipv6'],
  ['ipv6_flabel', 'u32'], ['icmpv6_type', 'u8'], ['icmpv6_code', 'u8'], ['ipv6_nd_target', 'ipv6'],
  ['ipv6_nd_sll', 'mac'], ['ipv6_nd_tll', 'mac'], ['mpls_label', 'u32'], ['mpls_tc', 'u8'],
  ['mpls_bos', 'u8'], ['pbb_isid', 'u24'], ['tunnel_id', 'u64'], ['ipv6_exthdr', 'u16'],
];
export const OXM_BASIC_NAMES: readonly OxmBasicName[] = BASIC.map(([n]) => n);
// Per field number, for the decoder's hot loop: plain arrays, no tuple unpacking.
const KINDS: readonly Kind[] = BASIC.map(([, k]) => k);
const SIZES: readonly number[] = BASIC.map(([, k]) => SIZE[k]);
const FIELD_NUMBER = new Map<string, number>(BASIC.map(([n], i) => [n, i]));
const KIND = new Map<string, Kind>(BASIC);

/** The TLV header of an unmasked OpenFlow-basic field: class, field number, the field's size. */
export function oxmHeader(name: OxmBasicName): number {
  return ((OFPXMC_OPENFLOW_BASIC << 16) | (FIELD_NUMBER.get(name)! << 9) | SIZE[KIND.get(name)!]) >>> 0;
}

/** The name of a basic field number, for table-features OXM ids and printing. */
export function oxmBasicName(field: number): OxmBasicName | undefined {
  return OXM_BASIC_NAMES[field];
}

function readValue(kind: Kind, b: Buffer, off: number): OxmValue {
  switch (kind) {
    case 'u8': return b[off]!;
    case 'u16': return b.readUInt16BE(off);
    case 'u24': return b.readUIntBE(off, 3);
    case 'u32': return b.readUInt32BE(off);
    case 'u64': return b.readBigUInt64BE(off);
    case 'mac': return macToText(b, off);
    case 'ipv4': return ipv4ToText(b, off);
    case 'ipv6': return ipv6ToText(b, off);
  }
}

/** Decode the OXM TLV at `off` (bounded by `end`). Its total size is 4 + b[off + 3]. */
export function readOxm(b: Buffer, off: number, end: number): OxmField {
  if (off + 4 > end) need(off, 4, end, 'OXM header');
  const cls = (b[off]! << 8) | b[off + 1]!;
  const fb = b[off + 2]!;
  const len = b[off + 3]!;
  if (off + 4 + len > end) need(off + 4, len, end, 'OXM value');
  const field = fb >>> 1;
  const hasmask = (fb & 1) === 1;
  if (cls !== OFPXMC_OPENFLOW_BASIC || field >= SIZES.length) {
    return { field: 'raw', oxm_class: cls, oxm_field: field, hasmask, data: b.subarray(off + 4, off + 4 + len) };
  }
  const size = SIZES[field]!;
  const name = OXM_BASIC_NAMES[field]!;
  if (len !== (hasmask ? 2 * size : size)) {
    throw new Malformed('BAD_BODY', `OXM ${name}: length ${len}, expected ${hasmask ? 2 * size : size}`);
  }
  const kind = KINDS[field]!;
  const value = readValue(kind, b, off + 4);
  return hasmask ? { field: name, value, mask: readValue(kind, b, off + 4 + size) } : { field: name, value };
}

/** Decode the ofp_match at `off`; `matchSize` gives how many bytes it took, padding included. */
export function readMatch(b: Buffer, off: number, end: number): Match {
  need(off, 4, end, 'match header');
  const type = b.readUInt16BE(off);
  const length = b.readUInt16BE(off + 2);
  if (type !== OFPMT_OXM) throw new Malformed('BAD_BODY', `match type ${type}, only OXM (1) exists in OpenFlow 1.3`);
  if (length < 4) throw new Malformed('BAD_BODY', `match length ${length} is below 4`);
  need(off, (length + 7) & ~7, end, 'match');
  const fields: Match = [];
  const stop = off + length;
  let p = off + 4;
  while (p < stop) {
    fields.push(readOxm(b, p, stop));
    p += 4 + b[p + 3]!;
  }
  return fields;
}

/** The padded wire size of the ofp_match at `off` (call after `readMatch` succeeded). */
export function matchSize(b: Buffer, off: number): number {
  return (b.readUInt16BE(off + 2) + 7) & ~7;
}

function writeValue(w: BufferWriter, kind: Kind, v: OxmValue, name: string): void {
  switch (kind) {
    case 'u8': w.u8(v as number); return;
    case 'u16': w.u16(v as number); return;
    case 'u24': w.u24(v as number); return;
    case 'u32': w.u32(v as number); return;
    case 'u64':
      if (typeof v !== 'bigint') throw new EncodeError(`OXM ${name}: value must be a bigint`);
      w.u64(v);
      return;
    case 'mac': writeMac(w, v as string); return;
    case 'ipv4': w.u32(ipv4ToNumber(v as string)); return;
    case 'ipv6': w.bytes(ipv6ToBytes(v as string)); return;
  }
}

export function writeOxm(w: BufferWriter, f: OxmField): void {
  if (f.field === 'raw') {
    if (f.data.length > 255) throw new EncodeError(`OXM class ${f.oxm_class}: ${f.data.length} bytes do not fit`);
    w.u16(f.oxm_class);
    w.u8((f.oxm_field << 1) | (f.hasmask ? 1 : 0));
    w.u8(f.data.length);
    w.bytes(f.data);
    return;
  }
  const number = FIELD_NUMBER.get(f.field);
  if (number === undefined) throw new EncodeError(`unknown OXM field ${JSON.stringify(f.field)}`);
  const kind = KIND.get(f.field)!;
  const hasmask = f.mask !== undefined && f.mask !== null;
  w.u16(OFPXMC_OPENFLOW_BASIC);
  w.u8((number << 1) | (hasmask ? 1 : 0));
  w.u8(hasmask ? 2 * SIZE[kind] : SIZE[kind]);
  writeValue(w, kind, f.value, f.field);
  if (hasmask) writeValue(w, kind, f.mask!, f.field);
}

/** Write an ofp_match (type OXM), its length filled in last, padded to 8 bytes. */
export function writeMatch(w: BufferWriter, match: Match): void {
  const start = w.pos;
  w.u16(OFPMT_OXM);
  w.u16(0);
  for (let i = 0; i < match.length; i++) writeOxm(w, match[i]!);
  w.patchU16(start + 2, w.pos - start);
  w.pad8(start);
}

/**
 * Checks the ofp_match at `off` the way `readMatch` does, without decoding it: returns its
 * padded wire size, or -1 wherever `readMatch` would throw. For hot paths that read a few
 * fields straight from the bytes (fast-read.ts).
 */
export function scanMatch(b: Uint8Array, off: number, end: number): number {
  if (off + 4 > end) return -1;
  const length = (b[off + 2]! << 8) | b[off + 3]!;
  if (((b[off]! << 8) | b[off + 1]!) !== OFPMT_OXM || length < 4) return -1;
  const padded = (length + 7) & ~7;
  if (off + padded > end) return -1;
  const stop = off + length;
  let p = off + 4;
  while (p < stop) {
    if (p + 4 > stop) return -1;
    const len = b[p + 3]!;
    if (p + 4 + len > stop) return -1;
    const field = b[p + 2]! >>> 1;
    if (((b[p]! << 8) | b[p + 1]!) === OFPXMC_OPENFLOW_BASIC && field < SIZES.length) {
      const size = SIZES[field]!;
      if (len !== ((b[p + 2]! & 1) === 1 ? 2 * size : size)) return -1;
    }
    p += 4 + len;
  }
  return padded;
}

const IN_PORT = FIELD_NUMBER.get('in_port')!;

/** The value of the first in_port field (masked or not) of a match `scanMatch` accepted; -1 when it has none. */
export function matchInPort(b: Uint8Array, off: number): number {
  const stop = off + ((b[off + 2]! << 8) | b[off + 3]!);
  for (let p = off + 4; p < stop; p += 4 + b[p + 3]!) {
    if (((b[p]! << 8) | b[p + 1]!) === OFPXMC_OPENFLOW_BASIC && b[p + 2]! >>> 1 === IN_PORT) {
      return ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
    }
  }
  return -1;
}
