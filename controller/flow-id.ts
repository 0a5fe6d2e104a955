// A flow's id is the cookie on its flow entry, computed from the flow key alone, so a
// controller that restarts and reads the installed entries back recognises its own flows.
import type { FlowId, FlowKey } from '../pipeline/facts.ts';

/** The top byte of every cookie this controller writes: tells our entries from others'. */
export const COOKIE_TAG = 0x47n << 56n;
const COOKIE_HIGH = Number(COOKIE_TAG >> 32n);
/** The cookie bits that carry the tag (a cookie_mask for our entries only). */
export const COOKIE_MASK = 0xffn << 56n;

const PRIME = 0x01000193;
// The two hashes' running states: module-level so the field mixers below are plain calls
// that the compiler inlines (a loop over field names made every key[f] a slow keyed load).
let ha = 0;
let hb = 0;

function mix(v: string | number | undefined): void {
  let a = ha;
  let b = hb;
  if (typeof v === 'string') {
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      a = Math.imul(a ^ c, PRIME);
      b = Math.imul(b ^ c, PRIME);
    }
  } else if (typeof v === 'number') {
    a = Math.imul(Math.imul(a ^ (v >>> 16), PRIME) ^ (v & 0xffff), PRIME);
    b = Math.imul(Math.imul(b ^ (v >>> 16), PRIME) ^ (v & 0xffff), PRIME);
  }
  // A separator, so that a field missing is not the same as a field empty or moved.
  ha = Math.imul(a ^ 0x1f, PRIME);
  hb = Math.imul(b ^ 0x1f, PRIME);
}

/**
 * 53 bits of two FNV-1a hashes (different offset bases) over the key's fields in a fixed
 * order, cut to 24 + 29 bits: a number that is exact as a double, so the policy's table is
 * keyed by a number, and the cookie costs one BigInt conversion. A cryptographic hash would
 * cost more per packet-in than everything else together; 53 bits make collisions
 * negligible. The same key always hashes the same (cookies outlive a controller restart:
 * test/controller/frame-key.test.ts pins some values).
 */
export function flowHash(key: FlowKey): number {
  ha = 0x811c9dc5;
  hb = 0x050c5d1f;
  mix(key.inPort);
  mix(key.ethSrc);
  mix(key.ethDst);
  mix(key.ethType);
  mix(key.vlanId);
  mix(key.ipSrc);
  mix(key.ipDst);
  mix(key.ipProto);
  mix(key.srcPort);
  mix(key.dstPort);
  mix(key.icmpType);
  mix(key.icmpCode);
  return ((ha >>> 0) & 0x00ffffff) * 0x20000000 + ((hb >>> 0) & 0x1fffffff);
}

// Building the cookie through a DataView makes one BigInt, where COOKIE_TAG | BigInt(hash)
// makes two and costs ~3x as much (it is done twice per flow).
const scratch = new DataView(new ArrayBuffer(8));

export function cookieOf(hash: number): FlowId {
  scratch.setUint32(0, cookieHigh(hash));
  scratch.setUint32(4, hash >>> 0);
  return scratch.getBigUint64(0);
}

/** The top 32 bits of cookieOf(hash), for writing it without a BigInt (the low 32 are hash >>> 0). */
export function cookieHigh(hash: number): number {
  return (COOKIE_HIGH | Math.floor(hash / 2 ** 32)) >>> 0;
}

/**
 * The hash of a cookie given as its two 32-bit halves, when it is one cookieOf makes (our
 * tag, nothing in the bits between tag and hash); -1 otherwise.
 */
export function hashOfCookieWords(high: number, low: number): number {
  if ((high & 0xffe00000) !== COOKIE_HIGH) return -1;
  return (high & 0x1fffff) * 2 ** 32 + low;
}

/** The hash part of one of our cookies. */
export function hashOfCookie(cookie: FlowId): number {
  return Number(BigInt.asUintN(53, cookie));
}

export function flowIdOf(key: FlowKey): FlowId {
  return cookieOf(flowHash(key));
}

/** True for cookies this controller puts on per-flow entries. */
export function isOurFlowCookie(cookie: bigint): boolean {
  return (cookie & COOKIE_MASK) === COOKIE_TAG;
}
