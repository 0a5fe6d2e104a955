// Group buckets (ofp_bucket), shared by GROUP_MOD and the GROUP_DESC reply.
import { readActions, writeActions } from './actions.ts';
import type { BufferWriter } from './buffer-writer.ts';
import { readList } from './list.ts';
import * as S from './structs.ts';
import type { Bucket } from './types.ts';

const SHAPE = { what: 'bucket', lengthAt: 0, minLength: S.bucket.size, multipleOf8: true };

export function readBuckets(b: Buffer, off: number, end: number): Bucket[] {
  return readList(b, off, end, SHAPE, (at, len) => {
    const h = S.bucket.read(b, at, at + len);
    return { weight: h.weight, watch_port: h.watch_port, watch_group: h.watch_group, actions: readActions(b, at + S.bucket.size, at + len) };
  });
}

export function writeBuckets(w: BufferWriter, buckets: Bucket[]): void {
  for (const bucket of buckets) {
    const start = w.pos;
    S.bucket.write(w, bucket);
    writeActions(w, bucket.actions);
    w.patchU16(start, w.pos - start);
  }
}
