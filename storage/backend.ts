// Block backends: btrfs takes a read-only snapshot of <data> per block; the plain directory
// backend keeps headers only (the log is append-only, so the prefix a header names is
// immutable and checked by its hashes).
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defragRange, deleteSubvolume, isSubvolume, snapshotReadOnly, syncFilesystem } from './btrfs.ts';
import { SnapshotHelper } from './snapshot-helper.ts';
import { snapshotName, type BlockHeader } from './block-header.ts';
import type { BackendKind, Layout } from './layout.ts';
import type { Defrag } from './log-compaction.ts';

export interface SnapshotEntry {
  name: string;
  index: number;
  hash8: string;
  path: string;
}

export interface BlockBackend {
  kind: BackendKind;
  /** Called while no log write is in flight, so the snapshot never holds half a line. */
  snapshot(header: BlockHeader): Promise<void>;
  list(): SnapshotEntry[];
  remove(entry: SnapshotEntry): Promise<void>;
  /** btrfs: merges small extents of the live log (see log-compaction.ts); null elsewhere. */
  defragLog: Defrag | null;
  /** Releases what the backend holds (the snapshot helpers). */
  close(): void;
}

const SNAPSHOT = /^block-(\d+)-([0-9a-f]{8})$/;

/** Block snapshots under <data>/.snapshots, oldest first. */
export function listSnapshots(l: Layout): SnapshotEntry[] {
  if (!existsSync(l.snapshots)) return [];
  return readdirSync(l.snapshots)
    .map((name) => SNAPSHOT.exec(name))
    .filter((m) => m !== null)
    .map((m) => ({ name: m[0], index: Number(m[1]), hash8: m[2], path: join(l.snapshots, m[0]) }))
    // Inside a snapshot, the snapshots taken before it are empty placeholder directories.
    .filter((s) => isSubvolume(s.path))
    .sort((a, b) => a.index - b.index);
}

/** Snapshots deleted between two wake-ups of the filesystem's cleaner (see remove). */
export const CLEANER_EVERY = 8;

export function backendFor(kind: BackendKind, l: Layout): BlockBackend {
  if (kind === 'directory') {
    return { kind, snapshot: async () => {}, list: () => [], remove: async () => {}, defragLog: null, close: () => {} };
  }
  // Two helpers, so that a cut's snapshot never waits its turn behind a defrag of several MB
  // or a sync. (Retention's deletions stay on the snapshot helper: moved to the other one,
  // beside the next cut's commit, they made cuts no faster in 3 alternating rounds of 300.)
  const helpers: { snapshots: SnapshotHelper | null; background: SnapshotHelper | null } = { snapshots: null, background: null };
  let deleted = 0;
  /** Runs `viaHelper` on helper `which`, or `fallback` (one btrfs process per call) when there is no perl. */
  const run = async (which: keyof typeof helpers, viaHelper: (h: SnapshotHelper) => Promise<void>, fallback: () => Promise<void>) => {
    const helper = (helpers[which] ??= new SnapshotHelper());
    try {
      await viaHelper(helper);
    } catch (err) {
      if (!helper.unavailable) throw err;
      await fallback();
    }
  };
  return {
    kind,
    snapshot: async (header) => {
      mkdirSync(l.snapshots, { recursive: true });
      const name = snapshotName(header);
      await run('snapshots', (h) => h.snapshot(l.dir, l.snapshots, name), () => snapshotReadOnly(l.dir, join(l.snapshots, name)));
    },
    list: () => listSnapshots(l),
    remove: async (entry) => {
      await run('snapshots', (h) => h.remove(l.snapshots, entry.name), () => deleteSubvolume(entry.path));
      // A deleted snapshot's tree is dropped by the filesystem's cleaner thread, which wakes
      // when the transaction thread does (every 30 s by default) or on a sync. Until then its
      // root still holds references to every shared tree block, and each later cut's commit
      // pays for them: with a cut every few ms, 800 cuts in a row went from 0.3 to 3.1 MB
      // written per commit (p50 3.7 -> 11.6 ms); with a sync every 8 deletions they stayed
      // at 0.4-0.6 MB (p50 1.6-2.4 ms). The sync commits (off the cut path; a cut that
      // starts meanwhile waits for it) and wakes the cleaner.
      if (++deleted % CLEANER_EVERY === 0) await run('background', (h) => h.sync(l.dir), () => syncFilesystem(l.dir));
    },
    defragLog: (start, length, threshold) => run('background', (h) => h.defrag(l.log, start, length, threshold), () => defragRange(l.log, start, length, threshold)),
    close: () => {
      helpers.snapshots?.close();
      helpers.background?.close();
    },
  };
}
