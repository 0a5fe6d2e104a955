// Reads from events.jsonl: one event by seq, events from a seq on, events in a time range.
// The sparse index takes each read to the right stride; only that part of the file is read.
import { closeSync, fstatSync, openSync } from 'node:fs';
import { lineChunks, seqAt } from './line-scan.ts';
import { eventTime, SparseIndex, STRIDE } from './sparse-index.ts';
import { layout } from './layout.ts';

/** An event as stored: the event's own fields plus seq, prev and hash. */
export type LogRecord = Record<string, unknown> & { seq: number; prev: string; hash: string };

export class LogReader {
  #fd: number;
  #index: SparseIndex;
  #end: () => number;

  /** `end` says how many bytes of the file are complete lines a reader may see. */
  constructor(fd: number, index: SparseIndex, end: () => number) {
    this.#fd = fd;
    this.#index = index;
    this.#end = end;
  }

  /** The event with this seq, or undefined if the log does not hold it (yet). */
  async get(seq: number): Promise<LogRecord | undefined> {
    for await (const r of this.from(seq)) return r.seq === seq ? r : undefined;
    return undefined;
  }

  /** Events from `fromSeq` on (to the end of the log as it is when iteration starts). */
  async *from(fromSeq: number): AsyncGenerator<LogRecord> {
    if (!Number.isSafeInteger(fromSeq) || fromSeq < 0) throw new RangeError(`not a seq: ${fromSeq}`);
    const stride = this.#index.strideFor(fromSeq);
    const start = stride ? stride.offset : this.#fromLastStride();
    yield* this.#records(start, this.#end(), fromSeq);
  }

  /**
   * Events whose `@timestamp` lies in [from, to] (ms or Date), in log order: the completed
   * strides whose time range meets [from, to], then the lines no completed stride covers.
   */
  async *byTime(from: number | Date, to: number | Date): AsyncGenerator<LogRecord> {
    const lo = +from;
    const hi = +to;
    const inRange = (r: LogRecord) => {
      const t = eventTime(r);
      return t >= lo && t <= hi;
    };
    const end = this.#end();
    for (const s of this.#index.stridesForTime(lo, hi)) {
      for (const r of this.#records(s.offset, end)) {
        if (r.seq >= s.seq + STRIDE) break;
        if (inRange(r)) yield r;
      }
    }
    for await (const r of this.from(this.#index.strides.length * STRIDE)) if (inRange(r)) yield r;
  }

  #fromLastStride(): number {
    const last = this.#index.strides.at(-1);
    return last ? last.offset : 0;
  }

  /** Records of the lines in [start, end), parsing only those from `fromSeq` on. */
  *#records(start: number, end: number, fromSeq = 0): Generator<LogRecord> {
    for (const { buf, length } of lineChunks(this.#fd, start, end)) {
      for (let s = 0; s < length; ) {
        const e = buf.indexOf(10, s);
        if (fromSeq === 0 || leadingSeq(buf, s) >= fromSeq) yield JSON.parse(buf.toString('utf8', s, e)) as LogRecord;
        s = e + 1;
      }
    }
  }

  close(): void {
    closeSync(this.#fd);
  }
}

const SEQ_AT = '{"seq":'.length;

/** The seq digits that open a line, read without parsing it (a reader skips up to a stride). */
function leadingSeq(buf: Buffer, start: number): number {
  let seq = 0;
  for (let i = start + SEQ_AT, c = buf[i]; c >= 0x30 && c <= 0x39; c = buf[++i]) seq = seq * 10 + (c - 0x30);
  return seq;
}

/**
 * A reader for a data directory that another process may be writing: it sees whole lines
 * only, and loads the sparse index read-only (rebuilding nothing on disk).
 */
export function openLogReader(dir: string): LogReader {
  const l = layout(dir);
  const fd = openSync(l.log, 'r');
  const index = new SparseIndex();
  try {
    const ifd = openSync(l.offsetIndex, 'r');
    try {
      index.load(ifd, fstatSync(fd).size, (offset) => seqAt(fd, offset));
    } finally {
      closeSync(ifd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return new LogReader(fd, index, () => fstatSync(fd).size);
}
