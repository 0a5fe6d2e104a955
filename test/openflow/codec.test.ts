// The codec as the controller uses it: messages built in code encode to what the spec
// says, decode back, and bad input is reported clearly.
import test from 'ava';
import {
  BufferWriter, decodeMessage, encodeInto, encodeMessage, EncodeError, ERROR_TYPES, errorCodes, errorName, helloVersions, OFP_NO_BUFFER, OFPP, versionBitmap,
  type FlowMod, type OfpMessage, type PacketOut,
} from '../../openflow/index.ts';

const flowMod: FlowMod = {
  type: 'FLOW_MOD', xid: 0x01020304, cookie: 0xfedcba9876543210n, cookie_mask: 0n, table_id: 0, command: 0,
  idle_timeout: 10, hard_timeout: 0, priority: 100, buffer_id: OFP_NO_BUFFER, out_port: OFPP.ANY,
  out_group: 0xffffffff, flags: 1,
  match: [
    { field: 'in_port', value: 1 },
    { field: 'eth_dst', value: '00:11:22:33:44:55', mask: 'ff:ff:ff:00:00:00' },
    { field: 'eth_type', value: 0x86dd },
    { field: 'ipv6_src', value: '2001:db8::1' },
    { field: 'metadata', value: 1n << 63n },
  ],
  instructions: [
    { type: 'APPLY_ACTIONS', actions: [
      { type: 'SET_FIELD', field: { field: 'ipv4_dst', value: '10.0.0.9' } },
      { type: 'OUTPUT', port: 2, max_len: 0 },
    ] },
    { type: 'GOTO_TABLE', table_id: 1 },
  ],
};
const packetOut: PacketOut = {
  type: 'PACKET_OUT', xid: 5, buffer_id: OFP_NO_BUFFER, in_port: OFPP.CONTROLLER,
  actions: [{ type: 'OUTPUT', port: OFPP.FLOOD, max_len: 0 }], data: Buffer.from('frame bytes'),
};

function roundTrip(msg: OfpMessage): OfpMessage {
  const r = decodeMessage(encodeMessage(msg));
  if (!r.ok) throw new Error(r.error.message);
  return r.message;
}

test('a FLOW_MOD built in code has the spec layout and decodes back unchanged', (t) => {
  const bytes = encodeMessage(flowMod);
  t.is(bytes[0], 4);
  t.is(bytes[1], 14);
  t.is(bytes.readUInt16BE(2), bytes.length);
  t.is(bytes.readUInt32BE(4), 0x01020304);
  t.is(bytes.readBigUInt64BE(8), 0xfedcba9876543210n);
  t.is(bytes.length % 8, 0);
  // match at 48: type OXM, length 4 + 8 + 16 + 6 + 20 + 12 = 66, padded to 72
  t.is(bytes.readUInt16BE(48), 1);
  t.is(bytes.readUInt16BE(50), 66);
  t.deepEqual(roundTrip(flowMod), flowMod);
});

test('IPv6 addresses print in RFC 5952 form', (t) => {
  const m = roundTrip({ ...flowMod, match: [{ field: 'ipv6_dst', value: '2001:0DB8:0000:0000:0001:0000:0000:0001' }] }) as FlowMod;
  t.like(m.match[0], { value: '2001:db8::1:0:0:1' });
});

test('many messages into one reusable writer: one buffer, each message intact', (t) => {
  const w = new BufferWriter(16); // forced to grow
  for (let i = 0; i < 100; i++) {
    encodeInto(w, { ...flowMod, xid: i });
    encodeInto(w, { ...packetOut, xid: i });
  }
  const all = w.finish();
  t.is(w.pos, 0);
  let off = 0;
  for (let i = 0; i < 200; i++) {
    const len = all.readUInt16BE(off + 2);
    const r = decodeMessage(all.subarray(off, off + len));
    t.true(r.ok && r.message.xid === Math.floor(i / 2));
    off += len;
  }
  t.is(off, all.length);
});

test('encoding errors name the problem and leave the writer as it was', (t) => {
  const w = new BufferWriter();
  encodeInto(w, packetOut);
  const before = w.pos;
  const bad = { ...flowMod, match: [{ field: 'eth_src' as const, value: '00:11:22:33:44' }] };
  t.throws(() => encodeInto(w, bad), { instanceOf: EncodeError, message: /FLOW_MOD: not a MAC address: "00:11:22:33:44"/ });
  t.is(w.pos, before);
  t.throws(() => encodeMessage({ ...flowMod, priority: 70000 }), { instanceOf: EncodeError, message: /70000 does not fit an unsigned 16-bit/ });
  t.throws(() => encodeMessage({ ...flowMod, cookie: 5 as unknown as bigint }), { instanceOf: EncodeError, message: /cookie must be a bigint/ });
  t.throws(() => encodeMessage({ type: 'NOPE', xid: 1 } as unknown as OfpMessage), { instanceOf: EncodeError, message: /unknown message type "NOPE"/ });
});

test('decode errors are values naming what is wrong', (t) => {
  const bytes = encodeMessage(flowMod);
  t.like(decodeMessage(bytes.subarray(0, 5)), { ok: false, error: { code: 'SHORT_HEADER' } });
  const short = decodeMessage(bytes.subarray(0, 40));
  t.like(short, { ok: false, error: { code: 'BAD_LENGTH' } });
  t.regex(short.ok ? '' : short.error.message, /says 168 bytes, 40 given/);
  const v1 = Buffer.from(bytes);
  v1[0] = 1;
  t.like(decodeMessage(v1), { ok: false, error: { code: 'BAD_VERSION' } });
  const badType = Buffer.from(bytes);
  badType[1] = 77;
  t.like(decodeMessage(badType), { ok: false, error: { code: 'BAD_TYPE', message: 'unknown message type 77' } });
  const badAction = Buffer.from(bytes);
  // instructions at 120; APPLY_ACTIONS header 8, SET_FIELD 16, then OUTPUT: its length at 146
  t.is(badAction.readUInt16BE(146), 16);
  badAction.writeUInt16BE(3, 146);
  const r = decodeMessage(badAction);
  t.like(r, { ok: false, error: { code: 'BAD_BODY' } });
  t.regex(r.ok ? '' : r.error.message, /^FLOW_MOD: .*length/);
});

test('HELLO: version negotiation helpers agree with the wire bitmap', (t) => {
  const offer = { type: 'HELLO' as const, xid: 1, version: 6, elements: [versionBitmap([1, 4, 6, 33])] };
  t.deepEqual(offer.elements[0], { type: 'VERSIONBITMAP', bitmaps: [0b1010010, 0b10] });
  t.deepEqual(helloVersions(roundTrip(offer) as typeof offer), [1, 4, 6, 33]);
  t.deepEqual(helloVersions({ type: 'HELLO', xid: 1, version: 4, elements: [] }), [4]);
});

test('HELLO keeps its version and bitmap', (t) => {
  const hello = encodeMessage({ type: 'HELLO', xid: 1, version: 6, elements: [{ type: 'VERSIONBITMAP', bitmaps: [0b1011010] }] });
  t.is(hello.length, 16);
  t.deepEqual(decodeMessage(hello), { ok: true, message: { type: 'HELLO', xid: 1, version: 6, elements: [{ type: 'VERSIONBITMAP', bitmaps: [0b1011010] }] } });
});

test('every OF1.3 error type and code has its name, and round-trips as an ERROR message', (t) => {
  let pairs = 0;
  for (const [typeName, { type, codes }] of Object.entries(ERROR_TYPES)) {
    codes.forEach((codeName, code) => {
      const msg: OfpMessage = { type: 'ERROR', xid: 9, err_type: type, code, data: Buffer.from('offending message') };
      t.deepEqual(roundTrip(msg), msg);
      t.is(errorName(type, code), `${typeName}.${codeName}`);
      pairs++;
    });
  }
  t.is(pairs, 2 + 14 + 16 + 9 + 12 + 8 + 15 + 5 + 3 + 3 + 3 + 3 + 12 + 6, 'all 111 codes of the spec');
  t.deepEqual(errorCodes('HELLO_FAILED', 'INCOMPATIBLE'), { err_type: 0, code: 0 });
  t.deepEqual(errorCodes('BAD_ACTION', 'UNSUPPORTED_ORDER'), { err_type: 2, code: 11 });
  t.is(errorName(0xffff, 5), 'EXPERIMENTER');
  t.is(errorName(99, 1), 'UNKNOWN_TYPE_99.1');
  const exp: OfpMessage = { type: 'ERROR', xid: 1, err_type: 0xffff, code: 60000, experimenter: 999999, data: Buffer.from('x') };
  t.deepEqual(roundTrip(exp), exp);
});
