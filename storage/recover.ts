// What a writer does on start before it appends: cut off a torn last line, find the tip
// and the next seq, rebuild the Merkle state of the block being filled, bring the sparse
// index up to date, and clean up a block cut that a crash interrupted.
import { fstatSync, fsyncSync, ftruncateSync, unlinkSync } from 'node:fs';
import { checkedLineHash, GENESIS } from './line.ts';
import { lineChunks, lineStartBefore, seqAt } from './line-scan.ts';
import { MerkleFrontier } from './merkle.ts';
import { lineTime, openIndexFile, SparseIndex } from './sparse-index.ts';
import { listHeaderFiles, readHeader, removeUnfinishedHeaders, snapshotName, type BlockHeader } from './block-header.ts';
import type { BlockBackend } from './backend.ts';
import type { Layout } from './layout.ts';

export interface RecoveredState {
  size: number;
  nextSeq: number;
  tip: string;
  lastHeader: BlockHeader | null;
  frontier: MerkleFrontier;
  index: SparseIndex;
  indexFd: number;
  /** What start-up repaired, for the log. */
  repairs: string[];
}

export class DamagedLogError extends Error {
  constructor(message: string) {
    super(`${message}; run \`ghostbridge verify\` on this data directory`);
    this.name = 'DamagedLogError';
  }
}

/**
 * The newest header. On btrfs an unreadable newest header without a snapshot is a cut
 * interrupted before its transaction committed (e.g. a power loss left it empty): it is
 * removed. Anything else unreadable is damage for verify to name.
 */
async function lastBlockHeader(l: Layout, backend: BlockBackend, snapshots: { index: number }[], repairs: string[]): Promise<BlockHeader | null> {
  const files = listHeaderFiles(l.blocks);
  const last = files.at(-1);
  if (!last) return null;
  try {
    return readHeader(last.path);
  } catch {
    if (backend.kind !== 'btrfs' || snapshots.some((s) => s.index === last.index)) {
      throw new DamagedLogError(`block header ${last.path} is unreadable`);
    }
    unlinkSync(last.path);
    repairs.push(`removed the unreadable header of the interrupted cut of block ${last.index}`);
    const before = files.at(-2);
    return before ? readHeader(before.path) : null;
  }
}

export async function recover(l: Layout, fd: number, backend: BlockBackend): Promise<RecoveredState> {
  const repairs: string[] = [];
  let size = fstatSync(fd).size;
  const whole = lineStartBefore(fd, size);
  if (whole < size) {
    ftruncateSync(fd, whole);
    fsyncSync(fd);
    repairs.push(`cut a torn last line of ${size - whole} bytes`);
    size = whole;
  }

  for (const n of removeUnfinishedHeaders(l.blocks)) repairs.push(`removed the unfinished header ${n}`);
  const snapshots = backend.list();
  const lastHeader = await lastBlockHeader(l, backend, snapshots, repairs);
  const blockEnd = lastHeader ? lastHeader.byteOffset + lastHeader.byteLength : 0;
  if (blockEnd > size) throw new DamagedLogError(`block ${lastHeader!.index} covers ${blockEnd} bytes but the log has ${size}`);

  // A snapshot that no header names is a cut that did not finish: the next cut redoes it.
  const files = listHeaderFiles(l.blocks);
  for (const s of snapshots) {
    const f = files.find((f) => f.index === s.index);
    if (!f || snapshotName(readHeader(f.path)) !== s.name) {
      await backend.remove(s);
      repairs.push(`removed the orphan snapshot ${s.name}`);
    }
  }
  // A btrfs cut writes its header, then snapshots. A header without its snapshot at the very
  // end of the log is a cut interrupted between the two: nothing was written since, so the
  // snapshot taken now holds exactly what it would have.
  if (backend.kind === 'btrfs' && lastHeader && blockEnd === size && !snapshots.some((s) => s.name === snapshotName(lastHeader))) {
    await backend.snapshot(lastHeader);
    repairs.push(`completed the interrupted cut of block ${lastHeader.index}`);
  }

  const index = new SparseIndex();
  const indexFd = openIndexFile(l.offsetIndex);
  index.load(indexFd, size, (offset) => seqAt(fd, offset));
  const resume = index.resumePoint(indexFd);

  // Scan from whichever is earlier: the end of the last block (for the Merkle state) or
  // the last indexed stride (for the index). Every scanned line's own hash is checked, and
  // the chain from the block's end on, so a writer never extends a damaged tail.
  const start = Math.min(blockEnd, resume.offset);
  const frontier = new MerkleFrontier();
  let expectSeq = start === blockEnd ? (lastHeader ? lastHeader.lastSeq + 1 : 0) : resume.seq;
  let prev: string | null = start === blockEnd ? (lastHeader ? lastHeader.tip : GENESIS) : null;
  for (const { buf, length, offset } of lineChunks(fd, start, size)) {
    for (let s = 0; s < length; ) {
      const e = buf.indexOf(10, s);
      const lineHash = checkedLineHash(buf, s, e, expectSeq, prev);
      if (lineHash === null) throw new DamagedLogError(`the log is damaged at seq ${expectSeq} (byte ${offset + s})`);
      const at = offset + s;
      if (at >= resume.offset) index.note(expectSeq, at, lineTime(buf, s, e));
      if (at >= blockEnd) frontier.push(lineHash);
      prev = lineHash;
      expectSeq++;
      s = e + 1;
    }
  }
  index.save(indexFd, size);
  const tip = prev ?? (lastHeader ? lastHeader.tip : GENESIS);
  return { size, nextSeq: expectSeq, tip, lastHeader, frontier, index, indexFd, repairs };
}
