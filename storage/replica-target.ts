// Where a replica lives (a local directory or ssh://[user@]host[:port]/abs/dir) and how to
// run the replica side's few operations there. Every value that reaches a command line is
// checked against a strict pattern first; over ssh the remote command string is built only
// from those checked values, each single-quoted, around one fixed script.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

export interface LocalTarget {
  kind: 'local';
  dir: string;
}

export interface SshTarget {
  kind: 'ssh';
  user: string | null;
  host: string;
  port: number;
  dir: string;
  identity: string | null;
  knownHosts: string | null;
  /** A shared connection's control socket (storage/ssh-master.ts); ssh connects anew without it. */
  controlPath?: string;
}

export type ReplicaTarget = LocalTarget | SshTarget;

/** An absolute path of plain segments: no `.`/`..`, no spaces, quotes or shell characters. */
const SAFE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/;
const USER = /^[A-Za-z_][A-Za-z0-9._-]{0,31}$/;
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6 = /^\[[0-9A-Fa-f:.]{2,45}\]$/;
const SSH_URL = /^ssh:\/\/(?:([^@/]*)@)?(\[[^\]/]*\]|[^:/]*)(?::([^/]*))?(\/.*)?$/;
/** A local file handed to ssh as an option value: ssh splits those at whitespace and quotes. */
const SSH_OPTION_PATH = /^[A-Za-z0-9_./+-]+$/;

export class BadTargetError extends Error {}

/** The dir as given, if it is an absolute path of safe segments; else a BadTargetError. */
function checkedDir(dir: string, what = 'replica directory'): string {
  const segments = dir.split('/').slice(1);
  const ok = dir.length <= 4096 && dir.startsWith('/') && segments.every((s) => SAFE_SEGMENT.test(s));
  if (!ok) throw new BadTargetError(`${what} ${JSON.stringify(dir)} must be an absolute path of segments made of letters, digits and . _ + - (no '..', spaces or quotes)`);
  return dir;
}

function checkedOptionFile(path: string, what: string): string {
  const abs = resolve(path);
  if (!SSH_OPTION_PATH.test(abs)) throw new BadTargetError(`${what} ${JSON.stringify(path)}: only letters, digits and . _ + - / are accepted in its path`);
  if (!existsSync(abs) || !statSync(abs).isFile()) throw new BadTargetError(`${what} ${abs} is not a file`);
  return abs;
}

/** Parses ssh://[user@]host[:port]/abs/dir; anything unexpected is refused, nothing is run. */
export function parseSshTarget(url: string, opts: { identity?: string; knownHosts?: string } = {}): SshTarget {
  const m = SSH_URL.exec(url);
  if (!m) throw new BadTargetError(`${JSON.stringify(url)} is not ssh://[user@]host[:port]/absolute/dir`);
  const [, user, host, port, dir] = m;
  if (user !== undefined && !USER.test(user)) throw new BadTargetError(`ssh user ${JSON.stringify(user)} is not a plain user name`);
  if (!HOST_NAME.test(host) && !IPV6.test(host)) throw new BadTargetError(`ssh host ${JSON.stringify(host)} is not a host name or IP address`);
  const portNumber = port === undefined ? 22 : Number(port);
  if (!/^\d{1,5}$/.test(port ?? '22') || portNumber < 1 || portNumber > 65535) throw new BadTargetError(`ssh port ${JSON.stringify(port)} is not 1..65535`);
  if (dir === undefined) throw new BadTargetError(`${JSON.stringify(url)} names no remote directory (ssh://host/absolute/dir)`);
  return {
    kind: 'ssh',
    user: user ?? null,
    host: IPV6.test(host) ? host.slice(1, -1) : host,
    port: portNumber,
    dir: checkedDir(dir, 'remote directory'),
    identity: opts.identity ? checkedOptionFile(opts.identity, 'identity file') : null,
    knownHosts: opts.knownHosts ? checkedOptionFile(opts.knownHosts, 'known hosts file') : null,
  };
}

export function localTarget(dir: string): LocalTarget {
  if (!isAbsolute(dir)) dir = resolve(dir);
  return { kind: 'local', dir: checkedDir(dir) };
}

export function describeTarget(t: ReplicaTarget): string {
  if (t.kind === 'local') return t.dir;
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `ssh://${t.user ? `${t.user}@` : ''}${host}:${t.port}${t.dir}`;
}

/** POSIX single quoting: the word reaches the remote shell's argument list unchanged. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The replica side's operations, one fixed script run as `sh -c SCRIPT gb-replica OP DIR [NAME]`
 * (locally or by the remote user's shell). `receive` checks both zstd's and btrfs receive's
 * exit status (POSIX sh has no pipefail: zstd's status comes back through fd 3).
 */
const REPLICA_SCRIPT = [
  'op=$1; dir=$2; name=$3',
  'case "$op" in',
  // Creates the replica's directories on first use; refuses (exit 3, nothing created) a
  // filesystem that btrfs receive cannot write to.
  'list)',
  '  p=$dir; while [ ! -e "$p" ]; do p=$(dirname "$p"); done',
  '  fs=$(stat -f -c %T "$p") || exit 1',
  '  [ "$fs" = btrfs ] || { echo "$dir is on $fs, not btrfs" >&2; exit 3; }',
  '  mkdir -p "$dir/.snapshots" "$dir/metadata" || exit 1',
  '  cd "$dir/.snapshots" || exit 1',
  '  for s in block-*; do',
  '    [ -d "$s" ] || continue',
  '    echo "== $s"',
  '    btrfs subvolume show "$s" || exit 1',
  '  done ;;',
  'delete)',
  '  btrfs subvolume delete "$dir/.snapshots/$name" >&2 ;;',
  'receive)',
  '  st=$( { { zstd -d -q -c; echo $? >&3; } | btrfs receive -e "$dir/.snapshots" >&2; } 3>&1 ) || exit 1',
  '  [ "$st" = 0 ] || { echo "zstd -d failed (exit $st)" >&2; exit 1; } ;;',
  'metadata)',
  // The received snapshot holds the headers 0..N, config and public key as they were at its
  // cut: copying them next to the snapshots makes the replica a verifiable directory.
  '  cp -R --reflink=auto "$dir/.snapshots/$name/metadata/." "$dir/metadata/" || exit 1',
  '  echo \'{"format":1}\' > "$dir/metadata/replica.json" ;;',
  '*) echo "unknown operation $op" >&2; exit 2 ;;',
  'esac',
].join('\n');

/** The replica script's exit status for a replica that can never work (not on btrfs). */
export const UNUSABLE_REPLICA = 3;

export type ReplicaOp = 'list' | 'delete' | 'receive' | 'metadata';

/** The argv running one replica operation on `dir` (the target's, or a local one for the source side). */
export function replicaCommand(t: ReplicaTarget, op: ReplicaOp, name?: string): [string, string[]] {
  const args = [op, t.dir, ...(name === undefined ? [] : [name])];
  if (t.kind === 'local') return ['sh', ['-c', REPLICA_SCRIPT, 'gb-replica', ...args]];
  const remote = ['sh', '-c', REPLICA_SCRIPT, 'gb-replica', ...args].map(shellQuote).join(' ');
  return ['ssh', [...sshOptions(t), '--', t.host, remote]];
}

export function sshOptions(t: SshTarget): string[] {
  return [
    '-p', String(t.port),
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=10',
    '-o', 'ServerAliveInterval=10',
    '-o', 'ServerAliveCountMax=3',
    ...(t.knownHosts ? ['-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${t.knownHosts}`] : []),
    ...(t.identity ? ['-i', t.identity, '-o', 'IdentitiesOnly=yes'] : []),
    ...(t.user ? ['-l', t.user] : []),
    // A command uses the shared connection when it is up, and connects by itself when not.
    ...(t.controlPath ? ['-S', t.controlPath, '-o', 'ControlMaster=no'] : []),
  ];
}
