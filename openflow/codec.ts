// Whole messages: the ofp_header plus a body codec. `decodeMessage` never throws: every
// failure comes back as a DecodeError value. `encodeInto` appends to a reusable writer.
import { BufferWriter, EncodeError } from './buffer-writer.ts';
import { MESSAGE_TYPE_CODE, MESSAGE_TYPES, OFP_HEADER_LEN, OFP_VERSION } from './constants.ts';
import { Malformed } from './malformed.ts';
import { MESSAGE_CODECS, type BodyCodec } from './messages.ts';
import type { DecodeError, DecodeErrorCode, DecodeResult, OfpMessage } from './types.ts';

function failure(code: DecodeErrorCode, message: string, header?: DecodeError['header']): DecodeResult {
  return { ok: false, error: { kind: 'decode-error', code, message, header } };
}

/** Decode one whole message (exactly the bytes its header's length names, e.g. a frame
 *  from `OfpFramer`). Payload fields (`data`) are views into `bytes`, not copies. */
export function decodeMessage(bytes: Uint8Array): DecodeResult {
  if (bytes.length < OFP_HEADER_LEN) return failure('SHORT_HEADER', `${bytes.length} bytes, a header needs 8`);
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  // The header is read by hand: four fields that pick the body codec.
  const header = { version: b[0]!, type: b[1]!, length: b.readUInt16BE(2), xid: b.readUInt32BE(4) };
  if (header.length !== b.length) {
    return failure('BAD_LENGTH', `header says ${header.length} bytes, ${b.length} given`, header);
  }
  const name = MESSAGE_TYPES[header.type];
  if (name === undefined) return failure('BAD_TYPE', `unknown message type ${header.type}`, header);
  if (header.version !== OFP_VERSION && name !== 'HELLO') {
    return failure('BAD_VERSION', `version ${header.version} ${name}, only OpenFlow 1.3 (4) is spoken`, header);
  }
  try {
    return { ok: true, message: (MESSAGE_CODECS[name] as BodyCodec<OfpMessage>).read(b, header.xid, header.version) };
  } catch (e) {
    if (e instanceof Malformed) return failure(e.code, `${name}: ${e.message}`, header);
    // A bounds check we missed must still come back as a value, not escape the API.
    return failure('BAD_BODY', `${name}: ${(e as Error).message}`, header);
  }
}

/** Append one message to `w` (header length filled in last). Throws EncodeError when the
 *  message cannot be put on the wire; `w` is then rolled back to where it was. */
export function encodeInto(w: BufferWriter, msg: OfpMessage): void {
  const start = w.pos;
  try {
    const code = MESSAGE_TYPE_CODE[msg.type];
    if (code === undefined) throw new EncodeError(`unknown message type ${JSON.stringify(msg.type)}`);
    w.u8(msg.type === 'HELLO' ? msg.version : OFP_VERSION);
    w.u8(code);
    w.u16(0);
    w.u32(msg.xid);
    (MESSAGE_CODECS[msg.type] as BodyCodec<OfpMessage>).write(w, msg);
    w.patchU16(start + 2, w.pos - start);
  } catch (e) {
    w.pos = start;
    // Name the message type on every failure, ours or a TypeError from a missing field.
    throw new EncodeError(`${msg?.type}: ${(e as Error).message}`);
  }
}

const scratch = new BufferWriter(1 << 16);

/** Encode one message into a new Buffer. For many messages, reuse a BufferWriter with
 *  `encodeInto` and `finish()` instead. */
export function encodeMessage(msg: OfpMessage): Buffer {
  encodeInto(scratch, msg);
  return scratch.finish();
}
