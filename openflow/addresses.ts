// MAC and IP addresses between wire bytes and their usual text form
// (aa:bb:cc:dd:ee:ff, 10.0.0.1, RFC 5952 IPv6).
import { EncodeError, type BufferWriter } from './buffer-writer.ts';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function macToText(b: Uint8Array, off: number): string {
  return `${HEX[b[off]!]}:${HEX[b[off + 1]!]}:${HEX[b[off + 2]!]}:${HEX[b[off + 3]!]}:${HEX[b[off + 4]!]}:${HEX[b[off + 5]!]}`;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** Write "aa:bb:cc:dd:ee:ff" as 6 bytes, parsed in place (the encoder's hot path). */
export function writeMac(w: BufferWriter, text: string): void {
  if (typeof text !== 'string' || text.length !== 17) throw notMac(text);
  w.reserve(6);
  const buf = w.buf;
  for (let i = 0; i < 6; i++) {
    const hi = hexDigit(text.charCodeAt(i * 3));
    const lo = hexDigit(text.charCodeAt(i * 3 + 1));
    if (hi < 0 || lo < 0 || (i < 5 && text.charCodeAt(i * 3 + 2) !== 58)) throw notMac(text);
    buf[w.pos + i] = (hi << 4) | lo;
  }
  w.pos += 6;
}

function notMac(text: unknown): EncodeError {
  return new EncodeError(`not a MAC address: ${JSON.stringify(text)}`);
}

export function ipv4ToText(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** Parse dotted-quad text to a 32-bit number, without allocating (the encoder's hot path). */
export function ipv4ToNumber(text: string): number {
  if (typeof text !== 'string') throw notIpv4(text);
  let value = 0;
  let part = -1;
  let dots = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (part < 0 || dots === 3) throw notIpv4(text);
      value = value * 256 + part;
      part = -1;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = (part < 0 ? 0 : part * 10) + (c - 48);
      digits++;
      if (part > 255) throw notIpv4(text);
    } else throw notIpv4(text);
  }
  if (part < 0 || dots !== 3) throw notIpv4(text);
  return value * 256 + part;
}

function notIpv4(text: unknown): EncodeError {
  return new EncodeError(`not an IPv4 address: ${JSON.stringify(text)}`);
}

/** RFC 5952: lower case, no leading zeros, the longest run (≥ 2) of zero groups as "::". */
export function ipv6ToText(b: Uint8Array, off: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

const GROUP_RE = /^[0-9a-fA-F]{1,4}$/;
export function ipv6ToBytes(text: string): Uint8Array {
  const bad = () => new EncodeError(`not an IPv6 address: ${JSON.stringify(text)}`);
  if (typeof text !== 'string') throw bad();
  const halves = text.split('::');
  if (halves.length > 2) throw bad();
  const split = (s: string): string[] => (s === '' ? [] : s.split(':'));
  let head = split(halves[0]!);
  let tail = halves.length === 2 ? split(halves[1]!) : [];
  // An embedded dotted quad (::ffff:10.0.0.1) stands for the last two groups.
  const expandV4 = (gs: string[]): string[] => {
    const last = gs[gs.length - 1];
    if (last === undefined || !last.includes('.')) return gs;
    const v4 = ipv4ToNumber(last);
    return [...gs.slice(0, -1), (v4 >>> 16).toString(16), (v4 & 0xffff).toString(16)];
  };
  if (halves.length === 2) tail = expandV4(tail);
  else head = expandV4(head);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) throw bad();
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    if (!GROUP_RE.test(g)) throw bad();
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}
