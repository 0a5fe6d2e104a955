// Storage benchmark: appends per second (batch and fsync durability), block cut time on
// btrfs as the log grows to 10^5, 10^6 and 10^7 events, and verify throughput.
//
// The logs for the cut measurements are grown with a bulk writer (below) that produces the
// exact bytes the EventLog would — same line encoding and hash chain, a signed block header
// every 100,000 events — straight to the file in 8 MB writes, without the per-append promise
// machinery. Then the real EventLog opens the directory (its start-up brings the sparse
// index up to date over the bulk-written lines) and the real cutBlock is timed. Runs on GHOSTBRIDGE_BENCH_BTRFS, or a 16 GB sparse loop file it mounts
// under /var/tmp (root).
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { initData, openEventLog, verify, type EventLog } from '../storage/index.ts';
import { encodeLine, eventJson } from '../storage/line.ts';
import { MerkleFrontier } from '../storage/merkle.ts';
import { signHeader, writeHeader, type BlockHeader } from '../storage/block-header.ts';
import { loadSigningKey } from '../storage/signing.ts';
import { layout } from '../storage/layout.ts';
import { SnapshotHelper } from '../storage/snapshot-helper.ts';
import { flowEvent } from '../test/storage/events.ts';

const POOL = Array.from({ length: 4096 }, (_, i) => flowEvent(i));

function mountScratch(): { root: string; cleanup: () => void } {
  const given = process.env.GHOSTBRIDGE_BENCH_BTRFS;
  if (given) return { root: given, cleanup: () => {} };
  const base = mkdtempSync('/var/tmp/gb-bench-');
  const img = join(base, 'fs.img');
  const mnt = join(base, 'mnt');
  execFileSync('truncate', ['-s', '16G', img]);
  execFileSync('mkfs.btrfs', ['-q', img]);
  mkdirSync(mnt);
  execFileSync('mount', ['-o', 'loop', img, mnt]);
  return {
    root: mnt,
    cleanup: () => {
      execFileSync('umount', [mnt]);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Nearest-rank percentile: of 100 cuts, p99 is the worst but one (p100 would be the worst). */
function pct(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The pool as JSON text and timestamps, as a caller of appendJson hands them over. */
const POOL_JSON = POOL.map((e) => JSON.stringify(e));
const POOL_TIMES = POOL.map((e) => e['@timestamp'] as string);

/**
 * Appends `total` events as `producers` concurrent callers of `batch` events each (objects
 * through append, or JSON text through appendJson); returns events per second of wall time
 * and per CPU-second of the whole process (libuv's write and fsync threads included).
 */
async function appendRate(log: EventLog, total: number, batch: number, producers: number, json: boolean): Promise<[number, number]> {
  let next = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: producers }, async () => {
      while (next < total) {
        if (json) {
          const jsons = [];
          const times = [];
          for (let i = 0; i < batch; i++, next++) {
            jsons.push(POOL_JSON[next & 4095]);
            times.push(POOL_TIMES[next & 4095]);
          }
          await log.appendJson(jsons, times);
        } else {
          const events = [];
          for (let i = 0; i < batch; i++) events.push(POOL[next++ & 4095]);
          await log.append(events);
        }
      }
    }),
  );
  const cpu = process.cpuUsage(c0);
  return [total / ((performance.now() - t0) / 1000), total / ((cpu.user + cpu.system) / 1e6)];
}

/**
 * Bulk writer: extends <data>'s log (closed, no writer) to `upTo` events, sealing every
 * BULK_BLOCK events as a signed block (headers only), as timer-driven cuts would.
 */
const BULK_BLOCK = 100_000;

interface Tip {
  seq: number;
  tip: string;
  offset: number;
  header: BlockHeader | null;
}

function grow(dir: string, from: Tip, upTo: number): Tip {
  const l = layout(dir);
  const key = loadSigningKey(`${dir}.signing-key.pem`);
  const fd = openSync(l.log, 'a');
  let { seq, tip, offset, header } = from;
  while (seq < upTo) {
    const frontier = new MerkleFrontier();
    const start = { seq, offset };
    const stop = Math.min(upTo, seq + BULK_BLOCK);
    let chunk: string[] = [];
    let bytes = 0;
    for (; seq < stop; seq++) {
      const { line, hash } = encodeLine(seq, tip, eventJson(POOL[seq & 4095]));
      frontier.push(hash);
      const n = Buffer.byteLength(line);
      offset += n;
      bytes += n;
      chunk.push(line);
      tip = hash;
      if (bytes > 8 << 20) {
        writeSync(fd, chunk.join(''));
        chunk = [];
        bytes = 0;
      }
    }
    writeSync(fd, chunk.join(''));
    header = signHeader(
      {
        index: header ? header.index + 1 : 0,
        prevBlockHash: header ? header.hash : '0'.repeat(64),
        firstSeq: start.seq,
        lastSeq: seq - 1,
        byteOffset: start.offset,
        byteLength: offset - start.offset,
        tip,
        merkleRoot: frontier.root(),
        model: null,
        time: new Date().toISOString(),
      },
      key,
    );
    writeHeader(l.blocks, header, { fsync: false });
  }
  closeSync(fd);
  return { seq, tip, offset, header };
}

/**
 * Which parts run (GB_BENCH_STORAGE=append,cut,verify,floor; verify and floor need cut), the cut
 * sizes, cuts per size, and GB_BENCH_COMPACT=0 to cut without the log's compaction.
 */
const PARTS = new Set((process.env.GB_BENCH_STORAGE ?? 'append,cut,verify').split(','));
const SIZES = (process.env.GB_BENCH_CUT_SIZES ?? '100000,1000000,10000000').split(',').map(Number);
const CUTS = Number(process.env.GB_BENCH_CUTS ?? 100);
const COMPACT = process.env.GB_BENCH_COMPACT !== '0';

const spread = (t: number[]) => {
  t.sort((a, b) => a - b);
  return `p50 ${pct(t, 50).toFixed(2)} ms, p99 ${pct(t, 99).toFixed(2)} ms, max ${t.at(-1)!.toFixed(2)} ms`;
};

/**
 * The floor under a cut: the bare snapshot ioctl (through the same helper) of a new
 * subvolume with one small file, each after a 400-byte append to it, as often as the cuts
 * are timed, deleting all but the last 20. What it costs is one btrfs commit: the device
 * flushes, whatever else the machine writes. Measured right before each size's cuts.
 */
async function snapshotFloor(root: string, tag: string): Promise<string> {
  const sub = join(root, `floor-${process.pid}-${tag}`);
  execFileSync('btrfs', ['subvolume', 'create', sub]);
  const snaps = join(root, `floor-${process.pid}-${tag}-snaps`);
  mkdirSync(snaps);
  const helper = new SnapshotHelper();
  const fd = openSync(join(sub, 'f'), 'a');
  const times: number[] = [];
  try {
    for (let i = 0; i < CUTS; i++) {
      writeSync(fd, Buffer.alloc(400, 97));
      const t0 = performance.now();
      await helper.snapshot(sub, snaps, `s${i}`);
      times.push(performance.now() - t0);
      if (i >= 20) await helper.remove(snaps, `s${i - 20}`); // retention, as the cuts keep 20
    }
  } finally {
    closeSync(fd);
    helper.close();
  }
  return spread(times);
}

async function main() {
  const scratch = mountScratch();
  const rows: string[][] = [];
  try {
    // 1. Append throughput.
    if (PARTS.has('append')) for (const [durability, total, batch, producers, json] of [
      ['batch', 1_000_000, 100, 8, false],
      ['batch', 1_000_000, 100, 8, true],
      ['batch', 1_000_000, 100, 32, false],
      ['batch', 300_000, 1, 2000, false],
      ['fsync', 200_000, 100, 8, false],
      ['fsync', 50_000, 1, 2000, false],
    ] as const) {
      const dir = join(scratch.root, `append-${durability}-${batch}-${producers}-${json ? 'json' : 'obj'}-${process.pid}`);
      await initData({ dir, btrfs: true });
      const log = await openEventLog({ dir, durability });
      await appendRate(log, 20_000, batch, producers, json); // warm-up
      const [rate, perCpu] = await appendRate(log, total, batch, producers, json);
      await log.close();
      const what = `append${json ? 'Json' : ''}, ${durability} durability, ${producers} callers × ${batch} event${batch > 1 ? 's' : ''}`;
      rows.push([what, `${Math.round(rate).toLocaleString('en')} events/s (${Math.round(perCpu).toLocaleString('en')} per CPU-second)`]);
      console.log(rows.at(-1)!.join(': '));
    }

    // 2. Cut time as the log grows.
    if (!PARTS.has('cut')) return;
    const dir = join(scratch.root, `cuts-${process.pid}`);
    await initData({ dir, btrfs: true });
    let state: Tip = { seq: 0, tip: '0'.repeat(64), offset: 0, header: null };
    for (const size of SIZES) {
      const t0 = performance.now();
      state = grow(dir, state, size);
      const built = (performance.now() - t0) / 1000;
      const o0 = performance.now();
      const log = await openEventLog({ dir, blocks: { keepSnapshots: 20, compactLog: COMPACT } });
      const opened = (performance.now() - o0) / 1000;
      // The bulk writer leaves gigabytes of dirty pages: flush them first (syncfs), so the
      // cuts measure themselves and not the bulk write's writeback.
      execFileSync('sync', ['-f', dir]);
      if (PARTS.has('floor')) {
        rows.push([`bare snapshot ioctl (floor) before the cuts at ${size.toLocaleString('en')}, ${CUTS} in a row`, await snapshotFloor(scratch.root, String(size))]);
        console.log(rows.at(-1)!.join(': '));
      }
      await log.append([POOL[0]]);
      await log.cutBlock();
      // Cut time: from cutBlock() to its promise resolving, that is until the signed header
      // and the snapshot are durable (the snapshot's commit). Held: the part of it during
      // which appends are not written (all of it but a wait for a batch write in flight).
      const times: number[] = [];
      const held: number[] = [];
      for (let i = 0; i < CUTS; i++) {
        await log.append(Array.from({ length: 200 }, (_, j) => POOL[(i * 200 + j) & 4095]));
        const c0 = performance.now();
        await log.cutBlock();
        times.push(performance.now() - c0);
        held.push(log.lastCutTiming!.heldMs);
      }
      await log.close();
      const mb = log.lastBlock!.byteOffset / 1e6;
      const c = log.compaction;
      const compaction = c ? `; compaction: ${c.defrags} defrags, ${(c.bytes / 1e6).toFixed(1)} MB rewritten${c.error ? `, stopped: ${c.error.message}` : ''}` : '; no compaction';
      rows.push([`cut at ${size.toLocaleString('en')} events (${mb.toFixed(0)} MB log; built in ${built.toFixed(1)} s, index caught up on open in ${opened.toFixed(1)} s)`, `${spread(times)}; appends held ${spread(held)}${compaction}`]);
      console.log(rows.at(-1)!.join(': '));
      // Continue the bulk writer after the blocks the EventLog cut.
      const last = log.lastBlock!;
      state = { seq: last.lastSeq + 1, tip: last.tip, offset: last.byteOffset + last.byteLength, header: last };
    }

    // 3. verify throughput over the 10^7-event log (in the page cache: this is CPU speed),
    // on this thread and on one worker thread per CPU.
    // CPU time (all threads) says what one core does, whatever else the machine is running.
    if (PARTS.has('verify')) for (const threads of [1, availableParallelism()]) {
      const c0 = process.cpuUsage();
      const v0 = performance.now();
      const report = await verify(dir, { threads });
      const secs = (performance.now() - v0) / 1000;
      const cpu = process.cpuUsage(c0);
      const cpuSecs = (cpu.user + cpu.system) / 1e6;
      if (!report.ok) throw new Error(`verify failed: ${report.problems[0].message}`);
      const mb = report.bytes / 1e6;
      rows.push([`verify ${report.events.toLocaleString('en')} events (${Math.round(report.bytes / report.events)} bytes a line), ${report.blocks} blocks, ${report.snapshots} snapshots, ${threads} thread${threads > 1 ? 's' : ''}`, `${(mb / secs).toFixed(0)} MB/s (${mb.toFixed(0)} MB in ${secs.toFixed(1)} s; ${(mb / cpuSecs).toFixed(0)} MB per CPU-second, ${(cpuSecs / secs).toFixed(2)} cores busy)`]);
      console.log(rows.at(-1)!.join(': '));
    }
  } finally {
    scratch.cleanup();
    console.log('\n| measurement | result |\n|---|---|');
    for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  }
}

await main();
