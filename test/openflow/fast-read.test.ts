// The hot path's readers of PACKET_IN and FLOW_REMOVED (openflow/fast-read.ts) against the
// general decoder, over generated messages and mutations of them: a view is filled exactly
// when decodeMessage decodes the bytes (so malformed input always reaches the decoder and
// its error), and then holds the same values.
import test, { type ExecutionContext } from 'ava';
import { decodeMessage, emptyFlowRemovedView, emptyPacketInView, encodeMessage, OFP_NO_BUFFER, u64At, viewFlowRemoved, viewPacketIn } from '../../openflow/index.ts';
import type { DecodeResult, Match, OxmField } from '../../openflow/index.ts';
import { randInt, rng } from './random.ts';

type Rand = () => number;

/** A match of a few fields: in_port somewhere (or not), other basic fields, masks, other classes. */
function randomMatch(r: Rand): Match {
  const fields: OxmField[] = [];
  const n = randInt(r, 4);
  for (let i = 0; i < n; i++) {
    const pick = randInt(r, 5);
    if (pick === 0) fields.push({ field: 'metadata', value: BigInt(randInt(r, 1e9)), ...(r() < 0.5 ? { mask: 0xffffn } : {}) });
    else if (pick === 1) fields.push({ field: 'tunnel_id', value: BigInt(randInt(r, 1e9)) });
    else if (pick === 2) fields.push({ field: 'eth_type', value: 0x0800 });
    else if (pick === 3) fields.push({ field: 'raw', oxm_class: 0xffff, oxm_field: randInt(r, 128), hasmask: false, data: Uint8Array.from({ length: randInt(r, 12) }, () => randInt(r, 256)) });
    else fields.push({ field: 'in_port', value: randInt(r, 0xffffffff), ...(r() < 0.2 ? { mask: 0xff } : {}) } as OxmField);
  }
  if (r() < 0.85) fields.splice(randInt(r, fields.length + 1), 0, { field: 'in_port', value: r() < 0.1 ? 0xfffffffe : 1 + randInt(r, 64) });
  return fields;
}

function packetIn(r: Rand): Buffer {
  const data = Uint8Array.from({ length: randInt(r, 100) }, () => randInt(r, 256));
  return encodeMessage({
    type: 'PACKET_IN', xid: randInt(r, 1e6), buffer_id: r() < 0.5 ? OFP_NO_BUFFER : randInt(r, 1e6), total_len: randInt(r, 0x10000),
    reason: randInt(r, 3), table_id: randInt(r, 255), cookie: BigInt(randInt(r, 1e9)), match: randomMatch(r), data,
  });
}

function flowRemoved(r: Rand): Buffer {
  return encodeMessage({
    type: 'FLOW_REMOVED', xid: randInt(r, 1e6), cookie: (0x47n << 56n) | BigInt(randInt(r, 2 ** 53)), priority: 100, reason: randInt(r, 5), table_id: 0,
    duration_sec: randInt(r, 2 ** 32), duration_nsec: randInt(r, 1e9), idle_timeout: randInt(r, 0x10000), hard_timeout: randInt(r, 0x10000),
    packet_count: r() < 0.2 ? 0xffffffffffffffffn : BigInt(randInt(r, 2 ** 40)), byte_count: (BigInt(randInt(r, 2 ** 32)) << 32n) | BigInt(randInt(r, 2 ** 32)), match: randomMatch(r),
  });
}

/** The message as sent, or broken in one of the ways a bad switch (or a bit flip) breaks it. */
function mutate(r: Rand, b: Buffer): Buffer {
  const m = Buffer.from(b);
  switch (randInt(r, 6)) {
    case 0:
      return m;
    case 1: // a byte of the fixed part or the match changed
      m[randInt(r, Math.min(m.length, 64))] = randInt(r, 256);
      return m;
    case 2: { // cut short, header length following
      const cut = m.subarray(0, randInt(r, m.length));
      if (cut.length >= 4) cut.writeUInt16BE(cut.length, 2);
      return Buffer.from(cut);
    }
    case 3: { // bytes appended
      const longer = Buffer.concat([m, Buffer.alloc(1 + randInt(r, 9), randInt(r, 256))]);
      longer.writeUInt16BE(longer.length, 2);
      return longer;
    }
    case 4: { // the match's length, or a byte near the first OXM lengths, off by a little
      const matchAt = m[1] === 11 ? 48 : 24;
      const at = matchAt + 3 + 4 * randInt(r, 4);
      if (at < m.length) m[at] = (m[at]! + randInt(r, 9) - 4) & 0xff;
      return m;
    }
    default: // a header length that disagrees with the size, or another version
      if (r() < 0.5) m.writeUInt16BE(randInt(r, 0x10000), 2);
      else m[0] = randInt(r, 6);
      return m;
  }
}

/**
 * 20,000 generated messages, each maybe broken (mutate), through a view and the decoder:
 * `expected` is the decoded message the view must accept (undefined: it must refuse), and
 * `same` says whether the filled view holds that message's values. Both outcomes must occur
 * often, or the test proves nothing.
 */
function agree<M>(t: ExecutionContext, seed: number, make: (r: Rand) => Buffer, view: (b: Buffer) => boolean, expected: (d: DecodeResult) => M | undefined, same: (b: Buffer, m: M) => boolean): void {
  const r = rng(seed);
  let viewed = 0;
  let rejected = 0;
  for (let i = 0; i < 20_000; i++) {
    const b = mutate(r, make(r));
    const d = decodeMessage(b);
    const m = expected(d);
    const ok = view(b);
    if (ok !== (m !== undefined)) return t.fail(`view ${ok}, decoder ${JSON.stringify(d.ok ? d.message.type : d.error)} for ${b.toString('hex')}`);
    if (m === undefined) rejected++;
    else if (same(b, m)) viewed++;
    else return t.fail(`the view differs from the decoded message for ${b.toString('hex')}`);
  }
  t.true(viewed > 5_000 && rejected > 5_000, `${viewed} viewed, ${rejected} left to the decoder`);
}

test('viewPacketIn is filled exactly when decodeMessage decodes a PACKET_IN with an in_port, and agrees with it', (t) => {
  const v = emptyPacketInView();
  agree(t, 7, packetIn, (b) => viewPacketIn(b, v), (d) => {
    const field = d.ok && d.message.type === 'PACKET_IN' ? d.message.match.find((f) => f.field === 'in_port') : undefined;
    return field && field.field !== 'raw' && d.ok && d.message.type === 'PACKET_IN' ? { m: d.message, inPort: Number(field.value) } : undefined;
  }, (b, { m, inPort }) => v.bufferId === m.buffer_id && v.totalLen === m.total_len && v.inPort === inPort && b.subarray(v.dataAt).equals(m.data));
});

test('viewFlowRemoved is filled exactly when decodeMessage decodes a FLOW_REMOVED, and agrees with it', (t) => {
  const v = emptyFlowRemovedView();
  agree(t, 11, flowRemoved, (b) => viewFlowRemoved(b, v), (d) => (d.ok && d.message.type === 'FLOW_REMOVED' ? d.message : undefined), (b, m) =>
    ((BigInt(v.cookieHigh) << 32n) | BigInt(v.cookieLow)) === m.cookie && v.reason === m.reason
    && v.durationSec === m.duration_sec && v.durationNsec === m.duration_nsec && v.idleTimeout === m.idle_timeout
    && v.hardTimeout === m.hard_timeout && u64At(b, v.countsAt) === m.packet_count && u64At(b, v.countsAt + 8) === m.byte_count);
});
