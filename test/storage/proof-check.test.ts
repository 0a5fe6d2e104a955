// The standalone proof checker against the 196 external RFC 6962 vectors (read in place),
// and against proofs built by our own tree code.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkConsistency, checkInclusion } from '../../storage/proof-check.ts';
import { inclusionPath, merkleRoot, MerkleFrontier } from '../../storage/merkle.ts';
import { createHash } from 'node:crypto';

const vectors = join(import.meta.dirname, '../../../shared/conformance/rfc6962');
const b64 = (s: string | null): Buffer => Buffer.from(s ?? '', 'base64');
const b64list = (l: string[] | null): Buffer[] => (l ?? []).map(b64);
const cases = (kind: string) =>
  readdirSync(join(vectors, kind))
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ name: f, ...JSON.parse(readFileSync(join(vectors, kind, f), 'utf8')) }));

test('agrees with all 98 external inclusion vectors', (t) => {
  const all = cases('inclusion');
  t.is(all.length, 98);
  for (const c of all) {
    const r = checkInclusion({ leafIndex: c.leafIdx, treeSize: c.treeSize, leafHash: b64(c.leafHash), proof: b64list(c.proof), root: b64(c.root) });
    t.is(r.ok, !c.wantErr, `${c.name}: ${c.desc}${r.ok ? '' : ' — ' + r.reason}`);
  }
});

test('agrees with all 98 external consistency vectors, the two empty-tree edge cases included', (t) => {
  const all = cases('consistency');
  t.is(all.length, 98);
  for (const c of all) {
    const r = checkConsistency({ size1: c.size1, size2: c.size2, root1: b64(c.root1), root2: b64(c.root2), proof: b64list(c.proof) });
    t.is(r.ok, !c.wantErr, `${c.name}: ${c.desc}${r.ok ? '' : ' — ' + r.reason}`);
  }
  const twoEmpty = all.find((c) => c.name === 'additional-sizes-are-equal-zero-and-proof-is-empty.json');
  t.false(checkConsistency({ size1: 0, size2: 0, root1: b64(twoEmpty.root1), root2: b64(twoEmpty.root2), proof: [] }).ok);
});

test('an empty hash in an inclusion proof is rejected even where the path length fits', (t) => {
  const leaves = ['a', 'b', 'c'].map((s) => createHash('sha256').update(s).digest('hex'));
  const proof = inclusionPath(leaves, 2).map((h) => Buffer.from(h, 'hex'));
  const good = { leafIndex: 2, treeSize: 3, leafHash: Buffer.from(leaves[2], 'hex'), proof, root: Buffer.from(merkleRoot(leaves), 'hex') };
  t.true(checkInclusion(good).ok);
  t.false(checkInclusion({ ...good, proof: [Buffer.alloc(0)] }).ok);
});

test('our audit paths check out for every leaf of trees of 1..40 leaves, and the frontier root equals the full root', (t) => {
  for (let n = 1; n <= 40; n++) {
    const leaves = Array.from({ length: n }, (_, i) => createHash('sha256').update(`event ${i}`).digest('hex'));
    const frontier = new MerkleFrontier();
    for (const e of leaves) frontier.push(e);
    const root = merkleRoot(leaves);
    t.is(frontier.root(), root);
    for (let m = 0; m < n; m++) {
      const r = checkInclusion({ leafIndex: m, treeSize: n, leafHash: Buffer.from(leaves[m], 'hex'), proof: inclusionPath(leaves, m).map((h) => Buffer.from(h, 'hex')), root: Buffer.from(root, 'hex') });
      if (!r.ok) t.fail(`n=${n} m=${m}: ${r.reason}`);
    }
  }
  t.pass();
});

test('the frontier root equals the full root at every size up to 1100, read mid-stream, leaves pushed as hex strings or written in place as bytes', (t) => {
  const leaves = Array.from({ length: 1100 }, (_, i) => createHash('sha256').update(`leaf ${i}`).digest('hex'));
  const frontier = new MerkleFrontier();
  const fromBytes = new MerkleFrontier(); // the same leaves written as bytes where it says (as verify does)
  let mismatches = 0;
  leaves.forEach((leaf, i) => {
    frontier.push(leaf);
    Buffer.from(leaf, 'hex').copy(fromBytes.leafBuffer, fromBytes.leafOffset);
    fromBytes.pushWritten();
    // root() must not disturb the pushes after it; checking every size covers every carry.
    const want = merkleRoot(leaves.slice(0, i + 1));
    if (frontier.root() !== want || fromBytes.root() !== want) mismatches++;
  });
  t.is(mismatches, 0);
  t.is(frontier.size, 1100);
});
