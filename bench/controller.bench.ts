// Packet-ins answered per second and round-trip latency, cbench style: 16 emulated switches
// (bench/ofgen.ts) against the controller in its own process, first forwarding alone, then
// `ghostbridge run` with every flow logged and vectorized. Also the controller's resident
// memory over a sustained run. Environment: GB_BENCH_SECONDS (throughput window, default 10),
// GB_BENCH_MODES (rows to run, default forwarding,full), GB_BENCH_SOAK_SECONDS (memory run,
// default 60; 0 skips it), GB_BENCH_SOAK_MODE
// (forwarding or full, default forwarding), GB_BENCH_DEPTH (outstanding per switch).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmulatedSwitch, percentileUs } from './ofgen.ts';
import { freePort } from '../test/controller/child.ts';

const SWITCHES = 16;
const SECONDS = Number(process.env.GB_BENCH_SECONDS ?? 10);
const SOAK = Number(process.env.GB_BENCH_SOAK_SECONDS ?? 60);
const SOAK_MODE = process.env.GB_BENCH_SOAK_MODE === 'full' ? 'full' : 'forwarding';
const DEPTH = Number(process.env.GB_BENCH_DEPTH ?? 256);
const MODES = (process.env.GB_BENCH_MODES ?? 'forwarding,full').split(',').map((m) => {
  if (m !== 'forwarding' && m !== 'full') throw new Error(`GB_BENCH_MODES: unknown mode ${JSON.stringify(m)} (forwarding, full)`);
  return m;
});
const root = fileURLToPath(new URL('..', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function startController(kind: 'forwarding' | 'full', port: number, dataDir: string): Promise<ChildProcess> {
  const listen = `tcp:127.0.0.1:${port}`;
  const args = kind === 'forwarding'
    ? [join(root, 'bench/forward-controller.ts'), listen]
    : [join(root, 'cli/ghostbridge.ts'), 'run', '--data', dataDir, '--api', 'off', '--listen', listen, '--stats-interval', '0', '--log-level', 'info'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes('ghostbridge running')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`controller exited (${code}) before it was ready`)));
  });
  child.stdout!.resume();
  return child;
}

async function connectSwitches(port: number): Promise<EmulatedSwitch[]> {
  const sws = Array.from({ length: SWITCHES }, (_, i) => new EmulatedSwitch(port, i + 1));
  await Promise.all(sws.map((s) => s.up));
  await Promise.all(sws.map((s) => s.learnHosts()));
  return sws;
}

/**
 * Answered per second over `seconds`, after a 2 s warm-up, and per CPU-second the
 * controller used (the figure least disturbed by other load on a shared machine); samples
 * RSS every second.
 */
async function throughput(sws: EmulatedSwitch[], pid: number, seconds: number, rss: number[]): Promise<{ rate: number; perCpu: number; cores: number; genUs: number; genCores: number }> {
  for (const s of sws) s.startThroughput(DEPTH);
  await sleep(2_000);
  const count = () => sws.reduce((n, s) => n + s.stats.answered, 0);
  const start = count();
  const cpu0 = cpuSeconds(pid);
  const gen0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < seconds; i++) {
    await sleep(1_000);
    rss.push(rssMiB(pid));
  }
  const answered = count() - start;
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  const gen = process.cpuUsage(gen0);
  const genSeconds = (gen.user + gen.system) / 1e6;
  for (const s of sws) s.stop();
  await sleep(500);
  return { rate: answered / elapsed, perCpu: answered / cpu, cores: cpu / elapsed, genUs: (genSeconds / answered) * 1e6, genCores: genSeconds / elapsed };
}

async function latency(sw: EmulatedSwitch): Promise<{ p50: number; p99: number; n: number }> {
  sw.startLatency();
  await sleep(1_000);
  sw.recordLatency = true;
  await sleep(5_000);
  sw.stop();
  sw.recordLatency = false;
  const l = sw.stats.latenciesNs;
  return { p50: percentileUs(l, 50), p99: percentileUs(l, 99), n: l.length };
}

interface Row {
  mode: string;
  rate: number;
  perCpu: number;
  cores: number;
  /** The generator's (this process's) CPU per answered packet-in, and its cores used. */
  genUs: number;
  genCores: number;
  p50: number;
  p99: number;
  rss: string;
}

/** Runs `fn` against a fresh controller child with 16 switches connected, then cleans up. */
async function withController<T>(kind: 'forwarding' | 'full', fn: (sws: EmulatedSwitch[], pid: number, data: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'gb-bench-'));
  const port = await freePort();
  const child = await startController(kind, port, join(dir, 'data'));
  try {
    const sws = await connectSwitches(port);
    const result = await fn(sws, child.pid!, join(dir, 'data'));
    for (const s of sws) s.close();
    return result;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

function measure(kind: 'forwarding' | 'full'): Promise<Row> {
  return withController(kind, async (sws, pid) => {
    const rss: number[] = [];
    const { rate, perCpu, cores, genUs, genCores } = await throughput(sws, pid, SECONDS, rss);
    const lat = await latency(sws[0]);
    return { mode: kind === 'forwarding' ? 'forwarding alone' : 'full pipeline (run: events logged + vectorized)', rate, perCpu, cores, genUs, genCores, p50: lat.p50, p99: lat.p99, rss: `${rss[0].toFixed(0)} → ${rss.at(-1)!.toFixed(0)} MiB` };
  });
}

function soak(kind: 'forwarding' | 'full'): Promise<string> {
  return withController(kind, async (sws, pid, data) => {
    const rss: number[] = [];
    const { rate } = await throughput(sws, pid, SOAK, rss);
    const tenth = Math.max(1, Math.floor(rss.length / 10));
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // The average of each tenth of the run, so a slow climb shows apart from warm-up.
    const curve = Array.from({ length: Math.ceil(rss.length / tenth) }, (_, i) => avg(rss.slice(i * tenth, (i + 1) * tenth)).toFixed(0)).join(' ');
    const line = `${SOAK} s at ${Math.round(rate).toLocaleString('en')}/s: RSS first 10% avg ${avg(rss.slice(0, tenth)).toFixed(0)} MiB, last 10% avg ${avg(rss.slice(-tenth)).toFixed(0)} MiB, max ${Math.max(...rss).toFixed(0)} MiB; by tenths: ${curve} MiB`;
    return kind === 'full' ? `${line}\n${indexShare(`${data}.index`, rss)}` : line;
  });
}

/**
 * What the embedded index holds after the run (vectors.bin: 8 + 4·dimension bytes a vector,
 * the same as it keeps in RAM), against how much RSS grew: is the growth the vectors?
 */
function indexShare(indexDir: string, rss: number[]): string {
  const { dimension } = JSON.parse(readFileSync(join(indexDir, 'meta.json'), 'utf8')) as { dimension: number };
  const perVector = 8 + 4 * dimension;
  const vectors = statSync(join(indexDir, 'vectors.bin')).size / perVector;
  const grew = (Math.max(...rss) - rss[0]) * 2 ** 20;
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  return `index: ${vectors.toLocaleString('en')} vectors × ${perVector} B = ${mib(vectors * perVector)} (RAM arrays double when full: ${mib(2 ** Math.ceil(Math.log2(vectors)) * perVector)} allocated, old + new during a copy); RSS grew ${mib(grew)} from the first sample to the maximum = ${(grew / vectors).toFixed(0)} B per indexed vector`;
}

const rows: Row[] = [];
for (const mode of MODES) rows.push(await measure(mode));
console.log(`${SWITCHES} emulated switches, ${DEPTH} packet-ins outstanding each (throughput, ${SECONDS} s); latency: 1 switch, 1 outstanding, 5 s`);
console.log('| mode | packet-ins answered/s | per controller CPU-second | controller cores used | generator µs CPU per answer (cores) | p50 µs | p99 µs | controller RSS |');
console.log('|---|---:|---:|---:|---:|---:|---:|---|');
const n = (x: number) => Math.round(x).toLocaleString('en');
for (const r of rows) console.log(`| ${r.mode} | ${n(r.rate)} | ${n(r.perCpu)} | ${r.cores.toFixed(2)} | ${r.genUs.toFixed(2)} (${r.genCores.toFixed(2)}) | ${r.p50.toFixed(0)} | ${r.p99.toFixed(0)} | ${r.rss} |`);
if (SOAK > 0) console.log(`memory, ${SOAK_MODE}: ${await soak(SOAK_MODE)}`);
process.exit(0);
