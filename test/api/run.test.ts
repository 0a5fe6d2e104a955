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

test('ghostbridge run serves the API and keeps the vector index up to the log', async (t) => {
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
  // Live: a switch connects; its switch.up event is logged and the watermark follows.
  const sw = await FakeSwitch.connect(ofPort, { datapathId: 0x77n });
  t.teardown(() => sw.socket.destroy());
  const live = await until(async () => {
    const st = await status();
    return st.switches.length === 1 && st.index.watermark === s.outputs.length && st;
  }, 20_000, 'the switch.up event to be logged and indexed');
  t.deepEqual(live.switches, [{ datapath_id: '0000000000000077', flows: 0 }]);
  t.is(live.log.written_seq, s.outputs.length);
  const cut = await fetch(`${base}/blocks`, { method: 'POST', headers: { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}` } });
  t.is(cut.status, 201);
  t.is(((await cut.json()) as any).block.lastSeq, s.outputs.length);
  // Disconnect first: Controller.stop() waits for server.close(), which waits for every open
  // switch connection to end (reported to the controller's owner).
  sw.socket.destroy();
  await until(async () => (await status()).switches.length === 0, 5_000, 'the switch to be gone');
  await child.stop();
  const r = await child.proc;
  t.is(r.exitCode, 0, child.output.join('\n'));
  const meta = JSON.parse(readFileSync(`${s.data}.index/meta.json`, 'utf8'));
  t.like(meta, { model: s.model, dimension: 16, watermark: s.outputs.length + 1 }); // + switch.down
});

for (const [args, message] of [
  [['--api', 'localhost'], /--api must be HOST:PORT/],
  [['--api', '127.0.0.1:99999'], /--api must be HOST:PORT/],
  [['--index', 'DATA/idx'], /is inside --data/],
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
