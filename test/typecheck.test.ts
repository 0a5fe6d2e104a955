import test from 'ava';
import { execa } from 'execa';

// The code runs by type stripping, which checks no types: this is where they are checked.
// A test of its own, so that one type error shows as one failure instead of hiding the rest.
test('the whole tree type-checks under strict TypeScript', async (t) => {
  const run = await execa('npx', ['tsc', '-p', '.'], { reject: false, all: true });
  t.is(run.exitCode, 0, run.all);
});
