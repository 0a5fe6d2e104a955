// The per-flow entries installed on a switch, by flowHash: a Map's interface and iteration
// order on typed arrays. A Map keyed by flow hashes (53-bit numbers, beyond small-integer
// range) keeps every key as a separate heap number, so with thousands of live flows per
// switch each lookup chased pointers into cold memory: in the forwarding profile the flow
// table's has/set/get/delete took ~15 % of the controller's CPU. Here the keys sit in one
// Float64Array probed linearly (open addressing), and only a hit touches the key object.
import type { FlowKey } from '../pipeline/facts.ts';

const EMPTY = -1;
const DELETED = -2;
const MIN_CAPACITY = 16;

export class FlowTable implements Iterable<[number, FlowKey]> {
  private hashes = new Float64Array(MIN_CAPACITY).fill(EMPTY);
  private keyObjects: (FlowKey | undefined)[] = new Array<FlowKey | undefined>(MIN_CAPACITY).fill(undefined);
  /** When each slot's entry was first set: iteration follows it, as a Map's does. */
  private order = new Float64Array(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  private shift = 32 - Math.log2(MIN_CAPACITY);
  private live = 0;
  /** Slots not empty: live entries and deleted marks (which end a probe no sooner). */
  private used = 0;
  private sequence = 0;

  get size(): number {
    return this.live;
  }

  /** Where `hash` is, or -1. */
  private find(hash: number): number {
    let i = this.home(hash);
    for (;;) {
      const h = this.hashes[i]!;
      if (h === hash) return i;
      if (h === EMPTY) return -1;
      i = (i + 1) & this.mask;
    }
  }

  /** The first slot to probe: a multiplicative hash of both halves of the 53 bits. */
  private home(hash: number): number {
    const high = (hash / 4294967296) | 0;
    return Math.imul((hash >>> 0) ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b) >>> this.shift;
  }

  get(hash: number): FlowKey | undefined {
    const i = this.find(hash);
    return i < 0 ? undefined : this.keyObjects[i];
  }

  has(hash: number): boolean {
    return this.find(hash) >= 0;
  }

  set(hash: number, key: FlowKey): this {
    // One probe both looks for `hash` and finds the slot a new entry takes: the first
    // deleted mark on the way, or the empty slot that ends it.
    let i = this.home(hash);
    let free = -1;
    for (;;) {
      const h = this.hashes[i]!;
      if (h === hash) {
        this.keyObjects[i] = key;
        return this;
      }
      if (h === EMPTY) break;
      if (h === DELETED && free < 0) free = i;
      i = (i + 1) & this.mask;
    }
    if (free >= 0) i = free;
    else if ((this.used + 1) * 2 > this.hashes.length) {
      this.rebuild();
      i = this.home(hash);
      while (this.hashes[i] !== EMPTY) i = (i + 1) & this.mask;
    }
    if (this.hashes[i] === EMPTY) this.used++;
    this.hashes[i] = hash;
    this.keyObjects[i] = key;
    this.order[i] = this.sequence++;
    this.live++;
    return this;
  }

  delete(hash: number): boolean {
    const i = this.find(hash);
    if (i < 0) return false;
    this.hashes[i] = DELETED;
    this.keyObjects[i] = undefined;
    this.live--;
    return true;
  }

  clear(): void {
    this.resize(MIN_CAPACITY);
  }

  /** Room for twice the live entries again, deleted marks dropped (grows or shrinks). */
  private rebuild(): void {
    let capacity = MIN_CAPACITY;
    while (capacity < (this.live + 1) * 4) capacity *= 2;
    const { hashes, keyObjects, order } = this;
    this.resize(capacity);
    for (let i = 0; i < hashes.length; i++) {
      if (hashes[i]! < 0) continue;
      let j = this.home(hashes[i]!);
      while (this.hashes[j] !== EMPTY) j = (j + 1) & this.mask;
      this.hashes[j] = hashes[i]!;
      this.keyObjects[j] = keyObjects[i];
      this.order[j] = order[i]!;
      this.used++;
      this.live++;
    }
  }

  private resize(capacity: number): void {
    this.hashes = new Float64Array(capacity).fill(EMPTY);
    this.keyObjects = new Array<FlowKey | undefined>(capacity).fill(undefined);
    this.order = new Float64Array(capacity);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
    this.live = 0;
    this.used = 0;
  }

  /**
   * Entries in the order they were first set. Entries deleted while iterating are skipped,
   * as with a Map; entries set while iterating are not visited.
   */
  *entries(): IterableIterator<[number, FlowKey]> {
    const slots: number[] = [];
    for (let i = 0; i < this.hashes.length; i++) if (this.hashes[i]! >= 0) slots.push(i);
    slots.sort((a, b) => this.order[a]! - this.order[b]!);
    const snapshot = slots.map((i) => this.hashes[i]!);
    for (const hash of snapshot) {
      const key = this.get(hash);
      if (key !== undefined) yield [hash, key];
    }
  }

  [Symbol.iterator](): IterableIterator<[number, FlowKey]> {
    return this.entries();
  }

  *keys(): IterableIterator<number> {
    for (const [hash] of this.entries()) yield hash;
  }

  *values(): IterableIterator<FlowKey> {
    for (const [, key] of this.entries()) yield key;
  }
}
