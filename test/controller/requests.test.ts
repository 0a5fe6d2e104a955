import test from 'ava';
import { Requests, RequestError, multipartBodies } from '../../controller/requests.ts';
import type { FlowStats, OfpMessage } from '../../openflow/index.ts';

test('a reply settles its request by xid; other xids are not ours', async (t) => {
  const r = new Requests();
  const xid = r.xid();
  const p = r.expect(xid, 'barrier', 1_000);
  t.false(r.settle({ type: 'BARRIER_REPLY', xid: xid + 1 }));
  t.true(r.settle({ type: 'BARRIER_REPLY', xid }));
  t.deepEqual(await p, [{ type: 'BARRIER_REPLY', xid }]);
  t.is(r.size, 0);
});

test('an error with the request\'s xid rejects it, carrying the error', async (t) => {
  const r = new Requests();
  const p = r.expect(7, 'role master', 1_000);
  r.settle({ type: 'ERROR', xid: 7, err_type: 11, code: 2, data: new Uint8Array(0) });
  const err = await t.throwsAsync(p, { instanceOf: RequestError, message: /role master \(xid 7\) failed: error type 11 code 2/ });
  t.is(err?.error?.err_type, 11);
});

test('no reply in time rejects, and the request is forgotten', async (t) => {
  const r = new Requests();
  await t.throwsAsync(r.expect(3, 'features', 30), { message: /features \(xid 3\): no reply within 30 ms/ });
  t.is(r.size, 0);
  t.false(r.settle({ type: 'FEATURES_REPLY', xid: 3, datapath_id: 1n, n_buffers: 0, n_tables: 1, auxiliary_id: 0, capabilities: 0, reserved: 0 }), 'a late reply is not taken');
});

test('multipart parts flagged REPLY_MORE are gathered until the last', async (t) => {
  const r = new Requests();
  const p = r.expect(9, 'flow stats', 1_000);
  const part = (flags: number, n: number): OfpMessage => ({ type: 'MULTIPART_REPLY', xid: 9, flags, multipart_type: 'FLOW', body: Array.from({ length: n }, () => ({}) as FlowStats) });
  r.settle(part(1, 2));
  r.settle(part(1, 3));
  t.is(r.size, 1, 'still waiting after parts with MORE');
  r.settle(part(0, 1));
  const parts = await p;
  t.is(parts.length, 3);
  t.is(multipartBodies<FlowStats>(parts).length, 6);
});

test('closing rejects everything waiting, with the reason', async (t) => {
  const r = new Requests();
  const a = r.expect(1, 'echo', 60_000);
  const b = r.expect(2, 'barrier', 60_000);
  r.close('switch gone');
  await t.throwsAsync(a, { message: /echo \(xid 1\): switch gone/ });
  await t.throwsAsync(b, { message: /barrier \(xid 2\): switch gone/ });
  t.is(r.size, 0);
});

test('xids are never 0 and wrap before 2^32 - 1', (t) => {
  const r = new Requests();
  const seen = new Set([r.xid(), r.xid(), r.xid()]);
  t.false(seen.has(0));
  t.is(seen.size, 3);
});
