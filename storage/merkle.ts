// RFC 6962 Merkle trees over a block's events. A line's hash is already the RFC 6962 leaf
// hash of its body (see line.ts), so the leaves are the events' hashes as stored; nodes are
// SHA-256(0x01 ‖ left ‖ right). Hashes travel as lowercase hex strings because node:crypto
// returns hex far faster than it allocates a Buffer per digest.
import { hash } from 'node:crypto';

const nodeScratch = Buffer.alloc(65);
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
 */
export class MerkleFrontier {
  #stack: string[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds a leaf: an event's hash. */
  push(eventHash: string): void {
    let h = eventHash;
    for (let n = this.#size; n & 1; n >>>= 1) h = nodeHash(this.#stack.pop()!, h);
    this.#stack.push(h);
    this.#size++;
  }

  root(): string {
    const s = this.#stack;
    if (s.length === 0) return EMPTY_ROOT;
    let h = s[s.length - 1];
    for (let i = s.length - 2; i >= 0; i--) h = nodeHash(s[i], h);
    return h;
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
