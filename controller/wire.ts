// The session's byte side: frames what the switch sends, encodes batches of messages into
// one buffer per write, and builds the OFPT_ERROR a malformed message earns.
import { BufferWriter, OfpFramer, encodeInto, errorCodes } from '../openflow/index.ts';
import type { DecodeError, ErrorMsg, Frame, OfpMessage } from '../openflow/index.ts';

export class Wire {
  private readonly framer = new OfpFramer();
  private readonly writer = new BufferWriter();
  /** What the messages of one socket read earn, encoded as they are handled (the session's). */
  readonly replies = new BufferWriter(1 << 16);

  /** Bytes of an incomplete message held back. */
  get pending(): number {
    return this.framer.buffered;
  }

  /**
   * The whole messages the chunk completes, then a DecodeError if the stream broke. They are
   * views into the chunk where possible: Node gives every socket read a fresh buffer.
   */
  frames(chunk: Uint8Array): Frame[] {
    return this.framer.push(chunk);
  }

  /**
   * Encodes messages into one buffer; throws EncodeError for a message that cannot be, and
   * then drops the whole batch, so the messages before it do not lead the next one.
   */
  encode(msgs: OfpMessage[]): Buffer {
    try {
      for (const m of msgs) encodeInto(this.writer, m);
    } catch (err) {
      this.writer.reset();
      throw err;
    }
    return this.writer.finish();
  }
}

const BAD_LEN = errorCodes('BAD_REQUEST', 'BAD_LEN');
const BAD_REQUEST: Partial<Record<DecodeError['code'], { err_type: number; code: number }>> = {
  BAD_VERSION: errorCodes('BAD_REQUEST', 'BAD_VERSION'),
  BAD_TYPE: errorCodes('BAD_REQUEST', 'BAD_TYPE'),
  BAD_LENGTH: BAD_LEN,
  BAD_BODY: BAD_LEN,
};

/**
 * The OFPT_ERROR the spec asks for (OFPET_BAD_REQUEST, with at least 64 bytes of the
 * offending message); null when there is no header to answer (fewer than 8 bytes).
 */
export function errorFor(error: DecodeError, bytes: Uint8Array): ErrorMsg | null {
  const codes = BAD_REQUEST[error.code];
  if (codes === undefined || !error.header) return null;
  return { type: 'ERROR', xid: error.header.xid, ...codes, data: bytes.subarray(0, 64) };
}
