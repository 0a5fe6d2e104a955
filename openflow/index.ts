// Public surface of openflow/, the OpenFlow 1.3 wire codec. Other folders import from here only.
export { OfpFramer, DEFAULT_MAX_MESSAGE, type Frame } from './framer.ts';
export { decodeMessage, encodeMessage, encodeInto } from './codec.ts';
export { BufferWriter, EncodeError } from './buffer-writer.ts';
export { viewPacketIn, viewFlowRemoved, u64At, emptyPacketInView, emptyFlowRemovedView, type PacketInView, type FlowRemovedView } from './fast-read.ts';
export { macToText, ipv4ToText, ipv6ToText } from './addresses.ts';
export { messageToJson, messageFromJson } from './json.ts';
export { helloVersions, versionBitmap } from './hello.ts';
export { OXM_BASIC_NAMES, OFPMT_OXM, oxmBasicName, oxmHeader } from './oxm.ts';
export * from './constants.ts';
export { ERROR_TYPES, OFPET_EXPERIMENTER, errorName, errorCodes, type ErrorTypeName, type ErrorCodeName } from './errors.ts';
export type * from './types.ts';
