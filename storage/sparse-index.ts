// A sparse offset index: for every STRIDE lines, where the stride starts (seq and byte
// offset) and the range of `@timestamp` inside it. Reads by seq or by time jump to the right
// stride instead of scanning the log. It is derived data: events.idx is appended as strides
// complete and rebuilt from the log when missing or damaged.
import { constants, ftruncateSync, openSync, readSync, fstatSync, writeSync } from 'node:fs';

export const STRIDE = 1024;
const RECORD = 32; // seq, offset, min time, max time: four little-endian float64

export interface Stride {
  seq: number;
  offset: number;
  /** Milliseconds since the epoch; +Infinity / -Infinity when no line had a timestamp. */
  minTime: number;
  maxTime: number;
}

/** `@timestamp` of an event in ms, or NaN. */
export function eventTime(event: unknown): number {
  const t = (event as Record<string, unknown>)['@timestamp'];
  return typeof t === 'string' ? Date.parse(t) : typeof t === 'number' ? t : NaN;
}

const TIME_KEY = Buffer.from('"@timestamp":');

/**
 * `@timestamp` of a stored line in ms, or NaN, without parsing the line: the first
 * `"@timestamp":` member (string values cannot contain it unescaped; events carry it at
 * the top level).
 */
export function lineTime(buf: Buffer, start: number, end: number): number {
  const k = buf.indexOf(TIME_KEY, start);
  if (k < 0 || k >= end) return NaN;
  const v = k + TIME_KEY.length;
  if (buf[v] === 0x22) {
    const close = buf.indexOf(0x22, v + 1);
    return close > 0 && close < end ? Date.parse(buf.toString('latin1', v + 1, close)) : NaN;
  }
  let w = v;
  while (w < end && buf[w] !== 0x2c && buf[w] !== 0x7d) w++;
  return Number(buf.toString('latin1', v, w));
}

/** The stride being filled: canonical ISO times are compared as strings, parsed once. */
interface OpenStride extends Stride {
  minIso: string | null;
  maxIso: string | null;
}

/**
 * Whether `t` has the shape of Date#toISOString() (YYYY-MM-DDTHH:mm:ss.sssZ), in which
 * string order is time order. Date.parse costs more than the rest of noting a line.
 */
function canonicalIso(t: string): boolean {
  return t.length === 24 && t.charCodeAt(10) === 84 && t.charCodeAt(23) === 90 && t.charCodeAt(19) === 46;
}

function close(s: OpenStride): Stride {
  const times = [s.minTime, s.maxTime, s.minIso ? Date.parse(s.minIso) : NaN, s.maxIso ? Date.parse(s.maxIso) : NaN].filter((t) => !Number.isNaN(t));
  return { seq: s.seq, offset: s.offset, minTime: Math.min(Infinity, ...times), maxTime: Math.max(-Infinity, ...times) };
}

export class SparseIndex {
  /** Completed strides, in order. */
  readonly strides: Stride[] = [];
  #open: OpenStride | null = null;
  #saved = 0;

  /**
   * Records the line `seq` that starts at byte `offset`, with its `@timestamp` (ms or an ISO
   * string; anything else counts as none). Lines must come in seq order.
   */
  note(seq: number, offset: number, time: unknown): void {
    if (seq % STRIDE === 0) {
      if (this.#open) this.strides.push(close(this.#open));
      this.#open = { seq, offset, minTime: Infinity, maxTime: -Infinity, minIso: null, maxIso: null };
    }
    const s = this.#open;
    if (!s) return; // resumed mid-stride: that stride was already complete or is re-scanned
    if (typeof time === 'string' && canonicalIso(time)) {
      if (s.minIso === null || time < s.minIso) s.minIso = time;
      if (s.maxIso === null || time > s.maxIso) s.maxIso = time;
      return;
    }
    const ms = typeof time === 'string' ? Date.parse(time) : typeof time === 'number' ? time : NaN;
    if (ms < s.minTime) s.minTime = ms;
    if (ms > s.maxTime) s.maxTime = ms;
  }

  /** The stride holding `seq`, or the open one. */
  strideFor(seq: number): Stride | null {
    const i = Math.floor(seq / STRIDE);
    if (i < this.strides.length) return this.strides[i];
    return this.#open && this.#open.seq <= seq ? this.#open : null;
  }

  /** Completed strides that may hold a time in [from, to]. */
  stridesForTime(from: number, to: number): Stride[] {
    return this.strides.filter((s) => s.maxTime >= from && s.minTime <= to);
  }

  /** Loads events.idx, keeping only records consistent with a log of `logSize` bytes. */
  load(fd: number, logSize: number, firstLineSeqAt: (offset: number) => number | null): void {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(size - (size % RECORD));
    readSync(fd, buf, 0, buf.length, 0);
    let prevOffset = -1;
    for (let p = 0; p < buf.length; p += RECORD) {
      const s: Stride = { seq: buf.readDoubleLE(p), offset: buf.readDoubleLE(p + 8), minTime: buf.readDoubleLE(p + 16), maxTime: buf.readDoubleLE(p + 24) };
      if (s.seq !== this.strides.length * STRIDE || s.offset <= prevOffset || s.offset >= logSize) break;
      this.strides.push(s);
      prevOffset = s.offset;
    }
    // The last record must point at its line; if not, the file belongs to another log.
    const last = this.strides.at(-1);
    if (last && firstLineSeqAt(last.offset) !== last.seq) this.strides.length = 0;
    this.#saved = this.strides.length;
  }

  /**
   * For the writer: drops the last stride, which a scan from the returned point re-notes,
   * and cuts events.idx to the records kept, so `save` continues right after them.
   */
  resumePoint(fd: number): { seq: number; offset: number } {
    const last = this.strides.pop();
    this.#saved = this.strides.length;
    ftruncateSync(fd, this.#saved * RECORD);
    return last ? { seq: last.seq, offset: last.offset } : { seq: 0, offset: 0 };
  }

  /** Appends completed strides that start before `writtenEnd` to events.idx. */
  save(fd: number, writtenEnd: number): void {
    let n = this.#saved;
    while (n < this.strides.length && this.strides[n].offset < writtenEnd) n++;
    if (n === this.#saved) return;
    const buf = Buffer.alloc((n - this.#saved) * RECORD);
    for (let i = this.#saved; i < n; i++) {
      const s = this.strides[i];
      const p = (i - this.#saved) * RECORD;
      buf.writeDoubleLE(s.seq, p);
      buf.writeDoubleLE(s.offset, p + 8);
      buf.writeDoubleLE(s.minTime, p + 16);
      buf.writeDoubleLE(s.maxTime, p + 24);
    }
    writeSync(fd, buf, 0, buf.length, this.#saved * RECORD);
    this.#saved = n;
  }
}

/** Opens events.idx for positioned writes (not O_APPEND, so `save` writes where it says). */
export function openIndexFile(path: string): number {
  return openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
}
