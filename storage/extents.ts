// Which bytes of two files are stored in the same place on disk. A btrfs snapshot shares
// its file's extents with the live subvolume until one side is rewritten, so a snapshot's
// log is checked against the (hash-verified) live log by comparing extent maps, and only
// the ranges that do not share physical bytes — typically the last partial block, or
// whatever an attacker rewrote — are compared byte by byte. The maps come from the kernel
// (FIEMAP, through e2fsprogs' filefrag, argument array, no shell).
import { execFileSync } from 'node:child_process';

interface Extent {
  logical: number;
  physical: number;
  length: number;
  /** False for extents whose bytes are not stored plainly at `physical` (compressed, inline...). */
  plain: boolean;
}

const LINE = /^\s*\d+:\s+(\d+)\.\.\s*(\d+):\s+(\d+)\.\.\s*(\d+):\s+(\d+):\s*(?:\d+:)?\s*(.*)$/;
const NOT_PLAIN = /encoded|inline|unknown|delalloc|unwritten|not_aligned|data_inline|tail/;

/** The file's extents, or null when the map cannot be had (no filefrag, not supported). */
export function fileExtents(path: string): Extent[] | null {
  let out: string;
  try {
    out = execFileSync('filefrag', ['-v', '-b1', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
  const extents: Extent[] = [];
  for (const line of out.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    extents.push({ logical: Number(m[1]), physical: Number(m[3]), length: Number(m[5]), plain: !NOT_PLAIN.test(m[6]) });
  }
  return extents;
}

function extentAt(list: Extent[], p: number): Extent | undefined {
  return list.find((e) => e.logical <= p && p < e.logical + e.length);
}

/**
 * Ranges [start, end) within [0, length) that the two files are not known to share:
 * everything, when either map is missing.
 */
export function unsharedRanges(a: Extent[] | null, b: Extent[] | null, length: number): [number, number][] {
  if (!a || !b) return length > 0 ? [[0, length]] : [];
  const ranges: [number, number][] = [];
  for (let p = 0; p < length; ) {
    const x = extentAt(a, p);
    const y = extentAt(b, p);
    const ends = [length, x ? x.logical + x.length : Infinity, y ? y.logical + y.length : Infinity];
    // Up to the next extent boundary of either file (or the next extent start after a hole).
    const nextStart = Math.min(...[...a, ...b].map((e) => e.logical).filter((s) => s > p), length);
    const end = Math.min(...ends, x && y ? Infinity : nextStart);
    const shared = x && y && x.plain && y.plain && x.physical - x.logical === y.physical - y.logical;
    if (!shared) {
      const last = ranges.at(-1);
      if (last && last[1] === p) last[1] = end;
      else ranges.push([p, end]);
    }
    p = end;
  }
  return ranges;
}
