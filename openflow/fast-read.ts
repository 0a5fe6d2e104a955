// The two messages a switch sends most, PACKET_IN and FLOW_REMOVED, read straight from their
// bytes into a caller's reusable view: no message objects, no BigInt for the fields a
// forwarding controller needs. A view is filled only when decodeMessage would decode the same
// bytes without error; for anything else (malformed, or a shape the view does not cover) the
// functions return false and the caller takes decodeMessage, which also names the error.
// test/openflow/fast-read.test.ts holds them to decodeMessage over generated and mutated input.
import { MESSAGE_TYPE_CODE, OFP_VERSION } from './constants.ts';
import { matchInPort, scanMatch } from './oxm.ts';

const OFPT_PACKET_IN = MESSAGE_TYPE_CODE.PACKET_IN;
const OFPT_FLOW_REMOVED = MESSAGE_TYPE_CODE.FLOW_REMOVED;
/** ofp_header + the fixed part of ofp_packet_in; the match follows. */
const PACKET_IN_MATCH = 8 + 16;
/** ofp_header + the fixed part of ofp_flow_removed; the match follows, and ends the message. */
const FLOW_REMOVED_MATCH = 8 + 40;

export interface PacketInView {
  bufferId: number;
  totalLen: number;
  /** The match's in_port (a PACKET_IN without one is left to the general decoder). */
  inPort: number;
  /** Where the packet's bytes start; they run to the end of the message. */
  dataAt: number;
}

export function emptyPacketInView(): PacketInView {
  return { bufferId: 0, totalLen: 0, inPort: 0, dataAt: 0 };
}

function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** A whole OF1.3 message of type `type` whose header length is its size. */
function whole(b: Uint8Array, type: number): boolean {
  return b[0] === OFP_VERSION && b[1] === type && u16(b, 2) === b.length;
}

/** Fills `v` from a PACKET_IN; false when decodeMessage must decide (see above). */
export function viewPacketIn(b: Uint8Array, v: PacketInView): boolean {
  if (!whole(b, OFPT_PACKET_IN)) return false;
  const matchSize = scanMatch(b, PACKET_IN_MATCH, b.length);
  // Two bytes of padding follow the match, then the data.
  const dataAt = PACKET_IN_MATCH + matchSize + 2;
  if (matchSize < 0 || dataAt > b.length) return false;
  const inPort = matchInPort(b, PACKET_IN_MATCH);
  if (inPort < 0) return false;
  v.bufferId = u32(b, 8);
  v.totalLen = u16(b, 12);
  v.inPort = inPort;
  v.dataAt = dataAt;
  return true;
}

const scratch = new DataView(new ArrayBuffer(8));

/** The unsigned 64-bit big-endian number at b[at]: one BigInt made (Buffer's reader makes several). */
export function u64At(b: Uint8Array, at: number): bigint {
  for (let i = 0; i < 8; i++) scratch.setUint8(i, b[at + i]!);
  return scratch.getBigUint64(0);
}

export interface FlowRemovedView {
  /** The cookie as two 32-bit halves. */
  cookieHigh: number;
  cookieLow: number;
  reason: number;
  durationSec: number;
  durationNsec: number;
  idleTimeout: number;
  hardTimeout: number;
  /** Where packet_count and byte_count (8 bytes each, big-endian: u64At) sit. */
  countsAt: number;
}

export function emptyFlowRemovedView(): FlowRemovedView {
  return { cookieHigh: 0, cookieLow: 0, reason: 0, durationSec: 0, durationNsec: 0, idleTimeout: 0, hardTimeout: 0, countsAt: 0 };
}

/** Fills `v` from a FLOW_REMOVED (match left in the bytes); false when decodeMessage must decide. */
export function viewFlowRemoved(b: Uint8Array, v: FlowRemovedView): boolean {
  if (!whole(b, OFPT_FLOW_REMOVED)) return false;
  const matchSize = scanMatch(b, FLOW_REMOVED_MATCH, b.length);
  if (matchSize < 0 || FLOW_REMOVED_MATCH + matchSize !== b.length) return false;
  v.cookieHigh = u32(b, 8);
  v.cookieLow = u32(b, 12);
  v.reason = b[18]!;
  v.durationSec = u32(b, 20);
  v.durationNsec = u32(b, 24);
  v.idleTimeout = u16(b, 28);
  v.hardTimeout = u16(b, 30);
  v.countsAt = 32;
  return true;
}
