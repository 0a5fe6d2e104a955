// Which bytes of two files are stored in the same place on disk. A btrfs snapshot shares
// its file's extents with the live subvolume until one side is rewritten, so a snapshot's
// log is checked against the (hash-verified) live log by comparing extent maps, and only
// the ranges that do not share physical bytes — typically the last partial block, or
// whatever an attacker rewrote — are compared byte by byte. The maps come from the kernel
// (FIEMAP, through e2fsprogs' filefrag, argument array, no shell).
//
// Why that is sound: where both files map the same logical offset to the same physical
// address, in extents stored plainly (not compressed, inline, delalloc or unwritten:
// those count as unshared and are compared), a read of either file returns the same disk
// bytes. Rewriting a file inside a snapshot (after making it writable) copies on write to
// new extents, so its map changes and those bytes are compared; reflinking the live log's
// own extents into it at the same offsets yields exactly the live log's (verified) bytes.
// What is trusted is the filesystem's own map of where a file's bytes are, the same
// filesystem that stores the log being verified.
import { execFile } from 'node:child_process';

export interface Extent {
  logical: number;
  physical: number;
  length: number;
  /** False for extents whose bytes are not stored plainly at `physical` (compressed, inline...). */
  plain: boolean;
}

const LINE = /^\s*\d+:\s+(\d+)\.\.\s*(\d+):\s+(\d+)\.\.\s*(\d+):\s+(\d+):\s*(?:\d+:)?\s*(.*)$/;
const NOT_PLAIN = /encoded|inline|unknown|delalloc|unwritten|not_aligned|data_inline|tail/;

function parse(out: string): Extent[] {
  const extents: Extent[] = [];
  for (const line of out.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    extents.push({ logical: Number(m[1]), physical: Number(m[3]), length: Number(m[5]), plain: !NOT_PLAIN.test(m[6]) });
  }
  return extents.sort((x, y) => x.logical - y.logical);
}

/** The file's extents, or null when the map cannot be had (no filefrag, not supported). */
export function fileExtents(path: string): Promise<Extent[] | null> {
  return new Promise((resolve) => {
    // A multi-gigabyte log has thousands of extents: room for their lines.
    execFile('filefrag', ['-v', '-b1', path], { encoding: 'utf8', maxBuffer: 256 << 20 }, (err, out) => resolve(err ? null : parse(out)));
  });
}

/**
 * The extent maps of several files, at most `concurrency` filefrag processes at a time.
 * Started before verify's log walk, they run beside it.
 */
export async function extentMaps(paths: string[], concurrency = 4): Promise<(Extent[] | null)[]> {
  const maps: (Extent[] | null)[] = new Array(paths.length);
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const i = next++;
      maps[i] = await fileExtents(paths[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
  return maps;
}

/**
 * Ranges [start, end) within [0, length) that the two files are not known to share:
 * everything, when either map is missing. The maps are in logical order (as fileExtents
 * gives them) and are walked once.
 */
export function unsharedRanges(a: Extent[] | null, b: Extent[] | null, length: number): [number, number][] {
  if (!a || !b) return length > 0 ? [[0, length]] : [];
  const ranges: [number, number][] = [];
  let i = 0;
  let j = 0;
  for (let p = 0; p < length; ) {
    while (i < a.length && a[i].logical + a[i].length <= p) i++;
    while (j < b.length && b[j].logical + b[j].length <= p) j++;
    const x = i < a.length && a[i].logical <= p ? a[i] : undefined;
    const y = j < b.length && b[j].logical <= p ? b[j] : undefined;
    // Up to the next extent boundary of either file: the end of the extent at p, or the
    // start of the next one after a hole.
    let end = length;
    if (i < a.length) end = Math.min(end, x ? x.logical + x.length : a[i].logical);
    if (j < b.length) end = Math.min(end, y ? y.logical + y.length : b[j].logical);
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
