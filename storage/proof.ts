// Inclusion proofs of one event in its block, and checking such a proof on its own: the
// header's signature, the event line's hash, and the RFC 6962 audit path to the header's root.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { checkedLineHash } from './line.ts';
import { lineChunks } from './line-scan.ts';
import { inclusionPath } from './merkle.ts';
import { headerSealProblem, listHeaderFiles, readHeader, type BlockHeader } from './block-header.ts';
import { checkInclusion, type ProofResult } from './proof-check.ts';
import { loadPublicKey } from './signing.ts';
import { layout } from './layout.ts';

export interface EventProof {
  seq: number;
  /** The event's line as stored (without its newline). */
  line: string;
  leafIndex: number;
  treeSize: number;
  /** Audit path, hex, from the leaf up. */
  path: string[];
  header: BlockHeader;
}

function blockOf(dir: string, seq: number): BlockHeader {
  const files = listHeaderFiles(layout(dir).blocks);
  let lo = 0;
  let hi = files.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const h = readHeader(files[mid].path);
    if (seq < h.firstSeq) hi = mid - 1;
    else if (seq > h.lastSeq) lo = mid + 1;
    else return h;
  }
  throw new Error(`seq ${seq} is not in a block yet (cut one with \`ghostbridge block cut\`), or not in the log`);
}

export function proveInclusion(dir: string, seq: number): EventProof {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`not a seq: ${seq}`);
  const header = blockOf(dir, seq);
  const hashes: string[] = [];
  let line = '';
  const fd = openSync(layout(dir).log, 'r');
  try {
    for (const { buf, length } of lineChunks(fd, header.byteOffset, header.byteOffset + header.byteLength)) {
      for (let s = 0; s < length; ) {
        const e = buf.indexOf(10, s);
        const at = header.firstSeq + hashes.length;
        const lineHash = checkedLineHash(buf, s, e, at, null);
        if (lineHash === null) throw new Error(`the log is damaged at seq ${at}; run \`ghostbridge verify\``);
        if (at === seq) line = buf.toString('utf8', s, e);
        hashes.push(lineHash);
        s = e + 1;
      }
    }
  } finally {
    closeSync(fd);
  }
  const treeSize = header.lastSeq - header.firstSeq + 1;
  if (hashes.length !== treeSize) throw new Error(`block ${header.index} covers ${treeSize} events but its byte range holds ${hashes.length}; run \`ghostbridge verify\``);
  const leafIndex = seq - header.firstSeq;
  return { seq, line, leafIndex, treeSize, path: inclusionPath(hashes, leafIndex), header };
}

/**
 * Checks a proof with nothing but the proof and a public key (PEM): the header is signed
 * by that key, the line hashes to its `hash` and carries `seq`, and the audit path leads
 * from that hash to the header's Merkle root.
 */
export function checkEventProof(p: EventProof, publicKeyPem: string | Buffer): ProofResult {
  const seal = headerSealProblem(p.header, loadPublicKey(publicKeyPem));
  if (seal) return { ok: false, reason: `the block header: ${seal}` };
  const buf = Buffer.from(p.line + '\n');
  const leafHash = checkedLineHash(buf, 0, buf.length - 1, p.seq, null);
  if (leafHash === null) return { ok: false, reason: 'the line is not a log line of that seq with a valid hash' };
  if (p.leafIndex !== p.seq - p.header.firstSeq || p.treeSize !== p.header.lastSeq - p.header.firstSeq + 1) {
    return { ok: false, reason: 'the leaf index or tree size does not match the block' };
  }
  return checkInclusion({
    leafIndex: p.leafIndex,
    treeSize: p.treeSize,
    leafHash: Buffer.from(leafHash, 'hex'),
    proof: p.path.map((h) => Buffer.from(h, 'hex')),
    root: Buffer.from(p.header.merkleRoot, 'hex'),
  });
}

export function readProofFile(path: string): EventProof {
  return JSON.parse(readFileSync(path, 'utf8')) as EventProof;
}
