// The REST API (fastify), bound to 127.0.0.1:8080 by default. Reads: flows, events (by seq or
// by time), blocks and inclusion proofs, similarity search, status. One write: POST /blocks
// cuts a block and needs the bearer token. Every parameter is checked by a JSON schema
// (bad input: 400 with a JSON message); numbers are all that reaches storage, never a path.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Controller } from './controller.ts';
import { dpidText } from './facts.ts';
import { cookieOf } from './flow-id.ts';
import { bearerMatches } from './api-token.ts';
import { layout, listHeaderFiles, proveInclusion, readHeader, type EventLog, type IndexFeed, type LogRecord, type VectorHit } from '../storage/index.ts';

export interface SwitchView {
  datapath_id: string;
  /** Ids of the flow entries installed for it, as `ghostbridge.flow.id` in events. */
  flows: string[];
}

export interface ApiOptions {
  host?: string;
  port?: number;
  dataDir: string;
  log: EventLog;
  /** The index feed; absent when vectors are off. */
  index?: IndexFeed;
  /** Connected switches and their live flows. */
  switches: () => SwitchView[];
  token: string;
}

export interface Api {
  /** "host:port" actually bound. */
  address: string;
  port: number;
  close(): Promise<void>;
}

const MAX_EVENTS = 10_000;
const MAX_K = 100;

class HttpError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.statusCode = statusCode;
  }
}

const seqParam = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

/** The switches and flows a running controller knows. */
export function controllerSwitches(controller: Controller): () => SwitchView[] {
  return () =>
    [...controller.datapaths].map(([dpid, s]) => ({
      datapath_id: dpidText(dpid),
      // The policy keys its table by the cookie's hash part; events carry the whole cookie.
      flows: [...s.state.flows.keys()].map((hash) => cookieOf(hash).toString(16).padStart(16, '0')),
    }));
}

export async function startApi(o: ApiOptions): Promise<Api> {
  // removeAdditional off: an unknown parameter is an error, not silently dropped.
  const app = Fastify({ logger: false, bodyLimit: 1 << 20, ajv: { customOptions: { removeAdditional: false } } });
  routes(app, o);
  await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 8080 });
  const { address, port } = app.server.address() as AddressInfo;
  return { address: address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`, port, close: () => app.close() };
}

function routes(app: FastifyInstance, o: ApiOptions): void {
  const { log } = o;

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    reply.code(status).send({ statusCode: status, message: status === 500 ? `internal error: ${err.message}` : err.message });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ statusCode: 404, message: `no such endpoint: ${req.method} ${req.url.split('?')[0]}` });
  });

  app.get('/health', async () => ({ ok: true }));

  app.get('/status', async () => {
    const index = o.index?.index;
    return {
      switches: o.switches().map((s) => ({ datapath_id: s.datapath_id, flows: s.flows.length })),
      log: { next_seq: log.nextSeq, written_seq: log.writtenSeq, durable_seq: log.durableSeq, last_block: log.lastBlock && { index: log.lastBlock.index, last_seq: log.lastBlock.lastSeq, hash: log.lastBlock.hash } },
      // vectors: null while the index cannot answer (a Qdrant server that is down).
      index: index ? { backend: index.backend, model: index.model, watermark: index.watermark, vectors: await index.count().catch(() => null), behind: log.writtenSeq - index.watermark } : null,
    };
  });

  app.get('/flows', async () => ({ switches: o.switches() }));

  app.get<{ Querystring: { limit: number } }>(
    '/flows/recent',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } } } },
    async (req) => ({ events: await recentFlowEvents(log, req.query.limit) }),
  );

  app.get<{ Querystring: { from?: number; to?: number; since?: string; until?: string; limit: number } }>(
    '/events',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { from: seqParam, to: seqParam, since: { type: 'string', maxLength: 40 }, until: { type: 'string', maxLength: 40 }, limit: { type: 'integer', minimum: 1, maximum: MAX_EVENTS, default: 1000 } },
        },
      },
    },
    async (req) => {
      const q = req.query;
      const byTime = q.since !== undefined || q.until !== undefined;
      if (byTime && (q.from !== undefined || q.to !== undefined)) throw new HttpError(400, 'ask by seq (from, to) or by time (since, until), not both');
      if (byTime) {
        const lo = q.since === undefined ? 0 : timeOf(q.since, 'since');
        const hi = q.until === undefined ? 8.64e15 : timeOf(q.until, 'until');
        if (lo > hi) throw new HttpError(400, 'since is after until');
        return page(log.byTime(lo, hi), () => false, q.limit);
      }
      const from = q.from ?? 0;
      const to = q.to ?? Number.MAX_SAFE_INTEGER;
      if (from > to) throw new HttpError(400, 'from is after to');
      return page(log.from(from), (r) => r.seq > to, q.limit);
    },
  );

  app.get<{ Params: { seq: number } }>('/events/:seq', { schema: { params: { type: 'object', properties: { seq: seqParam }, required: ['seq'] } } }, async (req) => {
    return (await log.get(req.params.seq)) ?? notFound(`no event ${req.params.seq} (the log holds 0..${log.writtenSeq})`);
  });

  app.get<{ Querystring: { from: number; limit: number } }>(
    '/blocks',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { from: { type: 'integer', minimum: 0, default: 0 }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } } } },
    async (req) => {
      const files = listHeaderFiles(layout(o.dataDir).blocks).filter((f) => f.index >= req.query.from);
      return { blocks: files.slice(0, req.query.limit).map((f) => readHeader(f.path)), more: files.length > req.query.limit };
    },
  );

  app.get<{ Params: { index: number } }>('/blocks/:index', { schema: { params: { type: 'object', properties: { index: { type: 'integer', minimum: 0, maximum: 99_999_999 } }, required: ['index'] } } }, async (req) => {
    const file = listHeaderFiles(layout(o.dataDir).blocks).find((f) => f.index === req.params.index);
    return file ? readHeader(file.path) : notFound(`no block ${req.params.index}`);
  });

  app.get<{ Params: { seq: number } }>('/blocks/proof/:seq', { schema: { params: { type: 'object', properties: { seq: seqParam }, required: ['seq'] } } }, async (req) => {
    const seq = req.params.seq;
    if (seq > log.writtenSeq) notFound(`no event ${seq} (the log holds 0..${log.writtenSeq})`);
    if (!log.lastBlock || seq > log.lastBlock.lastSeq) throw new HttpError(409, `event ${seq} is not in a block yet; cut one with POST /blocks`);
    return proveInclusion(o.dataDir, seq);
  });

  app.post('/blocks', { preHandler: (req, reply, done) => authorize(req, reply, o.token, done) }, async (_req, reply) => {
    const header = await log.cutBlock();
    if (!header) return { block: null, message: 'nothing to cut: every event is in a block' };
    reply.code(201);
    return { block: header };
  });

  app.get<{ Querystring: { seq: number; k: number } }>(
    '/similar',
    { schema: { querystring: { type: 'object', additionalProperties: false, required: ['seq'], properties: { seq: seqParam, k: { type: 'integer', minimum: 1, maximum: MAX_K, default: 10 } } } } },
    async (req) => {
      const feed = indexOf(o);
      const { seq, k } = req.query;
      const vector = await unavailableAs503(feed.index.vectorOf(seq));
      if (!vector) {
        if (seq > feed.index.watermark) throw new HttpError(409, `event ${seq} is not indexed yet (the index is at seq ${feed.index.watermark}, the log at ${log.writtenSeq})`);
        if (seq > log.writtenSeq) notFound(`no event ${seq}`);
        notFound(`event ${seq} has no vector (only flow events have one)`);
      }
      return similar(o, await unavailableAs503(feed.index.search(vector, k, { exclude: seq })), { seq });
    },
  );

  app.post<{ Body: { vector: number[]; k: number } }>(
    '/similar',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['vector'],
          properties: { vector: { type: 'array', minItems: 1, maxItems: 4096, items: { type: 'number' } }, k: { type: 'integer', minimum: 1, maximum: MAX_K, default: 10 } },
        },
      },
    },
    async (req) => {
      const feed = indexOf(o);
      return similar(o, await unavailableAs503(feed.index.search(Float32Array.from(req.body.vector), req.body.k)), {});
    },
  );
}

function notFound(message: string): never {
  throw new HttpError(404, message);
}

function indexOf(o: ApiOptions): IndexFeed {
  if (!o.index) throw new HttpError(503, 'no vector index: ghostbridge run was started with --no-vectorize');
  return o.index;
}

/** The index's own refusals (RangeError: a bad vector) are 400; any other failure means it cannot answer now. */
async function unavailableAs503<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof RangeError) throw new HttpError(400, err.message);
    throw new HttpError(503, `the vector index cannot answer now: ${(err as Error).message}`);
  }
}

function authorize(req: FastifyRequest, reply: FastifyReply, token: string, done: (err?: Error) => void): void {
  if (bearerMatches(req.headers.authorization, token)) return done();
  reply.header('www-authenticate', 'Bearer realm="ghostbridge"');
  done(new HttpError(401, 'this endpoint needs "Authorization: Bearer <token>" with the token from the API token file'));
}

/** ISO 8601 or epoch milliseconds. */
function timeOf(text: string, name: string): number {
  const t = /^\d{1,16}$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(t)) throw new HttpError(400, `${name} must be an ISO 8601 time or epoch milliseconds, not ${JSON.stringify(text)}`);
  return t;
}

/** Up to `limit` records until `past` says stop; `next` is where to continue, if anything is left. */
async function page(records: AsyncIterable<LogRecord>, past: (r: LogRecord) => boolean, limit: number) {
  const events: LogRecord[] = [];
  for await (const r of records) {
    if (past(r)) break;
    if (events.length === limit) return { events, next: r.seq };
    events.push(r);
  }
  return { events, next: null };
}

/** The newest `limit` flow events, newest first, looking back through at most 100 windows of the log. */
async function recentFlowEvents(log: EventLog, limit: number): Promise<LogRecord[]> {
  const found: LogRecord[] = [];
  const window = Math.max(limit, 1024);
  let end = log.writtenSeq + 1;
  for (let step = 0; step < 100 && end > 0 && found.length < limit; step++) {
    const start = Math.max(0, end - window);
    const chunk: LogRecord[] = [];
    for await (const r of log.from(start)) {
      if (r.seq >= end) break;
      if (String((r.event as { action?: unknown } | undefined)?.action ?? '').startsWith('flow.')) chunk.push(r);
    }
    found.push(...chunk.reverse());
    end = start;
  }
  return found.slice(0, limit);
}

async function similar(o: ApiOptions, hits: VectorHit[], query: { seq?: number }) {
  const index = o.index!.index;
  const events = await Promise.all(hits.map((h) => o.log.get(h.seq)));
  return { ...query, model: index.model, watermark: index.watermark, hits: hits.map((h, i) => ({ seq: h.seq, score: h.score, event: events[i] ?? null })) };
}

/** "HOST:PORT" or "[IPv6]:PORT" → host and port. */
export function parseApiAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`--api must be HOST:PORT or [IPv6]:PORT (or off), not ${JSON.stringify(text)}`);
  return { host: m[1] ?? m[2]!, port };
}
