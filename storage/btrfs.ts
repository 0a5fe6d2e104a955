// The few btrfs operations the block backend needs, through the btrfs-progs command with
// argument arrays (paths never pass through a shell).
import { execFile } from 'node:child_process';
import { statfsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

const BTRFS_SUPER_MAGIC = 0x9123683e;
/** The inode number of every subvolume's root directory on btrfs. */
const SUBVOLUME_ROOT_INODE = 256;

export function onBtrfs(path: string): boolean {
  return statfsSync(path).type === BTRFS_SUPER_MAGIC;
}

export function isSubvolume(path: string): boolean {
  return onBtrfs(path) && statSync(path).ino === SUBVOLUME_ROOT_INODE;
}

// Plain execFile rather than execa: a snapshot sits on the block-cut path, and the lighter
// spawn saves a couple of milliseconds per cut here.
// Paths are made absolute first, so a relative one that starts with "-" is never read as an option.
function btrfs(args: string[], paths: string[]): Promise<void> {
  const argv = [...args, ...paths.map((p) => resolve(p))];
  return new Promise((done, reject) => {
    execFile('btrfs', argv, (err, stdout, stderr) => {
      if (err) reject(new Error(`btrfs ${argv.join(' ')} failed: ${(stderr || stdout || err.message).trim()}`));
      else done();
    });
  });
}

export function createSubvolume(path: string): Promise<void> {
  return btrfs(['subvolume', 'create'], [path]);
}

export function snapshotReadOnly(source: string, target: string): Promise<void> {
  return btrfs(['subvolume', 'snapshot', '-r'], [source, target]);
}

/** Merges the extents of `file` in [start, start + length) smaller than `threshold` bytes. */
export function defragRange(file: string, start: number, length: number, threshold: number): Promise<void> {
  return btrfs(['filesystem', 'defragment', '-s', String(start), '-l', String(length), '-t', String(threshold)], [file]);
}

/** Commits the filesystem holding `path` (BTRFS_IOC_SYNC), which also wakes its cleaner. */
export function syncFilesystem(path: string): Promise<void> {
  return btrfs(['filesystem', 'sync'], [path]);
}

export function deleteSubvolume(path: string): Promise<void> {
  return btrfs(['subvolume', 'delete'], [path]);
}
