// An in-process TEST DOUBLE of Qdrant's REST API (no Qdrant server runs on this machine or in
// CI): a real HTTP server on 127.0.0.1 implementing only the endpoints storage/qdrant-index.ts
// calls through @qdrant/js-client-rest, with Qdrant's response envelope and semantics
// (Cosine collections store normalized vectors; query returns best first). The same contract
// tests also run against a real Qdrant when QDRANT_URL is set.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Collection {
  size: number;
  distance: string;
  points: Map<number, { vector: number[]; payload: Record<string, unknown> | null }>;
}

export interface QdrantDouble {
  url: string;
  /** Requests served, as "METHOD /path" (query string left off). */
  requests: string[];
  /** The stored state; pass it to a new double to bring "the same server" back. */
  collections: Map<string, Collection>;
  close(): Promise<void>;
}

export async function startQdrantDouble(opts: { port?: number; collections?: Map<string, Collection> } = {}): Promise<QdrantDouble> {
  const collections = opts.collections ?? new Map<string, Collection>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    body(req)
      .then((json) => route(req, json, res))
      .catch((err: Error) => send(res, 400, { status: { error: err.message } }));
  });

  function route(req: IncomingMessage, json: any, res: ServerResponse): void {
    const path = new URL(req.url!, 'http://x').pathname;
    requests.push(`${req.method} ${path}`);
    const m = /^\/collections\/([A-Za-z0-9_-]+)(\/exists|\/points(?:\/count|\/query)?)?$/.exec(path);
    if (!m) return send(res, 404, { status: { error: `no route ${path}` } });
    const [, name, rest = ''] = m;
    const c = collections.get(name!);
    const ok = (result: unknown) => send(res, 200, { result, status: 'ok', time: 0 });
    const missing = () => send(res, 404, { status: { error: `Not found: Collection \`${name}\` doesn't exist!` } });
    switch (`${req.method} ${rest}`) {
      case 'GET /exists':
        return ok({ exists: c !== undefined });
      case 'PUT ':
        if (c) return send(res, 409, { status: { error: `Collection \`${name}\` already exists!` } });
        collections.set(name!, { size: json.vectors.size, distance: json.vectors.distance, points: new Map() });
        return ok(true);
      case 'DELETE ':
        return ok(collections.delete(name!));
      case 'PUT /points': {
        if (!c) return missing();
        for (const p of json.points) {
          if (p.vector.length !== c.size) return send(res, 400, { status: { error: `Wrong input: Vector dimension error: expected dim: ${c.size}, got ${p.vector.length}` } });
        }
        for (const p of json.points) c.points.set(p.id, { vector: c.distance === 'Cosine' ? unit(p.vector) : p.vector, payload: p.payload ?? null });
        return ok({ operation_id: 0, status: 'completed' });
      }
      case 'POST /points':
        if (!c) return missing();
        return ok(
          json.ids
            .filter((id: number) => c.points.has(id))
            .map((id: number) => {
              const p = c.points.get(id)!;
              return { id, ...(json.with_payload ? { payload: p.payload } : {}), ...(json.with_vector ? { vector: p.vector } : {}) };
            }),
        );
      case 'POST /points/count':
        if (!c) return missing();
        return ok({ count: c.points.size });
      case 'POST /points/query': {
        if (!c) return missing();
        const q = c.distance === 'Cosine' ? unit(json.query) : json.query;
        const scored = [...c.points].map(([id, p]) => ({ id, version: 0, score: p.vector.reduce((s, x, i) => s + x * q[i]!, 0) }));
        scored.sort((a, b) => b.score - a.score || a.id - b.id);
        return ok({ points: scored.slice(0, json.limit ?? 10) });
      }
      default:
        return send(res, 404, { status: { error: `no route ${req.method} ${path}` } });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    requests,
    collections,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function unit(v: number[]): number[] {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

async function body(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : null;
}

function send(res: ServerResponse, status: number, json: unknown): void {
  const text = JSON.stringify(json);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
