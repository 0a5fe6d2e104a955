// RFC 6962 Merkle trees over a block's events. A line's hash is already the RFC 6962 leaf
// hash of its body (see line.ts), so the leaves are the events' hashes as stored; nodes are
// SHA-256(0x01 ‖ left ‖ right). Hashes travel as strings (lowercase hex between modules)
// because node:crypto returns a string far faster than it allocates a Buffer per digest.
import { hash } from 'node:crypto';

/** Bytes of a node's hash input: 0x01 ‖ left ‖ right. */
const SLOT = 65;
const nodeScratch = Buffer.alloc(SLOT);
nodeScratch[0] = 1;

function nodeHash(left: string, right: string): string {
  nodeScratch.write(left, 1, 'hex');
  nodeScratch.write(right, 33, 'hex');
  return hash('sha256', nodeScratch, 'hex');
}

/** SHA-256 of nothing: RFC 6962's root of the empty tree. */
const EMPTY_ROOT = hash('sha256', '', 'hex');

/**
 * The root of a growing tree in O(log n) memory: the roots of the perfect subtrees that
 * make up the first n leaves, largest first (one per set bit of n). Appending is O(1)
 * amortised, and the root costs O(log n), so a block cut does not depend on its size.
 *
 * It runs once per line for the writer and for verify, so the subtree roots are kept as
 * bytes, each level in a slot laid out as a node's hash input (0x01 ‖ left ‖ right): a node
 * is one SHA-256 call over its slot, with the digest as a latin1 string copied straight
 * into the slot above. (Hex strings in and out cost a hex decode per child and made the
 * tree a third of verify's time.)
 */
export class MerkleFrontier {
  /** Level l's slot is #slots[65l, 65l + 65); it holds a pending left root when bit l of #size is set. */
  #slots = Buffer.alloc(SLOT * 8);
  #views: Buffer[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds a leaf: an event's hash (hex). */
  push(eventHash: string): void {
    this.#slots.write(eventHash, this.#leafAt(), 32, 'hex');
    this.#carry();
  }

  /**
   * For a caller that makes a leaf's 32 bytes in place (verify, once per line): the next
   * leaf goes to leafBuffer at leafOffset, then pushWritten() adds it. Saves decoding or
   * copying a hash on its way into the tree.
   */
  get leafBuffer(): Buffer {
    return this.#slots;
  }

  get leafOffset(): number {
    return this.#leafAt();
  }

  pushWritten(): void {
    this.#carry();
  }

  /** Where the next leaf goes: the left or the right half of level 0's slot. */
  #leafAt(): number {
    return (this.#size & 1) === 0 ? 1 : 33;
  }

  /** Counts the leaf just placed and hashes the pairs it completes, up the levels. */
  #carry(): void {
    const n = this.#size;
    if (n & 1) {
      let h = hash('sha256', this.#view(0), 'binary');
      let l = 1;
      for (; (n >>> l) & 1; l++) {
        this.#slots.write(h, l * SLOT + 33, 32, 'latin1');
        h = hash('sha256', this.#view(l), 'binary');
      }
      this.#slot(l).write(h, 1, 32, 'latin1');
    }
    this.#size = n + 1;
  }

  root(): string {
    const n = this.#size;
    if (n === 0) return EMPTY_ROOT;
    // Fold the pending roots from the smallest (lowest set bit) up, each as the right child.
    let l = 0;
    while (((n >>> l) & 1) === 0) l++;
    let h = this.#slots.toString('latin1', l * SLOT + 1, l * SLOT + 33);
    for (l++; n >>> l; l++) {
      if (((n >>> l) & 1) === 0) continue;
      this.#slots.write(h, l * SLOT + 33, 32, 'latin1');
      h = hash('sha256', this.#view(l), 'binary');
    }
    return Buffer.from(h, 'latin1').toString('hex');
  }

  /** Level l's slot, growing the storage when the tree reaches a new level. */
  #slot(l: number): Buffer {
    if ((l + 1) * SLOT > this.#slots.length) {
      const bigger = Buffer.alloc(this.#slots.length * 2);
      this.#slots.copy(bigger);
      this.#slots = bigger;
      this.#views = [];
    }
    return this.#view(l);
  }

  #view(l: number): Buffer {
    let v = this.#views[l];
    if (v === undefined) {
      v = this.#views[l] = this.#slots.subarray(l * SLOT, l * SLOT + SLOT);
      v[0] = 1;
    }
    return v;
  }
}

/** The root over leaf hashes leaves[from, to). */
function subtreeRoot(leaves: string[], from: number, to: number): string {
  if (to - from === 1) return leaves[from];
  const k = largestPowerOfTwoBelow(to - from);
  return nodeHash(subtreeRoot(leaves, from, from + k), subtreeRoot(leaves, from + k, to));
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** RFC 6962 §2.1.1 PATH(m, D[n]): the audit path of leaf m, over leaf hashes. */
export function inclusionPath(leaves: string[], m: number): string[] {
  if (!(m >= 0 && m < leaves.length)) throw new RangeError(`leaf ${m} is outside a tree of ${leaves.length}`);
  const path: string[] = [];
  let from = 0;
  let to = leaves.length;
  // Walk down from the root; each sibling subtree is pushed, then reversed (leaf first).
  while (to - from > 1) {
    const k = largestPowerOfTwoBelow(to - from);
    if (m < from + k) {
      path.push(subtreeRoot(leaves, from + k, to));
      to = from + k;
    } else {
      path.push(subtreeRoot(leaves, from, from + k));
      from += k;
    }
  }
  return path.reverse();
}

export function merkleRoot(leaves: string[]): string {
  return leaves.length === 0 ? EMPTY_ROOT : subtreeRoot(leaves, 0, leaves.length);
}
