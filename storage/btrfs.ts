// The few btrfs operations the block backend needs, through the btrfs-progs command with
// argument arrays (paths never pass through a shell).
import { execa } from 'execa';
import { statfsSync, statSync } from 'node:fs';

const BTRFS_SUPER_MAGIC = 0x9123683e;
/** The inode number of every subvolume's root directory on btrfs. */
const SUBVOLUME_ROOT_INODE = 256;

export function onBtrfs(path: string): boolean {
  return statfsSync(path).type === BTRFS_SUPER_MAGIC;
}

export function isSubvolume(path: string): boolean {
  return onBtrfs(path) && statSync(path).ino === SUBVOLUME_ROOT_INODE;
}

async function btrfs(args: string[]): Promise<void> {
  const r = await execa('btrfs', args, { reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new Error(`btrfs ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`);
}

export function createSubvolume(path: string): Promise<void> {
  return btrfs(['subvolume', 'create', path]);
}

export function snapshotReadOnly(source: string, target: string): Promise<void> {
  return btrfs(['subvolume', 'snapshot', '-r', source, target]);
}

export function deleteSubvolume(path: string): Promise<void> {
  return btrfs(['subvolume', 'delete', path]);
}
