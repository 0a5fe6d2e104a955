// The body codec of each message type (everything after the 8-byte header). Multipart
// bodies live in multipart.ts. `b` is exactly one message: b.length is its header length.
import { readActions, writeActions } from './actions.ts';
import type { BufferWriter } from './buffer-writer.ts';
import { EncodeError } from './buffer-writer.ts';
import { OFPET_EXPERIMENTER } from './errors.ts';
import type { MessageTypeName } from './constants.ts';
import { readList } from './list.ts';
import { Malformed, need } from './malformed.ts';
import { readMultipart, writeMultipart } from './multipart.ts';
import { matchSize, readMatch, writeMatch } from './oxm.ts';
import * as S from './structs.ts';
import { BANDS, BUCKETS, MATCH_AND_INSTRUCTIONS, MATCH_ONLY, type Tail } from './tails.ts';
import type { Layout } from './layout.ts';
import type * as T from './types.ts';

const H = 8; // ofp_header

export interface BodyCodec<M extends T.OfpMessage> {
  read(b: Buffer, xid: number, version: number): M;
  write(w: BufferWriter, m: M): void;
}

/** A message with a fixed-size body must be exactly that long: trailing bytes are an error. */
function exactly(b: Buffer, size: number, what: string): void {
  if (b.length !== H + size) throw new Malformed('BAD_LENGTH', `${what}: length ${b.length}, expected ${H + size}`);
}

function empty<K extends T.OfpMessageType>(type: K): BodyCodec<T.MessageOf<K>> {
  return {
    read(b, xid) {
      exactly(b, 0, type);
      return { type, xid } as T.MessageOf<K>;
    },
    write() {},
  };
}

function payload<K extends 'ECHO_REQUEST' | 'ECHO_REPLY'>(type: K): BodyCodec<T.MessageOf<K>> {
  return {
    read: (b, xid) => ({ type, xid, data: b.subarray(H) }) as T.MessageOf<K>,
    write: (w, m) => w.bytes((m as T.EchoRequest).data),
  };
}

function fixed<K extends T.OfpMessageType, F extends object>(
  type: K,
  layout: { size: number; read(b: Uint8Array, off: number, end: number): F; write(w: BufferWriter, v: F): void },
): BodyCodec<T.MessageOf<K>> {
  return {
    read(b, xid) {
      exactly(b, layout.size, type);
      return { type, xid, ...layout.read(b, H, b.length) } as unknown as T.MessageOf<K>;
    },
    write: (w, m) => layout.write(w, m as unknown as F),
  };
}

const HELLO_ELEMENT = { what: 'hello element', lengthAt: 2, minLength: 4, paddedTo8: true };
const OFPHET_VERSIONBITMAP = 1;

const hello: BodyCodec<T.Hello> = {
  read(b, xid, version) {
    const elements = readList(b, H, b.length, HELLO_ELEMENT, (at, len): T.HelloElement => {
      const type = b.readUInt16BE(at);
      if (type !== OFPHET_VERSIONBITMAP) return { type: 'UNKNOWN', element_type: type, data: b.subarray(at + 4, at + len) };
      if ((len & 3) !== 0) throw new Malformed('BAD_BODY', `version bitmap length ${len} is not a multiple of 4`);
      const bitmaps: number[] = [];
      for (let p = at + 4; p < at + len; p += 4) bitmaps.push(b.readUInt32BE(p));
      return { type: 'VERSIONBITMAP', bitmaps };
    });
    return { type: 'HELLO', xid, version, elements };
  },
  write(w, m) {
    for (const e of m.elements) {
      const start = w.pos;
      w.u16(e.type === 'VERSIONBITMAP' ? OFPHET_VERSIONBITMAP : e.element_type);
      w.u16(0);
      if (e.type === 'VERSIONBITMAP') for (const bm of e.bitmaps) w.u32(bm);
      else w.bytes(e.data);
      w.patchU16(start + 2, w.pos - start);
      w.pad8(start);
    }
  },
};

const error: BodyCodec<T.ErrorMsg> = {
  read(b, xid) {
    const h = S.errorHead.read(b, H, b.length);
    if (h.err_type !== OFPET_EXPERIMENTER) return { type: 'ERROR', xid, err_type: h.err_type, code: h.code, data: b.subarray(H + 4) };
    need(H + 4, 4, b.length, 'experimenter error');
    return { type: 'ERROR', xid, err_type: h.err_type, code: h.code, experimenter: b.readUInt32BE(H + 4), data: b.subarray(H + 8) };
  },
  write(w, m) {
    S.errorHead.write(w, m);
    if (m.err_type === OFPET_EXPERIMENTER) {
      if (m.experimenter === undefined) throw new EncodeError('an experimenter ERROR (err_type 65535) needs `experimenter`');
      w.u32(m.experimenter);
    }
    w.bytes(m.data);
  },
};

const experimenter: BodyCodec<T.Experimenter> = {
  read(b, xid) {
    const h = S.experimenterHead.read(b, H, b.length);
    return { type: 'EXPERIMENTER', xid, experimenter: h.experimenter, exp_type: h.exp_type, data: b.subarray(H + 8) };
  },
  write(w, m) {
    S.experimenterHead.write(w, m);
    w.bytes(m.data);
  },
};

const PACKET_IN_MATCH = H + S.packetIn.size;
const packetIn: BodyCodec<T.PacketIn> = {
  read(b, xid) {
    const f = S.packetIn.read(b, H, b.length);
    const match = readMatch(b, PACKET_IN_MATCH, b.length);
    const dataAt = PACKET_IN_MATCH + matchSize(b, PACKET_IN_MATCH) + 2;
    need(dataAt - 2, 2, b.length, 'packet_in padding');
    return {
      type: 'PACKET_IN', xid, buffer_id: f.buffer_id, total_len: f.total_len, reason: f.reason,
      table_id: f.table_id, cookie: f.cookie, match, data: b.subarray(dataAt),
    };
  },
  write(w, m) {
    S.packetIn.write(w, m);
    writeMatch(w, m.match);
    w.zeros(2);
    w.bytes(m.data);
  },
};

const portStatus: BodyCodec<T.PortStatus> = {
  read(b, xid) {
    exactly(b, S.portStatus.size + S.port.size, 'PORT_STATUS');
    return { type: 'PORT_STATUS', xid, reason: S.portStatus.read(b, H, b.length).reason, desc: { ...S.port.read(b, H + 8, b.length) } };
  },
  write(w, m) {
    S.portStatus.write(w, m);
    S.port.write(w, m.desc);
  },
};

const PACKET_OUT_ACTIONS = H + S.packetOut.size;
const packetOut: BodyCodec<T.PacketOut> = {
  read(b, xid) {
    const f = S.packetOut.read(b, H, b.length);
    const end = PACKET_OUT_ACTIONS + f.actions_len;
    need(PACKET_OUT_ACTIONS, f.actions_len, b.length, 'packet_out actions');
    return {
      type: 'PACKET_OUT', xid, buffer_id: f.buffer_id, in_port: f.in_port,
      actions: readActions(b, PACKET_OUT_ACTIONS, end), data: b.subarray(end),
    };
  },
  write(w, m) {
    const start = w.pos;
    S.packetOut.write(w, { buffer_id: m.buffer_id, in_port: m.in_port, actions_len: 0 });
    writeActions(w, m.actions);
    w.patchU16(start + 8, w.pos - start - S.packetOut.size);
    w.bytes(m.data);
  },
};

/** A message that is a fixed struct and then a tail (buckets, bands, a match). */
function headAndTail<K extends T.OfpMessageType>(type: K, head: Layout<any>, tail: Tail<any>): BodyCodec<T.MessageOf<K>> {
  return {
    read: (b, xid) => ({ type, xid, ...head.read(b, H, b.length), ...tail.read(b, H + head.size, b.length) }) as T.MessageOf<K>,
    write(w, m) {
      head.write(w, m);
      tail.write(w, m);
    },
  };
}

// Queues and their properties carry exact, unpadded lengths (real switches send e.g. 17).
const QUEUE = { what: 'packet queue', lengthAt: 8, minLength: S.packetQueue.size };
const QUEUE_PROP = { what: 'queue property', lengthAt: 2, minLength: S.queuePropHead.size };
const OFPQT = { MIN_RATE: 1, MAX_RATE: 2, EXPERIMENTER: 0xffff } as const;

function readQueueProperty(b: Buffer, at: number, len: number): T.QueueProperty {
  const property = b.readUInt16BE(at);
  if (property === OFPQT.MIN_RATE || property === OFPQT.MAX_RATE) {
    if (len !== 16) throw new Malformed('BAD_BODY', `queue rate property length ${len}, expected 16`);
    return { property: property === OFPQT.MIN_RATE ? 'MIN_RATE' : 'MAX_RATE', rate: b.readUInt16BE(at + 8) };
  }
  if (property === OFPQT.EXPERIMENTER) {
    need(at, 16, at + len, 'queue experimenter property');
    return { property: 'EXPERIMENTER', experimenter: b.readUInt32BE(at + 8), data: b.subarray(at + 16, at + len) };
  }
  throw new Malformed('BAD_TYPE', `unknown queue property ${property} at offset ${at}`);
}

const queueGetConfigReply: BodyCodec<T.QueueGetConfigReply> = {
  read(b, xid) {
    const { port } = S.queueGetConfig.read(b, H, b.length);
    const queues = readList(b, H + 8, b.length, QUEUE, (at, len) => {
      const q = S.packetQueue.read(b, at, at + len);
      const properties = readList(b, at + 16, at + len, QUEUE_PROP, (pat, plen) => readQueueProperty(b, pat, plen));
      return { queue_id: q.queue_id, port: q.port, properties };
    });
    return { type: 'QUEUE_GET_CONFIG_REPLY', xid, port, queues };
  },
  write(w, m) {
    S.queueGetConfig.write(w, m);
    for (const q of m.queues) {
      const qStart = w.pos;
      S.packetQueue.write(w, q);
      for (const p of q.properties) {
        const pStart = w.pos;
        S.queuePropHead.write(w, { property: OFPQT[p.property] });
        if (p.property === 'EXPERIMENTER') {
          w.u32(p.experimenter);
          w.zeros(4);
          w.bytes(p.data);
        } else {
          w.u16(p.rate);
          w.zeros(6);
        }
        w.patchU16(pStart + 2, w.pos - pStart);
      }
      w.patchU16(qStart + 8, w.pos - qStart);
    }
  },
};

export const MESSAGE_CODECS: { [K in MessageTypeName]: BodyCodec<T.MessageOf<K>> } = {
  HELLO: hello,
  ERROR: error,
  ECHO_REQUEST: payload('ECHO_REQUEST'),
  ECHO_REPLY: payload('ECHO_REPLY'),
  EXPERIMENTER: experimenter,
  FEATURES_REQUEST: empty('FEATURES_REQUEST'),
  FEATURES_REPLY: fixed('FEATURES_REPLY', S.featuresReply),
  GET_CONFIG_REQUEST: empty('GET_CONFIG_REQUEST'),
  GET_CONFIG_REPLY: fixed('GET_CONFIG_REPLY', S.switchConfig),
  SET_CONFIG: fixed('SET_CONFIG', S.switchConfig),
  PACKET_IN: packetIn,
  FLOW_REMOVED: headAndTail('FLOW_REMOVED', S.flowRemoved, MATCH_ONLY),
  PORT_STATUS: portStatus,
  PACKET_OUT: packetOut,
  FLOW_MOD: headAndTail('FLOW_MOD', S.flowMod, MATCH_AND_INSTRUCTIONS),
  GROUP_MOD: headAndTail('GROUP_MOD', S.groupMod, BUCKETS),
  PORT_MOD: fixed('PORT_MOD', S.portMod),
  TABLE_MOD: fixed('TABLE_MOD', S.tableMod),
  MULTIPART_REQUEST: { read: (b, xid) => readMultipart(b, xid, false) as T.MultipartRequest, write: writeMultipart },
  MULTIPART_REPLY: { read: (b, xid) => readMultipart(b, xid, true) as T.MultipartReply, write: writeMultipart },
  BARRIER_REQUEST: empty('BARRIER_REQUEST'),
  BARRIER_REPLY: empty('BARRIER_REPLY'),
  QUEUE_GET_CONFIG_REQUEST: fixed('QUEUE_GET_CONFIG_REQUEST', S.queueGetConfig),
  QUEUE_GET_CONFIG_REPLY: queueGetConfigReply,
  ROLE_REQUEST: fixed('ROLE_REQUEST', S.role),
  ROLE_REPLY: fixed('ROLE_REPLY', S.role),
  GET_ASYNC_REQUEST: empty('GET_ASYNC_REQUEST'),
  GET_ASYNC_REPLY: fixed('GET_ASYNC_REPLY', S.asyncConfig),
  SET_ASYNC: fixed('SET_ASYNC', S.asyncConfig),
  METER_MOD: headAndTail('METER_MOD', S.meterMod, BANDS),
};
