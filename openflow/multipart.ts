// MULTIPART_REQUEST / MULTIPART_REPLY bodies (spec 7.3.5), one codec per multipart type
// and direction.
import type { BufferWriter } from './buffer-writer.ts';
import { EncodeError } from './buffer-writer.ts';
import { multipartTypeCode, multipartTypeName, type MultipartTypeName } from './constants.ts';
import type { Layout } from './layout.ts';
import type { ListShape } from './list.ts';
import { Malformed } from './malformed.ts';
import * as S from './structs.ts';
import { BANDS, BUCKETS, entries, MATCH_AND_INSTRUCTIONS, MATCH_ONLY, repeated, type Tail } from './tails.ts';
import { readTableFeatures, writeTableFeatures } from './table-features.ts';
import type * as T from './types.ts';

interface BodyCodec {
  read(b: Buffer, off: number, end: number): unknown;
  write(w: BufferWriter, body: any): void;
}

const BODY = 16; // ofp_header + ofp_multipart_request/reply head

const none: BodyCodec = {
  read(_b, off, end) {
    if (off !== end) throw new Malformed('BAD_LENGTH', `multipart: this type has no body, got ${end - off} bytes`);
    return null;
  },
  write() {},
};

function single<V>(layout: Layout<V>): BodyCodec {
  return {
    read(b, off, end) {
      if (end - off !== layout.size) throw new Malformed('BAD_LENGTH', `multipart body: ${end - off} bytes, expected ${layout.size}`);
      return { ...layout.read(b, off, end) };
    },
    write: (w, body) => layout.write(w, body),
  };
}

/** A reply that is an array of fixed-size entries. */
function array<V>(layout: Layout<V>): BodyCodec {
  return bodyOf(repeated('entries', layout), 'entries');
}

const experimenter: BodyCodec = {
  read(b, off, end) {
    const h = S.experimenterHead.read(b, off, end);
    return { experimenter: h.experimenter, exp_type: h.exp_type, data: b.subarray(off + 8, end) };
  },
  write(w, body: T.ExperimenterBody) {
    S.experimenterHead.write(w, body);
    w.bytes(body.data);
  },
};

/** A tail as a whole multipart body: `body` is its single field. */
function bodyOf(tail: Tail<any>, key: string): BodyCodec {
  return {
    read: (b, off, end) => tail.read(b, off, end)[key],
    write: (w, body) => tail.write(w, { [key]: body }),
  };
}

function list(shape: ListShape, head: Layout<any>, tail: Tail<any>): BodyCodec {
  return bodyOf(entries(shape, head, tail), 'list');
}

const flowStatsRequest: BodyCodec = {
  read: (b, off, end) => ({ ...S.flowStatsRequest.read(b, off, end), ...MATCH_ONLY.read(b, off + S.flowStatsRequest.size, end) }),
  write(w, body: T.FlowStatsRequest) {
    S.flowStatsRequest.write(w, body);
    MATCH_ONLY.write(w, body);
  },
};

const flowStatsReply = list(
  { what: 'flow stats', lengthAt: 0, minLength: S.flowStats.size + 8, multipleOf8: true }, S.flowStats, MATCH_AND_INSTRUCTIONS,
);
const groupStatsReply = list(
  { what: 'group stats', lengthAt: 0, minLength: S.groupStats.size }, S.groupStats, repeated('bucket_stats', S.bucketCounter),
);
const groupDescReply = list(
  { what: 'group desc', lengthAt: 0, minLength: S.groupDesc.size, multipleOf8: true }, S.groupDesc, BUCKETS,
);
const meterStatsReply = list(
  { what: 'meter stats', lengthAt: 4, minLength: S.meterStats.size }, S.meterStats, repeated('band_stats', S.meterBandStats),
);
const meterConfigReply = list(
  { what: 'meter config', lengthAt: 0, minLength: S.meterConfig.size, multipleOf8: true }, S.meterConfig, BANDS,
);

const tableFeatures: BodyCodec = { read: readTableFeatures, write: writeTableFeatures };

type Codecs = { [K in MultipartTypeName]: BodyCodec };
const REQUEST: Codecs = {
  DESC: none, FLOW: flowStatsRequest, AGGREGATE: flowStatsRequest, TABLE: none,
  PORT_STATS: single(S.portStatsRequest), QUEUE: single(S.queueStatsRequest), GROUP: single(S.groupStatsRequest),
  GROUP_DESC: none, GROUP_FEATURES: none, METER: single(S.meterRequest), METER_CONFIG: single(S.meterRequest),
  METER_FEATURES: none, TABLE_FEATURES: tableFeatures, PORT_DESC: none, EXPERIMENTER: experimenter,
};
const REPLY: Codecs = {
  DESC: single(S.desc), FLOW: flowStatsReply, AGGREGATE: single(S.aggregateStats), TABLE: array(S.tableStats),
  PORT_STATS: array(S.portStats), QUEUE: array(S.queueStats), GROUP: groupStatsReply,
  GROUP_DESC: groupDescReply, GROUP_FEATURES: single(S.groupFeatures), METER: meterStatsReply,
  METER_CONFIG: meterConfigReply, METER_FEATURES: single(S.meterFeatures), TABLE_FEATURES: tableFeatures,
  PORT_DESC: array(S.port), EXPERIMENTER: experimenter,
};

export function readMultipart(b: Buffer, xid: number, reply: boolean): T.MultipartRequest | T.MultipartReply {
  const h = S.multipartHead.read(b, 8, b.length);
  const name = multipartTypeName(h.mp_type);
  if (name === undefined) throw new Malformed('BAD_TYPE', `unknown multipart type ${h.mp_type}`);
  const body = (reply ? REPLY : REQUEST)[name].read(b, BODY, b.length);
  return { type: reply ? 'MULTIPART_REPLY' : 'MULTIPART_REQUEST', xid, flags: h.flags, multipart_type: name, body } as
    | T.MultipartRequest
    | T.MultipartReply;
}

export function writeMultipart(w: BufferWriter, m: T.MultipartRequest | T.MultipartReply): void {
  const codec = (m.type === 'MULTIPART_REPLY' ? REPLY : REQUEST)[m.multipart_type];
  if (codec === undefined) throw new EncodeError(`unknown multipart_type ${JSON.stringify(m.multipart_type)}`);
  S.multipartHead.write(w, { mp_type: multipartTypeCode(m.multipart_type), flags: m.flags });
  codec.write(w, m.body);
}
