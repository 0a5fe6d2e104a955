// MAC and IPv4 addresses as text, remembered: a switch's traffic comes from few hosts, and
// every flow key holds its addresses as text, so each packet-in would otherwise build (and
// the flow and MAC tables hash) the same strings again. A small direct-mapped cache per kind,
// shared by all sessions (one thread): a hit returns the string made before, a miss makes it
// with the codec's macToText / ipv4ToText and takes the slot. Bounded: SLOTS strings a kind.
import { ipv4ToText, macToText } from '../openflow/index.ts';

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

export function macText(b: Uint8Array, at: number): string {
  const high = (b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!;
  const low = (b[at + 3]! << 16) | (b[at + 4]! << 8) | b[at + 5]!;
  const s = slot(high, low);
  if (macHigh[s] === high && macLow[s] === low) return macTexts[s]!;
  const text = macToText(b, at);
  macHigh[s] = high;
  macLow[s] = low;
  macTexts[s] = text;
  return text;
}

export function ipv4Text(b: Uint8Array, at: number): string {
  const value = (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
  const s = slot(value, 0x5bd1e995);
  if (ipv4Values[s] === value && ipv4Texts[s] !== '') return ipv4Texts[s]!;
  const text = ipv4ToText(b, at);
  ipv4Values[s] = value;
  ipv4Texts[s] = text;
  return text;
}
