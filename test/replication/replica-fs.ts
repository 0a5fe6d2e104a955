// A second btrfs filesystem for the replica side: a loop file mounted for this test file,
// unmounted and deleted afterwards. Replication between two filesystems is what a real
// replica does (btrfs receive cannot share extents with the source).
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestFn } from 'ava';

async function ok(cmd: string, args: string[]): Promise<boolean> {
  return (await execa(cmd, args, { reject: false, stdin: 'ignore' })).exitCode === 0;
}

/** The mount point (or null when it could not be made: not root, no btrfs-progs). */
export function useReplicaFs(test: TestFn): () => string | null {
  let base: string | null = null;
  let mounted: string | null = null;
  test.before(async () => {
    base = mkdtempSync(join(tmpdir(), 'gb-replica-fs-'));
    const img = join(base, 'replica.img');
    const mnt = join(base, 'mnt');
    if ((await ok('truncate', ['-s', '512M', img])) && (await ok('mkfs.btrfs', ['-q', img])) && (await ok('mkdir', [mnt])) && (await ok('mount', ['-o', 'loop', img, mnt]))) {
      mounted = mnt;
    }
  });
  test.after.always(async () => {
    // A receive still finishing after a killed transfer may hold it busy for a moment.
    if (mounted && !(await ok('umount', [mounted]))) await ok('umount', ['-l', mounted]);
    if (base) rmSync(base, { recursive: true, force: true });
  });
  return () => mounted;
}
