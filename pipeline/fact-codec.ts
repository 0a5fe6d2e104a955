// Flow facts as bytes, for the trip to the pipeline thread. Structured clone of the fact
// objects cost the worker more than building their events (every object, string and BigInt
// re-created from a generic format); here each flow fact is a record of fixed fields in one
// buffer, written by the calling thread and read back into the same FlowFact. The key's
// address texts are mostly the same few strings over and over: each is sent once and then
// named by its number in a table both sides keep (cleared when it grows past a limit).
// A fact that does not fit the records exactly (another kind, a member the record has no
// place for, a value of another type or out of range) travels as an object, structured
// cloned as before, in its place in the order: so every fact arrives as it was given, and
// one that cannot be cloned fails its call as it did before.
import type { FlowEndReason, FlowFact, FlowKey } from './facts.ts';

/** The facts of one call: records, strings new to the table, and the facts sent as objects. */
export interface FactBatch {
  bytes: Uint8Array;
  /** The table was cleared before these strings were added. */
  reset: boolean;
  strings: string[];
  objects: FlowFact[];
}

const START = 0;
const UPDATE = 1;
const END = 2;
const OBJECT = 3;
const KINDS = { 'flow.start': START, 'flow.update': UPDATE, 'flow.end': END } as const;
const END_REASONS: readonly FlowEndReason[] = ['idle-timeout', 'hard-timeout', 'delete', 'group-delete', 'meter-delete'];
const U64_MAX = 0xffffffffffffffffn;

// The key's optional members, in record order: a bit each in the record's mask.
const NUMBERS = ['ethType', 'vlanId', 'ipProto', 'srcPort', 'dstPort', 'icmpType', 'icmpCode'] as const;
const STRINGS = ['ethSrc', 'ethDst', 'ipSrc', 'ipDst'] as const;
const KEY_MEMBERS = new Set<string>(['inPort', ...NUMBERS, ...STRINGS]);
const FACT_MEMBERS: Record<keyof typeof KINDS, Set<string>> = {
  'flow.start': new Set(['kind', 'time', 'datapathId', 'flowId', 'key', 'frame', 'frameLength']),
  'flow.update': new Set(['kind', 'time', 'datapathId', 'flowId', 'key', 'counters', 'durationSeconds']),
  'flow.end': new Set(['kind', 'time', 'datapathId', 'flowId', 'key', 'counters', 'durationSeconds', 'reason', 'idleTimeout', 'hardTimeout']),
};
const COUNTER_MEMBERS = new Set(['packets', 'bytes']);

/** Strings in the table past which it is cleared (both sides hold it; one huge batch may exceed it). */
const STRING_LIMIT = 1 << 16;

/** Every own enumerable member of o is named in `names` (for-in: no array made). */
function onlyMembers(o: object, names: Set<string>): boolean {
  for (const name in o) if (!names.has(name)) return false;
  return true;
}

const isU64 = (v: unknown): v is bigint => typeof v === 'bigint' && v >= 0n && v <= U64_MAX;
const isCounter = (v: unknown) => v === null || isU64(v);

/** Whether a fact fits a record exactly (else it is sent as an object). */
function fits(f: FlowFact): boolean {
  if (f.kind !== 'flow.start' && f.kind !== 'flow.update' && f.kind !== 'flow.end') return false;
  if (typeof f.time !== 'number' || !isU64(f.datapathId) || !isU64(f.flowId) || !onlyMembers(f, FACT_MEMBERS[f.kind])) return false;
  const k = f.key;
  if (typeof k !== 'object' || k === null || !onlyMembers(k, KEY_MEMBERS) || typeof k.inPort !== 'number') return false;
  for (const name of NUMBERS) if (k[name] !== undefined && typeof k[name] !== 'number') return false;
  for (const name of STRINGS) if (k[name] !== undefined && typeof k[name] !== 'string') return false;
  if (f.kind === 'flow.start') return f.frame instanceof Uint8Array && typeof f.frameLength === 'number';
  const c = f.counters;
  if (typeof c !== 'object' || c === null || !onlyMembers(c, COUNTER_MEMBERS) || !isCounter(c.packets) || !isCounter(c.bytes) || typeof f.durationSeconds !== 'number') return false;
  if (f.kind === 'flow.update') return true;
  return END_REASONS.includes(f.reason) && typeof f.idleTimeout === 'number' && typeof f.hardTimeout === 'number';
}

/** The calling thread's side: facts to a FactBatch. */
export class FactWriter {
  readonly #ids = new Map<string, number>();
  #reset = false;
  /** Reused from call to call, grown as needed: a batch's bytes are a copy of its start. */
  #bytes = new Uint8Array(1 << 16);
  #view = new DataView(this.#bytes.buffer);
  #at = 0;
  #strings: string[] = [];

  /**
   * The facts as a batch. The table then counts the batch's strings as sent: if the batch
   * never reaches the reader, call lost() before writing the next.
   */
  write(facts: readonly FlowFact[]): FactBatch {
    let size = 0;
    for (const f of facts) size += 1 + (f.kind === 'flow.start' ? 128 + f.frame.byteLength : 160);
    if (size > this.#bytes.byteLength) {
      this.#bytes = new Uint8Array(size * 2);
      this.#view = new DataView(this.#bytes.buffer);
    }
    this.#at = 0;
    this.#strings = [];
    // Cleared between batches only (records name strings by number): when this batch's four
    // strings a fact could add might take the table past its limit.
    if (this.#ids.size + 4 * facts.length > STRING_LIMIT) this.lost();
    const reset = this.#reset;
    this.#reset = false;
    const objects: FlowFact[] = [];
    for (const f of facts) {
      if (!fits(f)) {
        this.#u8(OBJECT);
        objects.push(f);
        continue;
      }
      this.#u8(KINDS[f.kind as keyof typeof KINDS]);
      this.#f64(f.time);
      this.#u64(f.datapathId);
      this.#u64((f as { flowId: bigint }).flowId);
      this.#key((f as { key: FlowKey }).key);
      if (f.kind === 'flow.start') {
        this.#f64(f.frameLength);
        this.#u32(f.frame.byteLength);
        this.#bytes.set(f.frame, this.#at);
        this.#at += f.frame.byteLength;
      } else if (f.kind === 'flow.update' || f.kind === 'flow.end') {
        const { packets, bytes } = f.counters;
        this.#u8((packets === null ? 1 : 0) | (bytes === null ? 2 : 0));
        this.#u64(packets ?? 0n);
        this.#u64(bytes ?? 0n);
        this.#f64(f.durationSeconds);
        if (f.kind === 'flow.end') {
          this.#u8(END_REASONS.indexOf(f.reason));
          this.#f64(f.idleTimeout);
          this.#f64(f.hardTimeout);
        }
      }
    }
    return { bytes: this.#bytes.slice(0, this.#at), reset, strings: this.#strings, objects };
  }

  /** The last batch was not delivered: start the table afresh with the next. */
  lost(): void {
    this.#ids.clear();
    this.#reset = true;
  }

  #key(k: FlowKey): void {
    this.#f64(k.inPort);
    let mask = 0;
    for (let i = 0; i < NUMBERS.length; i++) if (k[NUMBERS[i]!] !== undefined) mask |= 1 << i;
    for (let i = 0; i < STRINGS.length; i++) if (k[STRINGS[i]!] !== undefined) mask |= 1 << (NUMBERS.length + i);
    this.#u32(mask);
    for (const name of NUMBERS) if (k[name] !== undefined) this.#f64(k[name]);
    for (const name of STRINGS) if (k[name] !== undefined) this.#u32(this.#id(k[name]));
  }

  #id(s: string): number {
    let id = this.#ids.get(s);
    if (id === undefined) {
      id = this.#ids.size;
      this.#ids.set(s, id);
      this.#strings.push(s);
    }
    return id;
  }

  #u8(v: number): void {
    this.#bytes[this.#at++] = v;
  }
  #u32(v: number): void {
    this.#view.setUint32(this.#at, v, true);
    this.#at += 4;
  }
  #f64(v: number): void {
    this.#view.setFloat64(this.#at, v, true);
    this.#at += 8;
  }
  #u64(v: bigint): void {
    this.#view.setBigUint64(this.#at, v, true);
    this.#at += 8;
  }
}

/** The pipeline thread's side: a FactBatch back to the facts as they were given. */
export class FactReader {
  #strings: string[] = [];

  read(batch: FactBatch): FlowFact[] {
    if (batch.reset) this.#strings = [];
    for (const s of batch.strings) this.#strings.push(s);
    const b = batch.bytes;
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const strings = this.#strings;
    const facts: FlowFact[] = [];
    let objects = 0;
    let at = 0;
    const f64 = () => ((at += 8), view.getFloat64(at - 8, true));
    const u64 = () => ((at += 8), view.getBigUint64(at - 8, true));
    const u32 = () => ((at += 4), view.getUint32(at - 4, true));
    while (at < b.byteLength) {
      const kind = b[at++]!;
      if (kind === OBJECT) {
        facts.push(batch.objects[objects++]!);
        continue;
      }
      const time = f64();
      const datapathId = u64();
      const flowId = u64();
      const key: FlowKey = { inPort: f64() };
      const mask = u32();
      for (let i = 0; i < NUMBERS.length; i++) if (mask & (1 << i)) key[NUMBERS[i]!] = f64();
      for (let i = 0; i < STRINGS.length; i++) if (mask & (1 << (NUMBERS.length + i))) key[STRINGS[i]!] = strings[u32()]!;
      if (kind === START) {
        const frameLength = f64();
        const length = u32();
        facts.push({ kind: 'flow.start', time, datapathId, flowId, key, frame: b.subarray(at, (at += length)), frameLength });
        continue;
      }
      const known = b[at++]!;
      const packets = u64();
      const bytes = u64();
      const counters = { packets: known & 1 ? null : packets, bytes: known & 2 ? null : bytes };
      const durationSeconds = f64();
      if (kind === UPDATE) {
        facts.push({ kind: 'flow.update', time, datapathId, flowId, key, counters, durationSeconds });
        continue;
      }
      const reason = END_REASONS[b[at++]!]!;
      facts.push({ kind: 'flow.end', time, datapathId, flowId, key, counters, durationSeconds, reason, idleTimeout: f64(), hardTimeout: f64() });
    }
    return facts;
  }
}
