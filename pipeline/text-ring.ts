// Event text from the pipeline thread to the calling thread through shared memory. Sent in
// a message, the text cost the worker more than building it: the texts joined into one
// string and that string serialized came to ≈ 3 µs an event here (≈ 800 bytes each). Here the
// worker writes each event's text as UTF-8 into a ring both threads share, and the message
// only says where; the calling thread decodes that range into one string (where it has to be
// a string: the event log takes text) and then marks the bytes free. A batch that finds no
// room is sent in the message as before: room for 3 bytes a UTF-16 unit is asked, in one
// piece (a batch that would cross the ring's end starts again at 0), so that happens when the
// calling thread is far behind, or for a batch longer than a third of the ring.

/** What both threads hold: the ring's bytes and how far the calling thread has read. */
export interface SharedTextRing {
  bytes: SharedArrayBuffer;
  /** One Int32: the position read up to, as a uint32 count of bytes since the start. */
  consumed: SharedArrayBuffer;
}

/** Where one batch's text lies in the ring. */
export interface RingText {
  at: number;
  length: number;
  /** The position to mark read once decoded. */
  next: number;
}

/** A ring of `size` bytes, a power of two (so positions can count modulo 2^32). */
export function sharedTextRing(size: number): SharedTextRing {
  if (!(size >= 1024 && (size & (size - 1)) === 0 && size <= 1 << 30)) throw new Error(`a text ring's size is a power of two from 1 KiB to 1 GiB, got ${size}`);
  return { bytes: new SharedArrayBuffer(size), consumed: new SharedArrayBuffer(4) };
}

/** The worker's side. */
export class TextRingWriter {
  readonly #bytes: Buffer;
  readonly #consumed: Int32Array;
  /** Bytes written since the start, modulo 2^32. */
  #written: number;

  constructor(ring: SharedTextRing) {
    this.#bytes = Buffer.from(ring.bytes);
    this.#consumed = new Int32Array(ring.consumed);
    // Where the reader is (0 for a new ring; a test starts both near 2^32 to cross the wrap).
    this.#written = Atomics.load(this.#consumed, 0) >>> 0;
  }

  /** Writes the texts (`chars` UTF-16 units in all) one after another; null if they do not fit now. */
  write(texts: readonly string[], chars: number): RingText | null {
    const size = this.#bytes.byteLength;
    const room = 3 * chars; // UTF-8 takes at most 3 bytes per UTF-16 unit
    const used = (this.#written - (Atomics.load(this.#consumed, 0) >>> 0)) >>> 0;
    const pos = this.#written & (size - 1);
    const skip = pos + room > size ? size - pos : 0; // a batch is never split at the end
    if (used + skip + room > size) return null;
    const start = skip > 0 ? 0 : pos;
    let at = start;
    for (const text of texts) at += this.#bytes.write(text, at);
    this.#written = (this.#written + skip + (at - start)) >>> 0;
    return { at: start, length: at - start, next: this.#written };
  }
}

/** The calling thread's side. */
export class TextRingReader {
  readonly #bytes: Buffer;
  readonly #consumed: Int32Array;

  constructor(ring: SharedTextRing) {
    this.#bytes = Buffer.from(ring.bytes);
    this.#consumed = new Int32Array(ring.consumed);
  }

  /** The text as a string; its bytes are free for the writer from then on. */
  read(text: RingText): string {
    const s = this.#bytes.toString('utf8', text.at, text.at + text.length);
    Atomics.store(this.#consumed, 0, text.next | 0);
    return s;
  }
}
