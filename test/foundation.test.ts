import test from 'ava';
import { execa } from 'execa';

test('the ghostbridge command runs under the project Node and prints its help', async (t) => {
  const { stdout, exitCode } = await execa('bin/ghostbridge', ['--help'], { reject: false });
  t.is(exitCode, 0);
  t.regex(stdout, /ghostbridge/);
});

test('the tests run on Node 22.18 or newer', (t) => {
  const [major, minor] = process.versions.node.split('.').map(Number);
  t.true(major > 22 || (major === 22 && minor >= 18), `node ${process.versions.node}`);
});
