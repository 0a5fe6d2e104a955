// Replication of block snapshots to a replica (local directory or over ssh). Each step
// lists both sides, removes what a cut-off receive left on the replica, picks the newest
// block both hold as the parent (the replica's Received UUID equals the sender snapshot's
// UUID), sends the next newer block incrementally and checks that it arrived complete. A
// failed step is retried with backoff. At the end of a run the newest received snapshot's
// metadata is copied next to the snapshots, so the replica verifies on its own.
import { execFile } from 'node:child_process';
import { hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { layout, readConfig } from './layout.ts';
import { listSnapshots } from './backend.ts';
import { headerFile, readHeader, snapshotName } from './block-header.ts';
import { halfReceived, parseSubvolumeList, snapshotIndex, type Subvolume } from './subvolume-list.ts';
import { BadTargetError, describeTarget, replicaCommand, UNUSABLE_REPLICA, type ReplicaTarget, type ReplicaOp } from './replica-target.ts';
import { sendSnapshot } from './btrfs-send.ts';
import { withSshMaster } from './ssh-master.ts';
import { isInside } from './index-rebuild.ts';
import { acquireLock, LockedError, type Lock } from './lock.ts';

export interface ReplicateOptions {
  /** The source data directory (btrfs backend). */
  data: string;
  target: ReplicaTarget;
  logger: Logger;
  /** Attempts after the first for each step (default 5). */
  retries?: number;
  /** First backoff in ms (default 1000), doubled per attempt up to 30 s. */
  retryDelayMs?: number;
  /** zstd level (default 3). */
  level?: number;
  signal?: AbortSignal;
}

export interface SentBlock {
  name: string;
  parent: string | null;
  bytes: number;
  ms: number;
}

export interface ReplicateResult {
  sent: SentBlock[];
  /** Half-received subvolumes removed from the replica. */
  removed: string[];
  /** The newest block the replica holds afterwards. */
  newest: string | null;
}

/** Not worth retrying: the same state would fail the same way. */
export class ReplicationError extends Error {}

interface SourceSnapshot extends Subvolume {
  index: number;
  path: string;
}

function run([cmd, args]: [string, string[]], signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { signal, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const message = `${cmd === 'ssh' ? 'ssh: ' : ''}${(stderr || err?.message || '').trim()}`;
      if (err) reject(err.code === UNUSABLE_REPLICA ? new ReplicationError(message) : new Error(message));
      else resolve(stdout);
    });
  });
}

/** Refuses a source that cannot be replicated, and a local replica inside the source. */
function checkSource(data: string, target: ReplicaTarget): void {
  if (readConfig(data).backend !== 'btrfs') throw new ReplicationError(`${data} uses the directory backend: only btrfs block snapshots can be replicated`);
  if (target.kind === 'local' && isInside(target.dir, data)) throw new BadTargetError(`the replica ${target.dir} must not be inside the source ${data}`);
}

/** Block snapshots of the source that a header names (a cut killed before its header is skipped). */
async function listSource(data: string, signal?: AbortSignal): Promise<SourceSnapshot[]> {
  const l = layout(data);
  const named = new Set(
    listSnapshots(l)
      .filter((s) => existsSync(headerFile(l.blocks, s.index)) && snapshotName(readHeader(headerFile(l.blocks, s.index))) === s.name)
      .map((s) => s.name),
  );
  if (named.size === 0) return [];
  const subvolumes = parseSubvolumeList(await run(replicaCommand({ kind: 'local', dir: data }, 'list'), signal));
  return subvolumes
    .filter((s) => named.has(s.name) && s.readOnly)
    .map((s) => ({ ...s, index: snapshotIndex(s.name), path: join(l.snapshots, s.name) }))
    .sort((a, b) => a.index - b.index);
}

/**
 * One replication process per source and replica: a second one could take the first one's
 * receive in progress for a half-received leftover and delete it. The lock sits next to
 * <data> (as the signing key does by default), not inside it, so snapshots never hold it.
 */
async function exclusively<T>(o: ReplicateOptions, fn: () => Promise<T>): Promise<T> {
  checkSource(o.data, o.target);
  const id = hash('sha256', describeTarget(o.target), 'hex').slice(0, 12);
  const path = `${resolve(o.data)}.replicate-${id}.lock`;
  let lock: Lock;
  try {
    lock = acquireLock(path);
  } catch (err) {
    if (!(err instanceof LockedError)) throw err;
    throw new ReplicationError(`another replicate process is sending ${o.data} to ${describeTarget(o.target)} (${path})`);
  }
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

export function replicateOnce(o: ReplicateOptions): Promise<ReplicateResult> {
  return exclusively(o, () => replicateRound(o));
}

function replicateRound(o: ReplicateOptions): Promise<ReplicateResult> {
  return o.target.kind === 'ssh' ? withSshMaster(o.target, (shared) => replicateTo({ ...o, target: shared })) : replicateTo(o);
}

async function replicateTo(o: ReplicateOptions): Promise<ReplicateResult> {
  const { target, logger: log, signal } = o;
  const replica = (op: ReplicaOp, name?: string) => run(replicaCommand(target, op, name), signal);
  const listReplica = async () => parseSubvolumeList(await replica('list'));
  const where = describeTarget(target);
  const result: ReplicateResult = { sent: [], removed: [], newest: null };

  const retrying = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const retries = o.retries ?? 5;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof ReplicationError || err instanceof BadTargetError || signal?.aborted || attempt >= retries) throw err;
        const delayMs = Math.min((o.retryDelayMs ?? 1000) * 2 ** attempt, 30_000);
        log.warn({ err: (err as Error).message, attempt: attempt + 1, delayMs }, `${what} failed; retrying`);
        await sleep(delayMs, undefined, { signal });
      }
    }
  };

  // The listing taken after a send serves the next step; after a failure, it is taken anew.
  let listed: Subvolume[] | null = null;

  /** Sends the next block the replica lacks; false when there is none. */
  const step = async (): Promise<boolean> => {
    const source = await listSource(o.data, signal);
    let held = listed ?? (await listReplica());
    listed = null;
    for (const s of held.filter(halfReceived)) {
      await replica('delete', s.name);
      log.warn({ replica: where, subvolume: s.name }, 'removed a half-received subvolume');
      result.removed.push(s.name);
    }
    held = held.filter((s) => !halfReceived(s));
    const receivedFrom = new Set(held.map((s) => s.receivedUuid));
    const parent = source.filter((s) => receivedFrom.has(s.uuid)).at(-1) ?? null;
    result.newest = parent?.name ?? null;
    const next = source.find((s) => !parent || s.index > parent.index);
    if (!next) return false;
    if (held.some((s) => s.name === next.name)) {
      throw new ReplicationError(`the replica already holds a ${next.name} that was not received from this source's snapshot (UUID ${next.uuid})`);
    }
    log.info({ block: next.name, parent: parent?.name ?? null, replica: where }, parent ? 'sending incrementally' : 'sending in full');
    const started = performance.now();
    const { bytes } = await sendSnapshot({
      snapshot: next.path,
      parent: parent?.path ?? null,
      receiver: replicaCommand(target, 'receive'),
      level: o.level ?? 3,
      signal,
    });
    const after = await listReplica();
    const arrived = after.find((s) => s.name === next.name);
    if (!arrived || arrived.receivedUuid !== next.uuid || !arrived.readOnly) {
      throw new Error(`${next.name} did not arrive complete (the receiver reported success)`);
    }
    listed = after;
    const sent = { name: next.name, parent: parent?.name ?? null, bytes, ms: Math.round(performance.now() - started) };
    log.info({ ...sent, replica: where }, 'sent');
    result.sent.push(sent);
    result.newest = next.name;
    return true;
  };

  while (await retrying('sending a block', step));
  // Once per run, also when nothing was sent (a run killed before this point): the newest
  // snapshot's metadata holds every header up to it.
  const newest = result.newest;
  if (newest) await retrying('copying metadata', () => replica('metadata', newest));
  log.info({ replica: where, newest: result.newest, sent: result.sent.length }, 'replica is up to date');
  return result;
}

/**
 * Keeps the replica up to date until `signal` aborts: looks at the source's snapshots every
 * `intervalMs` and replicates when they change (or the last round failed). A round that
 * fails after its retries is logged and tried again at the next look.
 */
export function followReplication(o: ReplicateOptions & { intervalMs?: number }): Promise<void> {
  return exclusively(o, () => follow(o));
}

async function follow(o: ReplicateOptions & { intervalMs?: number }): Promise<void> {
  const l = layout(o.data);
  let seen: string | null = null;
  while (!o.signal?.aborted) {
    const now = listSnapshots(l).map((s) => s.name).join(' ');
    if (now !== seen) {
      try {
        await replicateRound(o);
        seen = now;
      } catch (err) {
        if (o.signal?.aborted) break;
        if (err instanceof BadTargetError || err instanceof ReplicationError) throw err;
        o.logger.error({ err: (err as Error).message }, 'replication failed; trying again at the next look');
      }
    }
    await sleep(o.intervalMs ?? 1000, undefined, { signal: o.signal }).catch(() => {});
  }
}
