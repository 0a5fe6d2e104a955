// Crash safety on real btrfs: a writer appending under load (with block cuts and snapshots)
// is SIGKILLed at random moments, again and again. After each kill the data verifies, no
// event the writer reported as fsynced is missing, and the next writer continues the seq
// with no gap.
import test from 'ava';
import { execa } from 'execa';
import { verify } from '../../storage/index.ts';
import { useBtrfs } from './btrfs-fixture.ts';

const btrfs = useBtrfs(test);
const KILLS = 24;

test(`${KILLS} SIGKILLs under load: verify passes, fsynced events survive, seq has no gap`, async (t) => {
  t.timeout(120_000);
  const dir = await btrfs.initialised(t);
  if (!dir) return;
  let events = 0;
  let maxDurable = -1;
  const repairs: string[] = [];
  for (let k = 0; k < KILLS; k++) {
    const child = execa('node_modules/.bin/node', ['test/storage/fixtures/append-child.ts', dir, k % 2 ? 'batch' : 'fsync'], { reject: false, buffer: false });
    t.teardown(() => child.kill('SIGKILL'));
    let out = '';
    let opened = -1;
    const ready = new Promise<void>((ok) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^opened (\d+)$/m.exec(out);
        if (m && opened < 0) {
          opened = Number(m[1]);
          ok();
        }
      });
      child.on('exit', () => ok());
    });
    await ready;
    t.is(opened, events, `run ${k}: the writer continues at the seq after the last one on disk`);
    await new Promise((ok) => setTimeout(ok, 40 + Math.random() * 300));
    child.kill('SIGKILL');
    const result = await child;
    t.is(result.signal, 'SIGKILL', `run ${k} must still be running when killed: ${out.slice(-300)}`);
    for (const m of out.matchAll(/^durable (\d+)$/gm)) maxDurable = Math.max(maxDurable, Number(m[1]));
    for (const m of out.matchAll(/^repaired (.*)$/gm)) repairs.push(m[1]);
    t.notRegex(out, /^error /m);

    const report = (await verify(dir));
    t.deepEqual(report.problems, [], `run ${k}`);
    t.true(report.events > maxDurable, `run ${k}: ${report.events} events on disk, ${maxDurable} reported durable`);
    t.true(report.events >= events, `run ${k}: the log never shrinks`);
    events = report.events;
  }
  const last = (await verify(dir));
  t.true(last.blocks > 0 && last.snapshots > 0);
  t.log(`${events} events, ${last.blocks} blocks, ${last.snapshots} snapshots kept, repairs at start: ${repairs.length ? repairs.join('; ') : 'none'}`);
});
