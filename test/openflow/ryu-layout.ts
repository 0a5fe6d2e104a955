// Our decoded messages in Ryu's `to_jsondict` layout ({ClassName: {field: ...}}), so the
// conformance test can compare them with Ryu's JSON. Lengths Ryu reports (`len`, `length`,
// `actions_len`) are measured by encoding the piece alone with the codec's own writers.
import { writeAction } from '../../openflow/actions.ts';
import { BufferWriter } from '../../openflow/buffer-writer.ts';
import { writeBuckets } from '../../openflow/buckets.ts';
import { ACTION_TYPE_CODE, INSTRUCTION_TYPE_CODE, METER_BAND_TYPE, multipartTypeCode } from '../../openflow/constants.ts';
import { writeInstructions } from '../../openflow/instructions.ts';
import { writeMeterBands } from '../../openflow/meter-bands.ts';
import { oxmBasicName, writeMatch, writeOxm } from '../../openflow/oxm.ts';
import { helloVersions } from '../../openflow/index.ts';
import type * as T from '../../openflow/index.ts';

type J = Record<string, unknown>;

function measure(write: (w: BufferWriter) => void): number {
  const w = new BufferWriter(256);
  write(w);
  return w.pos;
}

const ACTION_CLASS: Record<T.ActionType, string> = {
  OUTPUT: 'OFPActionOutput', COPY_TTL_OUT: 'OFPActionCopyTtlOut', COPY_TTL_IN: 'OFPActionCopyTtlIn',
  SET_MPLS_TTL: 'OFPActionSetMplsTtl', DEC_MPLS_TTL: 'OFPActionDecMplsTtl', PUSH_VLAN: 'OFPActionPushVlan',
  POP_VLAN: 'OFPActionPopVlan', PUSH_MPLS: 'OFPActionPushMpls', POP_MPLS: 'OFPActionPopMpls',
  SET_QUEUE: 'OFPActionSetQueue', GROUP: 'OFPActionGroup', SET_NW_TTL: 'OFPActionSetNwTtl',
  DEC_NW_TTL: 'OFPActionDecNwTtl', SET_FIELD: 'OFPActionSetField', PUSH_PBB: 'OFPActionPushPbb',
  POP_PBB: 'OFPActionPopPbb', EXPERIMENTER: 'OFPActionExperimenterUnknown',
};
const NICIRA = 0x2320;

function oxm(f: T.OxmField): J {
  if (f.field === 'raw') return { OXMTlv: { field: 'raw', oxm_class: f.oxm_class, data: f.data } };
  return { OXMTlv: { field: f.field, value: f.value, mask: f.mask ?? null } };
}

export function match(m: T.Match): J {
  // Ryu reports the unpadded length
  return { OFPMatch: { type: 1, length: 4 + m.reduce((n, f) => n + measure((w) => writeOxm(w, f)), 0), oxm_fields: m.map(oxm) } };
}

function action(a: T.Action): J {
  const { type, ...rest } = a;
  const body: J = { ...rest, type: ACTION_TYPE_CODE[type], len: measure((w) => writeAction(w, a)) };
  if (a.type === 'SET_FIELD') body.field = oxm(a.field);
  if (a.type === 'EXPERIMENTER' && a.experimenter === NICIRA) body.subtype = Buffer.from(a.data).readUInt16BE(0);
  return { [ACTION_CLASS[type]]: body };
}

function instruction(i: T.Instruction): J {
  const len = measure((w) => writeInstructions(w, [i]));
  const type = INSTRUCTION_TYPE_CODE[i.type];
  switch (i.type) {
    case 'GOTO_TABLE': return { OFPInstructionGotoTable: { type, len, table_id: i.table_id } };
    case 'WRITE_METADATA': return { OFPInstructionWriteMetadata: { type, len, metadata: i.metadata, metadata_mask: i.metadata_mask } };
    case 'METER': return { OFPInstructionMeter: { type, len, meter_id: i.meter_id } };
    case 'CLEAR_ACTIONS': return { OFPInstructionActions: { type, len, actions: [] } };
    case 'WRITE_ACTIONS':
    case 'APPLY_ACTIONS': return { OFPInstructionActions: { type, len, actions: i.actions.map(action) } };
    case 'EXPERIMENTER': return { OFPInstructionExperimenter: { type, len, experimenter: i.experimenter, data: i.data } };
  }
}

function bucket(b: T.Bucket): J {
  return { OFPBucket: { ...b, len: measure((w) => writeBuckets(w, [b])), actions: b.actions.map(action) } };
}

const BAND_CLASS = { DROP: 'OFPMeterBandDrop', DSCP_REMARK: 'OFPMeterBandDscpRemark', EXPERIMENTER: 'OFPMeterBandExperimenter' };
function band(b: T.MeterBand): J {
  return { [BAND_CLASS[b.type]]: { ...b, type: METER_BAND_TYPE[b.type], len: measure((w) => writeMeterBands(w, [b])) } };
}

function port(p: T.Port): J {
  return { OFPPort: p };
}

function u32List(data: Uint8Array): number[] {
  const b = Buffer.from(data);
  return Array.from({ length: b.length >>> 2 }, (_, i) => b.readUInt32BE(4 * i));
}

const PROP_CODE: Record<string, number> = {
  INSTRUCTIONS: 0, INSTRUCTIONS_MISS: 1, NEXT_TABLES: 2, NEXT_TABLES_MISS: 3, WRITE_ACTIONS: 4,
  WRITE_ACTIONS_MISS: 5, APPLY_ACTIONS: 6, APPLY_ACTIONS_MISS: 7, MATCH: 8, WILDCARDS: 10,
  WRITE_SETFIELD: 12, WRITE_SETFIELD_MISS: 13, APPLY_SETFIELD: 14, APPLY_SETFIELD_MISS: 15,
  EXPERIMENTER: 0xfffe, EXPERIMENTER_MISS: 0xffff,
};
function property(p: T.TableFeatureProperty): J {
  const type = PROP_CODE[p.type]!;
  const ids = (list: T.TypeId[], cls: string) => list.map((id) => ({ [cls]: { type: id.type, len: 4 + id.data.length } }));
  if ('instruction_ids' in p) {
    const instruction_ids = ids(p.instruction_ids, 'OFPInstructionId');
    return { OFPTableFeaturePropInstructions: { type, length: 4 + 4 * instruction_ids.length, instruction_ids } };
  }
  if ('action_ids' in p) {
    const action_ids = ids(p.action_ids, 'OFPActionId');
    return { OFPTableFeaturePropActions: { type, length: 4 + 4 * action_ids.length, action_ids } };
  }
  if ('next_table_ids' in p) return { OFPTableFeaturePropNextTables: { type, length: 4 + p.next_table_ids.length, table_ids: p.next_table_ids } };
  if ('oxm_ids' in p) {
    const oxm_ids = p.oxm_ids.map((id) => ({
      OFPOxmId: { type: oxmBasicName(id.oxm_field) ?? id.oxm_field, hasmask: id.hasmask ? 1 : 0, length: id.length },
    }));
    return { OFPTableFeaturePropOxm: { type, length: 4 + 4 * oxm_ids.length, oxm_ids } };
  }
  return {
    OFPTableFeaturePropExperimenter: {
      type, length: 12 + p.data.length, experimenter: p.experimenter, exp_type: p.exp_type, data: u32List(p.data),
    },
  };
}

function tableFeatures(t: T.TableFeatures): J {
  const properties = t.properties.map(property);
  const length = 64 + properties.reduce((n, p) => n + ((((Object.values(p)[0] as J).length as number) + 7) & ~7), 0);
  return { OFPTableFeaturesStats: { ...t, length, properties } };
}

const MP_CLASS: Record<T.MultipartTypeName, string> = {
  DESC: 'OFPDescStats', FLOW: 'OFPFlowStats', AGGREGATE: 'OFPAggregateStats', TABLE: 'OFPTableStats',
  PORT_STATS: 'OFPPortStats', QUEUE: 'OFPQueueStats', GROUP: 'OFPGroupStats', GROUP_DESC: 'OFPGroupDescStats',
  GROUP_FEATURES: 'OFPGroupFeaturesStats', METER: 'OFPMeterStats', METER_CONFIG: 'OFPMeterConfigStats',
  METER_FEATURES: 'OFPMeterFeaturesStats', TABLE_FEATURES: 'OFPTableFeaturesStats', PORT_DESC: 'OFPPortDescStats',
  EXPERIMENTER: 'OFPExperimenterStats',
};

function replyEntry(kind: T.MultipartTypeName, e: any): J {
  switch (kind) {
    case 'FLOW':
      return { OFPFlowStats: { ...e, length: 48 + measure((w) => { writeMatch(w, e.match); writeInstructions(w, e.instructions); }), match: match(e.match), instructions: e.instructions.map(instruction) } };
    case 'GROUP':
      return { OFPGroupStats: { ...e, length: 40 + 16 * e.bucket_stats.length, bucket_stats: e.bucket_stats.map((c: J) => ({ OFPBucketCounter: c })) } };
    case 'GROUP_DESC':
      return { OFPGroupDescStats: { ...e, length: 8 + measure((w) => writeBuckets(w, e.buckets)), buckets: e.buckets.map(bucket) } };
    case 'METER':
      return { OFPMeterStats: { ...e, len: 40 + 16 * e.band_stats.length, band_stats: e.band_stats.map((c: J) => ({ OFPMeterBandStats: c })) } };
    case 'METER_CONFIG':
      return { OFPMeterConfigStats: { ...e, length: 8 + measure((w) => writeMeterBands(w, e.bands)), bands: e.bands.map(band) } };
    case 'TABLE_FEATURES':
      return tableFeatures(e);
    case 'PORT_DESC':
      return port(e);
    case 'EXPERIMENTER':
      return { OFPExperimenterMultipart: e };
    default:
      return { [MP_CLASS[kind]]: e };
  }
}

function multipart(m: T.MultipartRequest | T.MultipartReply): J {
  const reply = m.type === 'MULTIPART_REPLY';
  const cls = MP_CLASS[m.multipart_type] + (reply ? 'Reply' : 'Request');
  const head = { type: multipartTypeCode(m.multipart_type), flags: m.flags };
  if (!reply) {
    const body = m.body as any;
    if (m.multipart_type === 'TABLE_FEATURES') return { [cls]: { ...head, body: body.map(tableFeatures) } };
    if (body === null) return { [cls]: head };
    return { [cls]: { ...head, ...body, ...(body.match ? { match: match(body.match) } : {}) } };
  }
  const body = Array.isArray(m.body)
    ? m.body.map((e) => replyEntry(m.multipart_type, e))
    : m.multipart_type === 'METER_FEATURES' // Ryu models this single struct as a list
      ? [replyEntry(m.multipart_type, m.body)]
      : replyEntry(m.multipart_type, m.body);
  return { [cls]: { ...head, body } };
}

/** One message in Ryu's layout. */
export function toRyu(msg: T.OfpMessage): J {
  const { type: _type, xid: _xid, ...f } = msg as any;
  switch (msg.type) {
    case 'HELLO':
      return { OFPHello: { elements: msg.elements.map((e) => e.type === 'VERSIONBITMAP'
        ? { OFPHelloElemVersionBitmap: { type: 1, length: 4 + 4 * e.bitmaps.length, versions: helloVersions({ ...msg, elements: [e] }) } }
        : { OFPHelloElemUnknown: e }) } };
    case 'ERROR':
      return { OFPErrorMsg: msg.experimenter === undefined
        ? { type: msg.err_type, code: msg.code, data: msg.data }
        : { type: msg.err_type, code: null, exp_type: msg.code, experimenter: msg.experimenter, data: msg.data } };
    case 'ECHO_REQUEST': return { OFPEchoRequest: f };
    case 'ECHO_REPLY': return { OFPEchoReply: f };
    case 'EXPERIMENTER': return { OFPExperimenter: f };
    case 'FEATURES_REQUEST': return { OFPFeaturesRequest: f };
    case 'FEATURES_REPLY': return { OFPSwitchFeatures: f };
    case 'GET_CONFIG_REQUEST': return { OFPGetConfigRequest: f };
    case 'GET_CONFIG_REPLY': return { OFPGetConfigReply: f };
    case 'SET_CONFIG': return { OFPSetConfig: f };
    case 'PACKET_IN': return { OFPPacketIn: { ...f, match: match(msg.match) } };
    case 'FLOW_REMOVED': return { OFPFlowRemoved: { ...f, match: match(msg.match) } };
    case 'PORT_STATUS': return { OFPPortStatus: { reason: msg.reason, desc: port(msg.desc) } };
    case 'PACKET_OUT':
      return { OFPPacketOut: { ...f, actions_len: msg.actions.reduce((n, a) => n + measure((w) => writeAction(w, a)), 0), actions: msg.actions.map(action) } };
    case 'FLOW_MOD': return { OFPFlowMod: { ...f, match: match(msg.match), instructions: msg.instructions.map(instruction) } };
    case 'GROUP_MOD': return { OFPGroupMod: { command: msg.command, type: msg.group_type, group_id: msg.group_id, buckets: msg.buckets.map(bucket) } };
    case 'PORT_MOD': return { OFPPortMod: f };
    case 'TABLE_MOD': return { OFPTableMod: f };
    case 'MULTIPART_REQUEST':
    case 'MULTIPART_REPLY': return multipart(msg);
    case 'BARRIER_REQUEST': return { OFPBarrierRequest: f };
    case 'BARRIER_REPLY': return { OFPBarrierReply: f };
    case 'QUEUE_GET_CONFIG_REQUEST': return { OFPQueueGetConfigRequest: f };
    case 'QUEUE_GET_CONFIG_REPLY':
      return { OFPQueueGetConfigReply: { port: msg.port, queues: msg.queues.map((q) => {
        const properties = q.properties.map((p) => {
          const code = { MIN_RATE: 1, MAX_RATE: 2, EXPERIMENTER: 0xffff }[p.property];
          if (p.property === 'EXPERIMENTER') return { OFPQueuePropExperimenter: { ...p, property: code, len: 16 + p.data.length } };
          return { [p.property === 'MIN_RATE' ? 'OFPQueuePropMinRate' : 'OFPQueuePropMaxRate']: { ...p, property: code, len: 16 } };
        });
        const len = 16 + properties.reduce((n, p) => n + ((Object.values(p)[0] as J).len as number), 0);
        return { OFPPacketQueue: { queue_id: q.queue_id, port: q.port, len, properties } };
      }) } };
    case 'ROLE_REQUEST': return { OFPRoleRequest: f };
    case 'ROLE_REPLY': return { OFPRoleReply: f };
    case 'GET_ASYNC_REQUEST': return { OFPGetAsyncRequest: f };
    case 'GET_ASYNC_REPLY': return { OFPGetAsyncReply: f };
    case 'SET_ASYNC': return { OFPSetAsync: f };
    case 'METER_MOD': return { OFPMeterMod: { ...f, bands: msg.bands.map(band) } };
  }
}
