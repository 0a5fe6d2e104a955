// Read-only btrfs snapshots without a process per snapshot. Node cannot call ioctl(2), and
// spawning `btrfs subvolume snapshot -r` costs more than the snapshot itself on a busy
// machine (measured here: p50 ~9 ms spawned against ~1.6 ms for the ioctl). So one small
// Perl process (perl-base is part of every Debian system) lives beside the writer and issues
// BTRFS_IOC_SNAP_CREATE_V2 with BTRFS_SUBVOL_RDONLY on request, one line per snapshot. It
// exits when its stdin closes, so it never outlives the writer.
import { spawn, type ChildProcess } from 'node:child_process';

// struct btrfs_ioctl_vol_args_v2: s64 fd, u64 transid, u64 flags, u64 unused[4],
// char name[4040] (4096 bytes); _IOW(0x94, 23, that) = 0x50009417; flags 2 = read-only.
const SCRIPT = String.raw`
use strict; use Fcntl;
$| = 1;
while (my $line = <STDIN>) {
  chomp $line;
  my ($src, $dir, $name) = split /\t/, $line, 3;
  my ($s, $d);
  if (!sysopen($s, $src, O_RDONLY | O_DIRECTORY)) { print "err $src: $!\n"; next; }
  if (!sysopen($d, $dir, O_RDONLY | O_DIRECTORY)) { print "err $dir: $!\n"; close $s; next; }
  my $args = pack('q Q Q Q4 Z4040', fileno($s), 0, 2, 0, 0, 0, 0, $name);
  if (ioctl($d, 0x50009417, $args)) { print "ok\n"; } else { print "err snapshot $name: $!\n"; }
  close $s; close $d;
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
    if ([source, dir, name].some((s) => /[\t\n]/.test(s))) return Promise.reject(new Error('snapshot paths must not contain tabs or newlines'));
    if (this.#dead) return Promise.reject(this.#dead);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#child.stdin!.write(`${source}\t${dir}\t${name}\n`);
    });
  }

  close(): void {
    this.#child.stdin!.end();
  }
}
