// Reads a log file region in large chunks and hands over whole lines, so callers walk lines
// with indexOf over one buffer instead of allocating per line; and finds single lines.
import { readSync } from 'node:fs';

export interface LineChunk {
  buf: Buffer;
  /** buf[0, length) holds whole lines, each ending in '\n'. */
  length: number;
  /** File offset of buf[0]. */
  offset: number;
}

const CHUNK = 4 << 20;

/**
 * Yields chunks of whole lines from [start, end) of the file, read `chunk` bytes at a time.
 * Bytes after the last newline before `end` (a torn or still-growing line) are not yielded;
 * `partial` reports them.
 */
export function* lineChunks(fd: number, start: number, end: number, partial?: (offset: number) => void, chunk = CHUNK): Generator<LineChunk> {
  let buf = Buffer.allocUnsafe(Math.min(chunk, Math.max(end - start, 1)));
  let offset = start;
  let carry = 0; // bytes at buf[0, carry) already read, not yet yielded
  while (offset + carry < end) {
    if (carry === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2); // one line longer than the buffer
      buf.copy(bigger, 0, 0, carry);
      buf = bigger;
    }
    const n = readSync(fd, buf, carry, Math.min(buf.length - carry, end - offset - carry), offset + carry);
    if (n === 0) break;
    const filled = carry + n;
    const last = buf.lastIndexOf(10, filled - 1);
    if (last < 0) {
      carry = filled;
      continue;
    }
    yield { buf, length: last + 1, offset };
    buf.copy(buf, 0, last + 1, filled);
    offset += last + 1;
    carry = filled - last - 1;
  }
  if (carry > 0 && partial) partial(offset);
}

/** The start of the line holding byte `at`: just past the last newline before it (0 if none). */
export function lineStartBefore(fd: number, at: number): number {
  const buf = Buffer.allocUnsafe(64 * 1024);
  for (let end = at; end > 0; ) {
    const start = Math.max(0, end - buf.length);
    readSync(fd, buf, 0, end - start, start);
    const i = buf.subarray(0, end - start).lastIndexOf(10);
    if (i >= 0) return start + i + 1;
    end = start;
  }
  return 0;
}

/** The seq of the line starting at `offset`, if a log line starts there. */
export function seqAt(fd: number, offset: number): number | null {
  const buf = Buffer.alloc(32);
  const n = readSync(fd, buf, 0, buf.length, offset);
  const m = /^\{"seq":(\d+),/.exec(buf.toString('latin1', 0, n));
  return m ? Number(m[1]) : null;
}
