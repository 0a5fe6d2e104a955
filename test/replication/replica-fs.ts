// A second btrfs filesystem for the replica side: a loop file mounted for this test file
// (or benchmark), unmounted and deleted afterwards. Replication between two filesystems is
// what a real replica does.
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestFn } from 'ava';

async function ok(cmd: string, args: string[]): Promise<boolean> {
  return (await execa(cmd, args, { reject: false, stdin: 'ignore' })).exitCode === 0;
}

export interface LoopFs {
  /** The mount point, or null when it could not be made (not root, no btrfs-progs). */
  mnt: string | null;
  remove(): Promise<void>;
}

export async function mountLoopBtrfs(size: string, parent = tmpdir()): Promise<LoopFs> {
  const base = mkdtempSync(join(parent, 'gb-replica-fs-'));
  const img = join(base, 'replica.img');
  const mnt = join(base, 'mnt');
  const made = (await ok('truncate', ['-s', size, img])) && (await ok('mkfs.btrfs', ['-q', img])) && (await ok('mkdir', [mnt])) && (await ok('mount', ['-o', 'loop', img, mnt]));
  return {
    mnt: made ? mnt : null,
    async remove() {
      // A receive still finishing after a killed transfer may hold it busy for a moment.
      if (made && !(await ok('umount', [mnt]))) await ok('umount', ['-l', mnt]);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** A loop btrfs for the whole test file; the getter gives its mount point or null. */
export function useReplicaFs(test: TestFn): () => string | null {
  let fs: LoopFs | null = null;
  test.before(async () => {
    fs = await mountLoopBtrfs('512M');
  });
  test.after.always(() => fs?.remove());
  return () => fs?.mnt ?? null;
}
