// MAC and IP addresses between wire bytes and their usual text form
// (aa:bb:cc:dd:ee:ff, 10.0.0.1, RFC 5952 IPv6).
import { EncodeError } from './buffer-writer.ts';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function macToText(b: Uint8Array, off: number): string {
  return `${HEX[b[off]!]}:${HEX[b[off + 1]!]}:${HEX[b[off + 2]!]}:${HEX[b[off + 3]!]}:${HEX[b[off + 4]!]}:${HEX[b[off + 5]!]}`;
}

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
export function macToBytes(text: string): Uint8Array {
  if (typeof text !== 'string' || !MAC_RE.test(text)) throw new EncodeError(`not a MAC address: ${JSON.stringify(text)}`);
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) out[i] = parseInt(text.slice(i * 3, i * 3 + 2), 16);
  return out;
}

export function ipv4ToText(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
export function ipv4ToBytes(text: string): Uint8Array {
  const m = typeof text === 'string' ? IPV4_RE.exec(text) : null;
  const parts = m ? m.slice(1).map(Number) : [];
  if (!m || parts.some((p) => p > 255)) throw new EncodeError(`not an IPv4 address: ${JSON.stringify(text)}`);
  return Uint8Array.from(parts);
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
    const v4 = ipv4ToBytes(last);
    return [...gs.slice(0, -1), ((v4[0]! << 8) | v4[1]!).toString(16), ((v4[2]! << 8) | v4[3]!).toString(16)];
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
