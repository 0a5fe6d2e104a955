// A standalone checker for RFC 6962 / RFC 9162 inclusion and consistency proofs. It needs
// nothing from the log: give it the numbers and hashes a proof names. It follows RFC 9162
// §2.1.3.2 and §2.1.4.2 and also rejects what those algorithms would let through by
// accident: a hash that is not 32 bytes (an empty hash is not a hash), and a consistency
// "proof" between two empty trees (they prove nothing).
import { createHash } from 'node:crypto';

export type ProofResult = { ok: true } | { ok: false; reason: string };

export interface InclusionProof {
  leafIndex: bigint | number;
  treeSize: bigint | number;
  /** The leaf's hash, i.e. SHA-256(0x00 ‖ data). */
  leafHash: Uint8Array;
  proof: Uint8Array[];
  root: Uint8Array;
}

export interface ConsistencyProof {
  size1: bigint | number;
  size2: bigint | number;
  root1: Uint8Array;
  root2: Uint8Array;
  proof: Uint8Array[];
}

const HASH_SIZE = 32;

function node(left: Uint8Array, right: Uint8Array): Uint8Array {
  return createHash('sha256').update(Uint8Array.of(1)).update(left).update(right).digest();
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

function popCount(n: bigint): number {
  let c = 0;
  for (const d of n.toString(2)) if (d === '1') c++;
  return c;
}

function trailingZeros(n: bigint): number {
  let c = 0;
  while (n > 0n && (n & 1n) === 0n) {
    n >>= 1n;
    c++;
  }
  return c;
}

function fail(reason: string): ProofResult {
  return { ok: false, reason };
}

function badHash(hashes: Uint8Array[]): number {
  return hashes.findIndex((h) => h.length !== HASH_SIZE);
}

/** Inner and border lengths of the audit path of `index` in a tree of `size` (RFC 9162). */
function decompose(index: bigint, size: bigint): { inner: number; border: number } {
  const inner = bitLength(index ^ (size - 1n));
  return { inner, border: popCount(index >> BigInt(inner)) };
}

export function checkInclusion(p: InclusionProof): ProofResult {
  const index = BigInt(p.leafIndex);
  const size = BigInt(p.treeSize);
  if (index < 0n || index >= size) return fail(`leaf index ${index} is not inside a tree of size ${size}`);
  if (p.leafHash.length !== HASH_SIZE) return fail(`leaf hash has ${p.leafHash.length} bytes, not ${HASH_SIZE}`);
  if (p.root.length !== HASH_SIZE) return fail(`root has ${p.root.length} bytes, not ${HASH_SIZE}`);
  const bad = badHash(p.proof);
  if (bad >= 0) return fail(`proof hash ${bad} has ${p.proof[bad].length} bytes, not ${HASH_SIZE}`);
  const { inner, border } = decompose(index, size);
  if (p.proof.length !== inner + border) return fail(`proof has ${p.proof.length} hashes, expected ${inner + border}`);
  let h = p.leafHash;
  for (let i = 0; i < inner; i++) h = ((index >> BigInt(i)) & 1n) === 0n ? node(h, p.proof[i]) : node(p.proof[i], h);
  for (let i = inner; i < p.proof.length; i++) h = node(p.proof[i], h);
  return equal(h, p.root) ? { ok: true } : fail('the proof leads to a different root');
}

export function checkConsistency(p: ConsistencyProof): ProofResult {
  const size1 = BigInt(p.size1);
  const size2 = BigInt(p.size2);
  if (size1 < 0n || size2 < size1) return fail(`size2 (${size2}) is smaller than size1 (${size1})`);
  if (size1 === 0n) return fail('a consistency proof from the empty tree proves nothing');
  if (size1 === size2) {
    if (p.proof.length > 0) return fail('equal sizes need an empty proof');
    return equal(p.root1, p.root2) ? { ok: true } : fail('equal sizes but different roots');
  }
  if (p.root1.length !== HASH_SIZE || p.root2.length !== HASH_SIZE) return fail(`roots must have ${HASH_SIZE} bytes`);
  if (p.proof.length === 0) return fail('empty proof');
  const bad = badHash(p.proof);
  if (bad >= 0) return fail(`proof hash ${bad} has ${p.proof[bad].length} bytes, not ${HASH_SIZE}`);

  // The audit path of leaf size1-1 in the big tree, less the levels under the largest
  // perfect subtree that ends at size1 (its root is proof[0], or root1 when size1 is a
  // power of two).
  const decomposed = decompose(size1 - 1n, size2);
  const shift = trailingZeros(size1);
  const inner = decomposed.inner - shift;
  const { border } = decomposed;
  let seed = p.proof[0];
  let start = 1;
  if (size1 === 1n << BigInt(shift)) {
    seed = p.root1;
    start = 0;
  }
  if (p.proof.length !== start + inner + border) {
    return fail(`proof has ${p.proof.length} hashes, expected ${start + inner + border}`);
  }
  const path = p.proof.slice(start);
  const mask = (size1 - 1n) >> BigInt(shift);
  let h1 = seed;
  let h2 = seed;
  for (let i = 0; i < inner; i++) {
    if (((mask >> BigInt(i)) & 1n) === 1n) {
      h1 = node(path[i], h1);
      h2 = node(path[i], h2);
    } else {
      h2 = node(h2, path[i]);
    }
  }
  for (let i = inner; i < path.length; i++) {
    h1 = node(path[i], h1);
    h2 = node(path[i], h2);
  }
  if (!equal(h1, p.root1)) return fail('the proof does not lead to root1');
  if (!equal(h2, p.root2)) return fail('the proof does not lead to root2');
  return { ok: true };
}
