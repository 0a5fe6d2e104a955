// The JSON form of messages (what `ghostbridge ofp-print` prints and `ofp-encode` reads):
// the decoded object with bigints as decimal strings and byte fields (`data`) as hex.
// `messageFromJson` reverses it; it knows which keys hold 64-bit numbers.
import { EncodeError } from './buffer-writer.ts';
import type { OfpMessage } from './types.ts';

/** Every 64-bit field name in OpenFlow 1.3 structs. */
const U64_KEYS = new Set([
  'cookie', 'cookie_mask', 'datapath_id', 'generation_id', 'packet_count', 'byte_count', 'metadata',
  'metadata_mask', 'metadata_match', 'metadata_write', 'lookup_count', 'matched_count',
  'rx_packets', 'tx_packets', 'rx_bytes', 'tx_bytes', 'rx_dropped', 'tx_dropped', 'rx_errors',
  'tx_errors', 'rx_frame_err', 'rx_over_err', 'rx_crc_err', 'collisions', 'packet_in_count',
  'byte_in_count', 'packet_band_count', 'byte_band_count',
]);
/** OXM fields whose value and mask are 64-bit. */
const U64_OXM = new Set(['metadata', 'tunnel_id']);

export function messageToJson(msg: OfpMessage): unknown {
  return JSON.parse(JSON.stringify(msg, (_k, v) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.length).toString('hex');
    // JSON.stringify has already turned a Buffer into {type:'Buffer', data:[...]} via toJSON
    if (v && v.type === 'Buffer' && Array.isArray(v.data)) return Buffer.from(v.data).toString('hex');
    return v;
  }));
}

function toBigInt(v: unknown, key: string): bigint {
  if (typeof v === 'bigint') return v;
  if ((typeof v === 'string' && /^\d+$/.test(v)) || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) return BigInt(v);
  throw new EncodeError(`${key} must be a decimal string of a 64-bit number, got ${JSON.stringify(v)}`);
}

function toBytes(v: unknown, key: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string' && /^([0-9a-fA-F]{2})*$/.test(v)) return Buffer.from(v, 'hex');
  throw new EncodeError(`${key} must be hex bytes, got ${JSON.stringify(v)}`);
}

function revive(v: unknown, key: string): unknown {
  if (Array.isArray(v)) return v.map((x) => revive(x, key));
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const oxm64 = typeof o.field === 'string' && U64_OXM.has(o.field);
  for (const [k, x] of Object.entries(o)) {
    if (U64_KEYS.has(k) && typeof x !== 'object') out[k] = toBigInt(x, k);
    else if (oxm64 && (k === 'value' || k === 'mask') && x !== undefined && x !== null) out[k] = toBigInt(x, `${o.field}.${k}`);
    else if (k === 'data') out[k] = toBytes(x, k);
    else out[k] = revive(x, k);
  }
  return out;
}

/** Turn the JSON form back into a message ready for `encodeMessage`. Shape errors that
 *  JSON cannot show (a bigint, bytes) are caught here; the rest by the encoder. */
export function messageFromJson(json: unknown): OfpMessage {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new EncodeError('a message must be a JSON object');
  return revive(json, '') as OfpMessage;
}
