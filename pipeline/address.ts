// Address text <-> bytes. Events carry addresses as text (MAC "aa:bb:cc:dd:ee:ff", IPv4
// dotted quad, IPv6 in RFC 5952 form); Crypto-PAn, HMAC and the Community ID work on bytes.

const hex2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function formatMac(b: Uint8Array, at = 0): string {
  return `${hex2[b[at]!]}:${hex2[b[at + 1]!]}:${hex2[b[at + 2]!]}:${hex2[b[at + 3]!]}:${hex2[b[at + 4]!]}:${hex2[b[at + 5]!]}`;
}

export function formatIPv4(b: Uint8Array, at = 0): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

// MAC and IPv4 texts, remembered: traffic comes from few hosts, so parsing a frame (the
// pipeline's parseFrame, the controller's flow key) would otherwise build the same strings
// again and again (a MAC's text is 11 pieces), and the maps keyed by them (pseudonyms, flow
// and MAC tables) would hash new strings. A small direct-mapped cache per kind and thread: a
// hit returns the string made before, a miss makes it with formatMac / formatIPv4 and takes
// the slot. Bounded: SLOTS strings a kind.
const SLOTS = 8192;
// MACs as two 24-bit halves; -1 marks an empty slot (no half is negative).
const macHigh = new Int32Array(SLOTS).fill(-1);
const macLow = new Int32Array(SLOTS);
const macTexts: string[] = new Array<string>(SLOTS).fill('');
const ipv4Values = new Int32Array(SLOTS);
// '' marks an empty slot: no address's text is empty.
const ipv4Texts: string[] = new Array<string>(SLOTS).fill('');

function slot(x: number, y: number): number {
  return Math.imul(x ^ Math.imul(y, 0x9e3779b1), 0x85ebca6b) >>> 19;
}

/** formatMac's text, remembered by value. */
export function macText(b: Uint8Array, at = 0): string {
  const high = (b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!;
  const low = (b[at + 3]! << 16) | (b[at + 4]! << 8) | b[at + 5]!;
  const s = slot(high, low);
  if (macHigh[s] === high && macLow[s] === low) return macTexts[s]!;
  const text = formatMac(b, at);
  macHigh[s] = high;
  macLow[s] = low;
  macTexts[s] = text;
  return text;
}

/** formatIPv4's text, remembered by value. */
export function ipv4Text(b: Uint8Array, at = 0): string {
  const value = (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
  const s = slot(value, 0x5bd1e995);
  if (ipv4Values[s] === value && ipv4Texts[s] !== '') return ipv4Texts[s]!;
  const text = formatIPv4(b, at);
  ipv4Values[s] = value;
  ipv4Texts[s] = text;
  return text;
}

/** RFC 5952: lower case, no leading zeros, the longest run (≥ 2) of zero groups as "::". */
export function formatIPv6(b: Uint8Array, at = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((b[at + 2 * i]! << 8) | b[at + 2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const text = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return text(0, 8);
  return `${text(0, bestStart)}::${text(bestStart + bestLen, 8)}`;
}

export function parseMac(text: string): Uint8Array | null {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(text);
  if (!m) return null;
  return Uint8Array.from(m.slice(1), (h) => parseInt(h, 16));
}

export function parseIPv4(text: string): Uint8Array | null {
  // A hand-written scan: this runs for every event (Community ID), so no regex or split.
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // a final '.' closes the last part
    if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return null; // leading zero
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return null;
    } else if (c === 46 && digits > 0 && part < 4) {
      out[part++] = value;
      value = 0;
      digits = 0;
    } else {
      return null;
    }
  }
  return part === 4 ? out : null;
}

/** Accepts every RFC 4291 text form, including "::" and an embedded IPv4 tail. */
export function parseIPv6(text: string): Uint8Array | null {
  if (text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return null;
  let head = text;
  let v4: Uint8Array | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    v4 = parseIPv4(text.slice(lastColon + 1));
    if (!v4) return null;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groupsOf(halves[0]!);
  const right = halves.length === 2 ? groupsOf(halves[1]!) : [];
  const total = left.length + right.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return null;
  const groups = [...left, ...Array<string>(8 - total).fill('0'), ...right];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  }
  if (v4) out.set(v4, 12);
  return out;
}

/** IPv4 or IPv6 text to 4 or 16 bytes; null when it is neither. */
export function parseIP(text: string): Uint8Array | null {
  return text.includes(':') ? parseIPv6(text) : parseIPv4(text);
}

const IP_BYTES_LIMIT = 1 << 16;
const ipBytesOf = new Map<string, Uint8Array | null>();

/** parseIP's bytes, remembered by text (bounded; cleared when full). Shared: never write to them. */
export function ipBytes(text: string): Uint8Array | null {
  let bytes = ipBytesOf.get(text);
  if (bytes === undefined) {
    if (ipBytesOf.size >= IP_BYTES_LIMIT) ipBytesOf.clear();
    ipBytesOf.set(text, (bytes = parseIP(text)));
  }
  return bytes;
}

export function formatIP(b: Uint8Array): string {
  return b.length === 4 ? formatIPv4(b) : formatIPv6(b);
}
