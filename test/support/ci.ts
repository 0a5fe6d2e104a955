// Integration tests need root, Open vSwitch or btrfs. On a developer's machine without them
// a test may be skipped; in CI (CI=true) a missing prerequisite is a failure, never a skip.
import type { ExecutionContext } from 'ava';

export const inCI = process.env.CI === 'true' || process.env.CI === '1';

/** Fails the test in CI, and returns false elsewhere, when a prerequisite is missing. */
export function prerequisite(t: ExecutionContext, ok: boolean, what: string): boolean {
  if (ok) return true;
  if (inCI) t.fail(`prerequisite missing in CI: ${what}`);
  else t.log(`not run here, prerequisite missing: ${what}`);
  return false;
}
