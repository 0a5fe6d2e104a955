// Real btrfs for storage tests: the filesystem CI mounts (GHOSTBRIDGE_TEST_BTRFS), or else a
// loop file this test file mounts itself and removes afterwards. Each test gets its own
// data subvolume (unique name) and key file, deleted in teardown with its snapshots.
import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ExecutionContext, TestFn } from 'ava';
import { prerequisite } from '../support/ci.ts';
import { initData } from '../../storage/index.ts';

async function run(cmd: string, args: string[]): Promise<boolean> {
  return (await execa(cmd, args, { reject: false, stdin: 'ignore' })).exitCode === 0;
}

/** Deletes <dir>'s snapshots, then <dir> (a subvolume) or the plain directory. */
export async function removeData(dir: string): Promise<void> {
  const snaps = join(dir, '.snapshots');
  if (existsSync(snaps)) for (const n of readdirSync(snaps)) await run('btrfs', ['subvolume', 'delete', join(snaps, n)]);
  if (existsSync(dir) && !(await run('btrfs', ['subvolume', 'delete', dir]))) rmSync(dir, { recursive: true, force: true });
  rmSync(`${dir}.signing-key.pem`, { force: true });
}

export function useBtrfs(test: TestFn) {
  let root: string | null = null;
  let own: { mnt: string; img: string; base: string } | null = null;

  test.before(async () => {
    const given = process.env.GHOSTBRIDGE_TEST_BTRFS;
    if (given) {
      root = given;
      return;
    }
    const base = mkdtempSync(join(tmpdir(), 'gb-btrfs-'));
    const img = join(base, 'fs.img');
    const mnt = join(base, 'mnt');
    const ok =
      (await run('truncate', ['-s', '1G', img])) &&
      (await run('mkfs.btrfs', ['-q', img])) &&
      (await run('mkdir', [mnt])) &&
      (await run('mount', ['-o', 'loop', img, mnt]));
    own = { mnt, img, base };
    if (ok) root = mnt;
  });

  test.after.always(async () => {
    if (!own) return;
    if (root) await run('umount', [own.mnt]);
    rmSync(own.base, { recursive: true, force: true });
  });

  /** A path for a new data directory on btrfs (not created), removed after the test; null if btrfs is missing. */
  const dataPath = (t: ExecutionContext): string | null => {
    if (!prerequisite(t, root !== null, 'a btrfs filesystem (GHOSTBRIDGE_TEST_BTRFS or a loop mount as root)')) return null;
    const dir = join(root!, `gb-${process.pid}-${randomBytes(4).toString('hex')}`);
    t.teardown(() => removeData(dir));
    return dir;
  };
  return {
    dataPath,
    /** Like dataPath, initialised with the btrfs backend. */
    async initialised(t: ExecutionContext): Promise<string | null> {
      const dir = dataPath(t);
      if (dir) await initData({ dir, btrfs: true });
      return dir;
    },
  };
}

/** A path for a new plain data directory in the temp dir, removed after the test. */
export function tempDataPath(t: ExecutionContext): string {
  const base = mkdtempSync(join(tmpdir(), 'gb-data-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  return join(base, 'data');
}
