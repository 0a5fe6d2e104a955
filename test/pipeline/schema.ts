// Validates events against docs/events.schema.json with ajv. Formats are checked with
// Node's own parsers (ipv4/ipv6 with node:net, date-time as an ISO timestamp).
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { Ajv } from 'ajv';
import type { ExecutionContext } from 'ava';

const schema = JSON.parse(readFileSync(new URL('../../docs/events.schema.json', import.meta.url), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
ajv.addFormat('ipv4', (s: string) => isIPv4(s));
ajv.addFormat('ipv6', (s: string) => isIPv6(s));
ajv.addFormat('date-time', (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(s) && !Number.isNaN(Date.parse(s)));
const validate = ajv.compile(schema);

/** Fails the test with ajv's messages for every event that does not match the schema. */
export function assertValidEvents(t: ExecutionContext, events: object[]): void {
  let bad = 0;
  for (const event of events) {
    if (!validate(event)) {
      if (bad++ < 3) t.fail(`schema: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(event)}`);
    }
  }
  t.is(bad, 0, `${bad} of ${events.length} events fail the schema`);
}

export function isValidEvent(event: object): boolean {
  return validate(event) as boolean;
}
