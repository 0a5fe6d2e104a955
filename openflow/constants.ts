// OpenFlow 1.3 numbers (spec section 7 / openflow.h) and their names. The codec speaks in
// names; these tables are the only place the numbers live.

export const OFP_VERSION = 4;
export const OFP_HEADER_LEN = 8;
export const OFP_NO_BUFFER = 0xffffffff;

/** Message types, indexed by their wire number (OFPT_*). */
export const MESSAGE_TYPES = [
  'HELLO', 'ERROR', 'ECHO_REQUEST', 'ECHO_REPLY', 'EXPERIMENTER',
  'FEATURES_REQUEST', 'FEATURES_REPLY', 'GET_CONFIG_REQUEST', 'GET_CONFIG_REPLY', 'SET_CONFIG',
  'PACKET_IN', 'FLOW_REMOVED', 'PORT_STATUS', 'PACKET_OUT', 'FLOW_MOD',
  'GROUP_MOD', 'PORT_MOD', 'TABLE_MOD', 'MULTIPART_REQUEST', 'MULTIPART_REPLY',
  'BARRIER_REQUEST', 'BARRIER_REPLY', 'QUEUE_GET_CONFIG_REQUEST', 'QUEUE_GET_CONFIG_REPLY',
  'ROLE_REQUEST', 'ROLE_REPLY', 'GET_ASYNC_REQUEST', 'GET_ASYNC_REPLY', 'SET_ASYNC', 'METER_MOD',
] as const;
export type MessageTypeName = (typeof MESSAGE_TYPES)[number];
export const MESSAGE_TYPE_CODE: Record<MessageTypeName, number> = Object.fromEntries(
  MESSAGE_TYPES.map((name, code) => [name, code]),
) as Record<MessageTypeName, number>;

/** Multipart types (OFPMP_*); EXPERIMENTER is 0xffff. */
export const MULTIPART_TYPES = [
  'DESC', 'FLOW', 'AGGREGATE', 'TABLE', 'PORT_STATS', 'QUEUE', 'GROUP', 'GROUP_DESC',
  'GROUP_FEATURES', 'METER', 'METER_CONFIG', 'METER_FEATURES', 'TABLE_FEATURES', 'PORT_DESC',
] as const;
export type MultipartTypeName = (typeof MULTIPART_TYPES)[number] | 'EXPERIMENTER';
export const OFPMP_EXPERIMENTER = 0xffff;
export function multipartTypeCode(name: MultipartTypeName): number {
  return name === 'EXPERIMENTER' ? OFPMP_EXPERIMENTER : MULTIPART_TYPES.indexOf(name);
}
export function multipartTypeName(code: number): MultipartTypeName | undefined {
  return code === OFPMP_EXPERIMENTER ? 'EXPERIMENTER' : MULTIPART_TYPES[code];
}

/** Action types (OFPAT_*), by wire number; gaps are OF1.0-only numbers not valid in 1.3. */
export const ACTION_TYPE_CODE = {
  OUTPUT: 0, COPY_TTL_OUT: 11, COPY_TTL_IN: 12, SET_MPLS_TTL: 15, DEC_MPLS_TTL: 16,
  PUSH_VLAN: 17, POP_VLAN: 18, PUSH_MPLS: 19, POP_MPLS: 20, SET_QUEUE: 21, GROUP: 22,
  SET_NW_TTL: 23, DEC_NW_TTL: 24, SET_FIELD: 25, PUSH_PBB: 26, POP_PBB: 27, EXPERIMENTER: 0xffff,
} as const;
export type ActionTypeName = keyof typeof ACTION_TYPE_CODE;

/** Instruction types (OFPIT_*). */
export const INSTRUCTION_TYPE_CODE = {
  GOTO_TABLE: 1, WRITE_METADATA: 2, WRITE_ACTIONS: 3, APPLY_ACTIONS: 4, CLEAR_ACTIONS: 5,
  METER: 6, EXPERIMENTER: 0xffff,
} as const;
export type InstructionTypeName = keyof typeof INSTRUCTION_TYPE_CODE;

export function invert<K extends string>(table: Record<K, number>): Map<number, K> {
  return new Map(Object.entries(table).map(([k, v]) => [v as number, k as K]));
}
export const ACTION_TYPE_NAME = invert(ACTION_TYPE_CODE);
export const INSTRUCTION_TYPE_NAME = invert(INSTRUCTION_TYPE_CODE);

/** Reserved port numbers (OFPP_*). */
export const OFPP = {
  MAX: 0xffffff00, IN_PORT: 0xfffffff8, TABLE: 0xfffffff9, NORMAL: 0xfffffffa,
  FLOOD: 0xfffffffb, ALL: 0xfffffffc, CONTROLLER: 0xfffffffd, LOCAL: 0xfffffffe, ANY: 0xffffffff,
} as const;
export const OFPG_ANY = 0xffffffff;
export const OFPG_ALL = 0xfffffffc;
export const OFPTT_ALL = 0xff;
export const OFPCML_NO_BUFFER = 0xffff;
/** The vlan_vid bit that says a VLAN tag is present (OFPVID_PRESENT). */
export const OFPVID_PRESENT = 0x1000;

/** FLOW_MOD commands (OFPFC_*). */
export const FLOW_MOD_COMMAND = { ADD: 0, MODIFY: 1, MODIFY_STRICT: 2, DELETE: 3, DELETE_STRICT: 4 } as const;
/** FLOW_MOD flags (OFPFF_*). */
export const FLOW_MOD_FLAGS = {
  SEND_FLOW_REM: 1, CHECK_OVERLAP: 2, RESET_COUNTS: 4, NO_PKT_COUNTS: 8, NO_BYT_COUNTS: 16,
} as const;
/** PACKET_IN reasons (OFPR_*). */
export const PACKET_IN_REASON = { NO_MATCH: 0, ACTION: 1, INVALID_TTL: 2 } as const;
/** FLOW_REMOVED reasons (OFPRR_*). */
export const FLOW_REMOVED_REASON = { IDLE_TIMEOUT: 0, HARD_TIMEOUT: 1, DELETE: 2, GROUP_DELETE: 3 } as const;
/** PORT_STATUS reasons (OFPPR_*). */
export const PORT_REASON = { ADD: 0, DELETE: 1, MODIFY: 2 } as const;
/** Controller roles (OFPCR_ROLE_*). */
export const CONTROLLER_ROLE = { NOCHANGE: 0, EQUAL: 1, MASTER: 2, SLAVE: 3 } as const;
/** GROUP_MOD commands and group types. */
export const GROUP_MOD_COMMAND = { ADD: 0, MODIFY: 1, DELETE: 2 } as const;
export const GROUP_TYPE = { ALL: 0, SELECT: 1, INDIRECT: 2, FF: 3 } as const;
/** METER_MOD commands, flags and band types. */
export const METER_MOD_COMMAND = { ADD: 0, MODIFY: 1, DELETE: 2 } as const;
export const METER_FLAGS = { KBPS: 1, PKTPS: 2, BURST: 4, STATS: 8 } as const;
export const METER_BAND_TYPE = { DROP: 1, DSCP_REMARK: 2, EXPERIMENTER: 0xffff } as const;
/** Multipart flags (OFPMPF_*_MORE). */
export const OFPMPF_MORE = 1;
