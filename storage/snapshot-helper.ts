// Read-only btrfs snapshots without a process per snapshot. Node cannot call ioctl(2), and
// spawning `btrfs subvolume snapshot -r` costs more than the snapshot itself on a busy
// machine (measured here: p50 ~9 ms spawned against ~1.6 ms for the ioctl). So one small
// Perl process (perl-base is part of every Debian system) lives beside the writer and issues
// BTRFS_IOC_SNAP_CREATE_V2 with BTRFS_SUBVOL_RDONLY (BTRFS_IOC_SNAP_DESTROY and
// BTRFS_IOC_SYNC for retention, BTRFS_IOC_DEFRAG_RANGE for the log's compaction) on request,
// one line each, one at a time. It exits when its stdin closes, so it never outlives the writer.
import { spawn, type ChildProcess } from 'node:child_process';

// Requests are `snap\t<source>\t<dir>\t<name>`, `del\t<dir>\t<name>`, `sync\t<dir>` and
// `defrag\t<file>\t<start>\t<length>\t<extent threshold>`; each gets one answer line, `ok` or
// `err …`, in order (so a field must hold no tab or newline: see #request).
// snap: struct btrfs_ioctl_vol_args_v2 { s64 fd; u64 transid, flags, unused[4]; char
// name[4040] } (4096 bytes), BTRFS_IOC_SNAP_CREATE_V2 = _IOW(0x94, 23, …) = 0x50009417,
// flags 2 = read-only. del: struct btrfs_ioctl_vol_args { s64 fd; char name[4088] },
// BTRFS_IOC_SNAP_DESTROY = _IOW(0x94, 15, …) = 0x5000940f, on the parent directory.
// sync: BTRFS_IOC_SYNC = _IO(0x94, 8) = 0x9408, no argument, on a directory of the filesystem.
// defrag: struct btrfs_ioctl_defrag_range_args { u64 start, len, flags; u32 extent_thresh,
// compress_type, unused[4] } (48 bytes), BTRFS_IOC_DEFRAG_RANGE = _IOW(0x94, 16, …) =
// 0x40309410, on the file; flags 2 = BTRFS_DEFRAG_RANGE_START_IO (start writing the
// rewritten range at once instead of leaving it to whichever commit comes next).
const SCRIPT = String.raw`
use strict; use Fcntl;
$| = 1;
while (my $line = <STDIN>) {
  chomp $line;
  my ($op, @a) = split /\t/, $line;
  if ($op eq 'sync') {
    my $d;
    if (!sysopen($d, $a[0], O_RDONLY | O_DIRECTORY)) { print "err $a[0]: $!\n"; next; }
    if (ioctl($d, 0x9408, 0)) { print "ok\n"; } else { print "err sync $a[0]: $!\n"; }
    close $d;
    next;
  }
  if ($op eq 'defrag') {
    my $f;
    if (!sysopen($f, $a[0], O_RDONLY)) { print "err $a[0]: $!\n"; next; }
    my $args = pack('Q Q Q L L L4', $a[1], $a[2], 2, $a[3], 0, 0, 0, 0, 0);
    if (ioctl($f, 0x40309410, $args)) { print "ok\n"; } else { print "err defrag $a[0]: $!\n"; }
    close $f;
    next;
  }
  my ($d, $s);
  my $dir = $op eq 'snap' ? $a[1] : $a[0];
  my $name = $op eq 'snap' ? $a[2] : $a[1];
  if (!sysopen($d, $dir, O_RDONLY | O_DIRECTORY)) { print "err $dir: $!\n"; next; }
  my ($args, $request);
  if ($op eq 'snap') {
    if (!sysopen($s, $a[0], O_RDONLY | O_DIRECTORY)) { print "err $a[0]: $!\n"; close $d; next; }
    ($args, $request) = (pack('q Q Q Q4 Z4040', fileno($s), 0, 2, 0, 0, 0, 0, $name), 0x50009417);
  } else {
    ($args, $request) = (pack('q Z4088', 0, $name), 0x5000940f);
  }
  if (ioctl($d, $request, $args)) { print "ok\n"; } else { print "err $op $name: $!\n"; }
  close $s if $s; close $d;
}
`;

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

export class SnapshotHelper {
  #child: ChildProcess;
  #waiting: Waiter[] = [];
  #out = '';
  #dead: Error | null = null;

  constructor() {
    this.#child = spawn('perl', ['-e', SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.#child.unref();
    this.#child.stdout!.setEncoding('utf8');
    this.#child.stdout!.on('data', (chunk: string) => {
      this.#out += chunk;
      for (let nl = this.#out.indexOf('\n'); nl >= 0; nl = this.#out.indexOf('\n')) {
        const reply = this.#out.slice(0, nl);
        this.#out = this.#out.slice(nl + 1);
        const w = this.#waiting.shift();
        if (reply === 'ok') w?.resolve();
        else w?.reject(new Error(reply.replace(/^err /, 'btrfs ')));
      }
    });
    const die = (err: Error) => {
      this.#dead ??= err;
      for (const w of this.#waiting.splice(0)) w.reject(this.#dead);
    };
    this.#child.on('error', die);
    this.#child.on('exit', (code) => die(new Error(`the snapshot helper exited (${code})`)));
  }

  /** Whether the helper could not run at all (e.g. no perl): the caller falls back. */
  get unavailable(): boolean {
    return (this.#dead as NodeJS.ErrnoException | null)?.code === 'ENOENT';
  }

  /** Takes a read-only snapshot of the subvolume `source` as `<dir>/<name>`. */
  snapshot(source: string, dir: string, name: string): Promise<void> {
    return this.#request(['snap', source, dir, name]);
  }

  /** Deletes the subvolume (or snapshot) `<dir>/<name>`. */
  remove(dir: string, name: string): Promise<void> {
    return this.#request(['del', dir, name]);
  }

  /**
   * Rewrites the extents of `file` in [start, start + length) that are smaller than
   * `threshold` bytes as fewer, larger ones (the bytes stay the same) and starts writing
   * them out; resolves when the ioctl returns, not when they are on disk.
   */
  defrag(file: string, start: number, length: number, threshold: number): Promise<void> {
    for (const n of [start, length, threshold]) {
      if (!Number.isSafeInteger(n) || n < 0) return Promise.reject(new Error(`defrag: ${n} is not a byte count`));
    }
    return this.#request(['defrag', file, String(start), String(length), String(threshold)]);
  }

  /** BTRFS_IOC_SYNC on the filesystem holding `dir`: commits, and wakes the cleaner. */
  sync(dir: string): Promise<void> {
    return this.#request(['sync', dir]);
  }

  #request(fields: string[]): Promise<void> {
    if (fields.some((s) => /[\t\n]/.test(s))) return Promise.reject(new Error('snapshot paths must not contain tabs or newlines'));
    if (this.#dead) return Promise.reject(this.#dead);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#child.stdin!.write(fields.join('\t') + '\n');
    });
  }

  close(): void {
    this.#child.stdin!.end();
  }
}
