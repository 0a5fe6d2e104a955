// `ghostbridge run` as a real process: the index catches up with a log written before it
// started, the live path indexes what a connecting switch produces, the API answers, and
// SIGTERM leaves the index's watermark on disk.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { join } from 'node:path';
import { loggedSite, scratch } from '../index/fixture.ts';
import { freePort, runGhostbridge } from '../controller/child.ts';
import { until } from '../controller/harness.ts';
import { FakeSwitch } from '../controller/fake-switch.ts';
import { ipv4, tcp } from '../controller/frames.ts';

test('ghostbridge run serves the API and keeps the vector index up to the log: catch-up at start, live flows, a block cut, the watermark saved on SIGTERM', async (t) => {
  const s = await loggedSite(t);
  await s.append(0, s.outputs.length);
  await s.log.close();
  const [ofPort, apiPort] = [await freePort(), await freePort()];
  const tokenFile = join(s.dir, 'token');
  const child = await runGhostbridge(['--data', s.data, '--listen', `tcp:127.0.0.1:${ofPort}`, '--api', `127.0.0.1:${apiPort}`, '--api-token', tokenFile, '--privacy', 'drop', '--stats-interval', '0']);
  t.teardown(() => child.kill().catch(() => {}));
  t.true(child.output.some((l) => l.includes(`created the API token file ${tokenFile}`)));
  const base = `http://127.0.0.1:${apiPort}`;
  const status = async () => (await (await fetch(`${base}/status`)).json()) as any;
  // Catch-up: the events logged before run started get indexed from the log.
  await until(async () => (await status()).index?.watermark === s.outputs.length - 1, 20_000, 'the index to catch up');
  const seq = s.outputs.findIndex((o) => o.vector);
  const similar = (await (await fetch(`${base}/similar?seq=${seq}&k=3`)).json()) as any;
  t.is(similar.hits.length, 3);
  // Live: a switch connects (switch.up), then a TCP flow between two hosts: the controller
  // installs an entry for it (flow.start), and the index follows with the pipeline's vector.
  const sw = await FakeSwitch.connect(ofPort, { datapathId: 0x77n });
  t.teardown(() => sw.socket.destroy());
  const A = '02:00:00:00:00:0a';
  const B = '02:00:00:00:00:0b';
  // switch.up is the first event after the catch-up. Packet-ins sent before it is logged race
  // the handshake (their flow.start can land before switch.up; nothing waits on that order).
  await until(async () => (await status()).switches.length === 1, 20_000, 'the switch to be up');
  await until(async () => ((await (await fetch(`${base}/events/${s.outputs.length}`)).json()) as any).event?.action === 'switch.up', 20_000, 'switch.up in the log');
  sw.packetIn(1, ipv4({ src: A, dst: B }, '10.0.0.1', '10.0.0.2', 6, tcp(40000, 443)));
  sw.packetIn(2, ipv4({ src: B, dst: A }, '10.0.0.2', '10.0.0.1', 6, tcp(443, 40000)));
  // The policy counts the entry as soon as it decides on it, before its flow.start is
  // appended: the wait is for the log's last event to be that flow.start, and indexed.
  const recentStart = async () => ((await (await fetch(`${base}/flows/recent?limit=1`)).json()) as any).events[0];
  const live = await until(async () => {
    const last = await recentStart();
    const st = await status();
    return st.switches[0]?.flows === 1 && last?.event.action === 'flow.start' && last.seq === st.log.written_seq && st.index.watermark === st.log.written_seq && st;
  }, 20_000, 'the flow to be installed, logged and indexed');
  t.is(live.switches[0].datapath_id, '0000000000000077');
  const flows = (await (await fetch(`${base}/flows`)).json()) as any;
  const start = await recentStart();
  t.like(start, { event: { action: 'flow.start' }, ghostbridge: { flow: { id: flows.switches[0].flows[0] } } });
  t.is(start.seq, live.log.written_seq);
  const like = (await (await fetch(`${base}/similar?seq=${start.seq}&k=3`)).json()) as any;
  t.is(like.hits.length, 3, 'the live flow.start has a vector in the index');
  const cut = await fetch(`${base}/blocks`, { method: 'POST', headers: { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}` } });
  t.is(cut.status, 201);
  t.is(((await cut.json()) as any).block.lastSeq, live.log.written_seq);
  // SIGTERM with the switch still connected: run closes its session and exits.
  await child.stop();
  const r = await child.proc;
  t.is(r.exitCode, 0, child.output.join('\n'));
  await sw.waitClosed();
  const meta = JSON.parse(readFileSync(`${s.data}.index/meta.json`, 'utf8'));
  t.like(meta, { model: s.model, dimension: 16, watermark: live.log.written_seq + 1 }); // + switch.down
});

for (const [args, message] of [
  [['--api', 'localhost'], /--api must be HOST:PORT/],
  [['--api', '127.0.0.1:99999'], /--api must be HOST:PORT/],
  [['--index', 'DATA/idx'], /is inside --data/],
  [['--index-backend', 'qdrant'], /needs --qdrant-url/],
] as [string[], RegExp][]) {
  test(`run ${args.join(' ')} is refused before anything is created`, async (t) => {
    const dir = await scratch(t);
    const data = join(dir, 'data');
    const r = await execa('bin/ghostbridge', ['run', '--data', data, ...args.map((a) => a.replace('DATA', data))], { reject: false, timeout: 30_000 });
    t.not(r.exitCode, 0);
    t.regex(r.stderr, message);
    t.false(existsSync(data));
  });
}
