// MULTIPART_REQUEST / MULTIPART_REPLY bodies (spec 7.3.5), one codec per multipart type
// and direction.
import { readBuckets, writeBuckets } from './buckets.ts';
import type { BufferWriter } from './buffer-writer.ts';
import { EncodeError } from './buffer-writer.ts';
import { multipartTypeCode, multipartTypeName, type MultipartTypeName } from './constants.ts';
import { readInstructions, writeInstructions } from './instructions.ts';
import type { Layout } from './layout.ts';
import { readList } from './list.ts';
import { Malformed } from './malformed.ts';
import { readMeterBands, writeMeterBands } from './meter-bands.ts';
import { matchSize, readMatch, writeMatch } from './oxm.ts';
import * as S from './structs.ts';
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
function repeated<V>(layout: Layout<V>): BodyCodec {
  return {
    read(b, off, end) {
      if ((end - off) % layout.size !== 0) throw new Malformed('BAD_LENGTH', `multipart body: ${end - off} bytes is not a whole number of ${layout.size}-byte entries`);
      const out: V[] = [];
      for (let p = off; p < end; p += layout.size) out.push({ ...layout.read(b, p, end) });
      return out;
    },
    write: (w, body: V[]) => body.forEach((v) => layout.write(w, v)),
  };
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

const flowStatsRequest: BodyCodec = {
  read(b, off, end): T.FlowStatsRequest {
    const f = S.flowStatsRequest.read(b, off, end);
    const at = off + S.flowStatsRequest.size;
    const match = readMatch(b, at, end);
    if (at + matchSize(b, at) !== end) throw new Malformed('BAD_LENGTH', 'flow stats request: bytes after the match');
    return { ...f, match };
  },
  write(w, body: T.FlowStatsRequest) {
    S.flowStatsRequest.write(w, body);
    writeMatch(w, body.match);
  },
};

/** Write a list entry whose 16-bit length sits at `lengthAt`, filled in after its body. */
function entry(w: BufferWriter, lengthAt: number, writeBody: () => void): void {
  const start = w.pos;
  writeBody();
  w.patchU16(start + lengthAt, w.pos - start);
}

const FLOW_STATS = { what: 'flow stats', lengthAt: 0, minLength: S.flowStats.size + 8, multipleOf8: true };
const flowStatsReply: BodyCodec = {
  read: (b, off, end): T.FlowStats[] =>
    readList(b, off, end, FLOW_STATS, (at, len) => {
      const { length: _, ...f } = S.flowStats.read(b, at, at + len);
      const m = at + S.flowStats.size;
      const match = readMatch(b, m, at + len);
      return { ...f, match, instructions: readInstructions(b, m + matchSize(b, m), at + len) };
    }),
  write: (w, body: T.FlowStats[]) =>
    body.forEach((s) =>
      entry(w, 0, () => {
        S.flowStats.write(w, { ...s, length: 0 });
        writeMatch(w, s.match);
        writeInstructions(w, s.instructions);
      }),
    ),
};

const GROUP_STATS = { what: 'group stats', lengthAt: 0, minLength: S.groupStats.size };
const groupStatsReply: BodyCodec = {
  read: (b, off, end): T.GroupStats[] =>
    readList(b, off, end, GROUP_STATS, (at, len) => {
      const { length: _, ...f } = S.groupStats.read(b, at, at + len);
      const counters = repeated(S.bucketCounter).read(b, at + S.groupStats.size, at + len) as T.GroupStats['bucket_stats'];
      return { ...f, bucket_stats: counters };
    }),
  write: (w, body: T.GroupStats[]) =>
    body.forEach((s) =>
      entry(w, 0, () => {
        S.groupStats.write(w, { ...s, length: 0 });
        s.bucket_stats.forEach((c) => S.bucketCounter.write(w, c));
      }),
    ),
};

const GROUP_DESC = { what: 'group desc', lengthAt: 0, minLength: S.groupDesc.size, multipleOf8: true };
const groupDescReply: BodyCodec = {
  read: (b, off, end): T.GroupDesc[] =>
    readList(b, off, end, GROUP_DESC, (at, len) => {
      const { length: _, ...f } = S.groupDesc.read(b, at, at + len);
      return { ...f, buckets: readBuckets(b, at + S.groupDesc.size, at + len) };
    }),
  write: (w, body: T.GroupDesc[]) =>
    body.forEach((g) =>
      entry(w, 0, () => {
        S.groupDesc.write(w, { ...g, length: 0 });
        writeBuckets(w, g.buckets);
      }),
    ),
};

const METER_STATS = { what: 'meter stats', lengthAt: 4, minLength: S.meterStats.size };
const meterStatsReply: BodyCodec = {
  read: (b, off, end): T.MeterStats[] =>
    readList(b, off, end, METER_STATS, (at, len) => {
      const { len: _, ...f } = S.meterStats.read(b, at, at + len);
      const bands = repeated(S.meterBandStats).read(b, at + S.meterStats.size, at + len) as T.MeterStats['band_stats'];
      return { ...f, band_stats: bands };
    }),
  write: (w, body: T.MeterStats[]) =>
    body.forEach((s) =>
      entry(w, 4, () => {
        S.meterStats.write(w, { ...s, len: 0 });
        s.band_stats.forEach((c) => S.meterBandStats.write(w, c));
      }),
    ),
};

const METER_CONFIG = { what: 'meter config', lengthAt: 0, minLength: S.meterConfig.size, multipleOf8: true };
const meterConfigReply: BodyCodec = {
  read: (b, off, end): T.MeterConfig[] =>
    readList(b, off, end, METER_CONFIG, (at, len) => {
      const { length: _, ...f } = S.meterConfig.read(b, at, at + len);
      return { ...f, bands: readMeterBands(b, at + S.meterConfig.size, at + len) };
    }),
  write: (w, body: T.MeterConfig[]) =>
    body.forEach((c) =>
      entry(w, 0, () => {
        S.meterConfig.write(w, { ...c, length: 0 });
        writeMeterBands(w, c.bands);
      }),
    ),
};

const tableFeatures: BodyCodec = { read: readTableFeatures, write: writeTableFeatures };

type Codecs = { [K in MultipartTypeName]: BodyCodec };
const REQUEST: Codecs = {
  DESC: none, FLOW: flowStatsRequest, AGGREGATE: flowStatsRequest, TABLE: none,
  PORT_STATS: single(S.portStatsRequest), QUEUE: single(S.queueStatsRequest), GROUP: single(S.groupStatsRequest),
  GROUP_DESC: none, GROUP_FEATURES: none, METER: single(S.meterRequest), METER_CONFIG: single(S.meterRequest),
  METER_FEATURES: none, TABLE_FEATURES: tableFeatures, PORT_DESC: none, EXPERIMENTER: experimenter,
};
const REPLY: Codecs = {
  DESC: single(S.desc), FLOW: flowStatsReply, AGGREGATE: single(S.aggregateStats), TABLE: repeated(S.tableStats),
  PORT_STATS: repeated(S.portStats), QUEUE: repeated(S.queueStats), GROUP: groupStatsReply,
  GROUP_DESC: groupDescReply, GROUP_FEATURES: single(S.groupFeatures), METER: meterStatsReply,
  METER_CONFIG: meterConfigReply, METER_FEATURES: single(S.meterFeatures), TABLE_FEATURES: tableFeatures,
  PORT_DESC: repeated(S.port), EXPERIMENTER: experimenter,
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
