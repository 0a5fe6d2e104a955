// The decoder's internal failure signal. Deep helpers throw `Malformed`; `decodeMessage`
// catches it (and nothing escapes it) and returns it as a `DecodeError` value.
import type { DecodeErrorCode } from './types.ts';

export class Malformed extends Error {
  code: DecodeErrorCode;
  constructor(code: DecodeErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Require `need` bytes at `off` before `end`. */
export function need(off: number, need: number, end: number, what: string): void {
  if (off + need > end) throw new Malformed('BAD_BODY', `${what}: needs ${need} bytes at offset ${off}, only ${Math.max(0, end - off)} left`);
}
