// `ghostbridge run` refuses bad options with a clear message before touching anything.
import test from 'ava';
import { execa } from 'execa';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cases: [string[], RegExp][] = [
  [['--listen', 'tcp:127.0.0.1'], /bad listen address "tcp:127.0.0.1"/],
  [['--listen', 'udp:127.0.0.1:6653'], /bad listen address/],
  [['--idle-timeout', '-1'], /--idle-timeout must be a whole number of seconds/],
  [['--hard-timeout', '70000'], /--hard-timeout must be a whole number of seconds/],
  [['--generation-id', '12x'], /--generation-id must be an unsigned 64-bit integer/],
  [['--listen', 'ssl:127.0.0.1:0'], /an ssl: listener needs --tls-key/],
  [['--block-every', '-5'], /--block-every must be a number of seconds ≥ 0/],
  [['--block-events', '2.5'], /--block-events must be a whole number ≥ 0/],
  [['--keep-snapshots', '0'], /--keep-snapshots must be a whole number ≥ 1/],
];

for (const [args, message] of cases) {
  test(`run ${args.join(' ')} is refused`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'gb-run-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const data = join(dir, 'data');
    const r = await execa('bin/ghostbridge', ['run', '--data', data, ...args], { reject: false, timeout: 30_000 });
    t.not(r.exitCode, 0);
    t.regex(r.stderr, message);
    t.false(existsSync(data), 'nothing was created');
  });
}
