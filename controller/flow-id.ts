// A flow's id is the cookie on its flow entry, computed from the flow key alone, so a
// controller that restarts and reads the installed entries back recognises its own flows.
import type { FlowId, FlowKey } from '../pipeline/facts.ts';

/** The top byte of every cookie this controller writes: tells our entries from others'. */
export const COOKIE_TAG = 0x47n << 56n;
const TAG_MASK = 0xffn << 56n;

/** Key fields in a fixed order: the same key always gives the same text. */
const FIELDS = ['inPort', 'ethSrc', 'ethDst', 'ethType', 'vlanId', 'ipSrc', 'ipDst', 'ipProto', 'srcPort', 'dstPort', 'icmpType', 'icmpCode'] as const;

export function canonicalKey(key: FlowKey): string {
  let s = '';
  for (const f of FIELDS) s += `${key[f] ?? ''}|`;
  return s;
}

// Two 32-bit FNV-1a hashes (different offset bases) cut to 24 + 29 bits: 53 bits fit a
// double exactly, so the cookie costs one BigInt conversion. A cryptographic hash would cost
// more per packet-in than everything else together; 53 bits make collisions negligible.
function fnv1a(s: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function flowIdOf(key: FlowKey): FlowId {
  const s = canonicalKey(key);
  const hi = fnv1a(s, 0x811c9dc5) & 0x00ffffff;
  const lo = fnv1a(s, 0x050c5d1f) & 0x1fffffff;
  return COOKIE_TAG | BigInt(hi * 0x20000000 + lo);
}

/** True for cookies this controller puts on per-flow entries. */
export function isOurFlowCookie(cookie: bigint): boolean {
  return (cookie & TAG_MASK) === COOKIE_TAG;
}
