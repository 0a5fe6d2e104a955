// The controller: its listeners and one session per datapath. A datapath that connects
// again replaces its old session, which is closed with everything it held.
import type { Server, Socket } from 'node:net';
import type { Logger } from 'pino';
import type { FactConsumer } from '../pipeline/facts.ts';
import { listen, type ListenSpec, type TlsFiles } from './listen.ts';
import { Session, DEFAULT_SESSION, type Role, type SessionOptions } from './session.ts';
import { DEFAULT_POLICY } from './policy.ts';
import { dpidText } from './facts.ts';

export interface ControllerOptions {
  listen: ListenSpec[];
  tls?: TlsFiles;
  consumer: FactConsumer;
  log: Logger;
  session?: Partial<SessionOptions>;
}

export class Controller {
  private readonly opts: ControllerOptions;
  private readonly session: SessionOptions;
  private readonly servers: Server[] = [];
  /** Every open session, identified or not. */
  readonly sessions = new Set<Session>();
  /** Sessions by datapath id, once the switch said who it is. */
  readonly datapaths = new Map<bigint, Session>();
  /** Closed sessions whose last facts are still being consumed. */
  private readonly draining = new Set<Promise<void>>();
  /** Every accepted connection, also TLS ones still in their handshake (not yet a session). */
  private readonly connections = new Set<Socket>();
  private stopping = false;
  /** Where the listeners are bound (port 0 resolved). */
  bound: ListenSpec[] = [];

  constructor(opts: ControllerOptions) {
    this.opts = opts;
    this.session = { ...DEFAULT_SESSION, policy: DEFAULT_POLICY, ...opts.session };
  }

  async start(): Promise<void> {
    try {
      for (const spec of this.opts.listen) {
        const { server, spec: bound } = await listen(spec, this.opts.tls, this.opts.log, (socket) => this.accept(socket));
        server.on('connection', (socket: Socket) => {
          this.connections.add(socket);
          socket.once('close', () => this.connections.delete(socket));
        });
        this.servers.push(server);
        this.bound.push(bound);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Closes listeners and sessions, then waits until every fact has been consumed. */
  async stop(): Promise<void> {
    this.stopping = true;
    // server.close() calls back only once every connection has ended, so the sessions (and
    // TLS handshakes not yet sessions) are closed here, not waited for: a connected switch
    // would otherwise keep stop() (and SIGTERM of `ghostbridge run`) waiting forever.
    const listenersClosed = this.servers.map((s) => new Promise((r) => s.close(r)));
    this.servers.length = 0;
    for (const s of [...this.sessions]) s.close('controller stopping');
    for (const socket of this.connections) socket.destroy();
    await Promise.all(listenersClosed);
    await Promise.all(this.draining);
  }

  /** Sets this controller's role on every connected switch, and for switches to come. */
  async setRole(role: Role, generationId: bigint): Promise<void> {
    if (generationId < 0n || generationId >= 1n << 64n) throw new RangeError(`generation id ${generationId} is not an unsigned 64-bit integer`);
    this.session.role = role;
    this.session.generationId = generationId;
    await Promise.all([...this.datapaths.values()].map((s) => s.setRole(role, generationId)));
  }

  private accept(socket: Socket): void {
    if (this.stopping) return void socket.destroy();
    const session = new Session(socket, this.session, {
      consumer: this.opts.consumer,
      log: this.opts.log,
      identified: (s) => {
        const old = this.datapaths.get(s.datapathId!);
        this.datapaths.set(s.datapathId!, s);
        if (old && old !== s) {
          this.opts.log.info({ dpid: dpidText(s.datapathId!) }, 'datapath reconnected: closing its old session');
          old.close('replaced by a new connection from the same datapath');
        }
      },
      closed: (s) => {
        this.sessions.delete(s);
        // stop() must not return (and the consumer be shut) while these facts are in flight.
        const done = s.drained().then(() => void this.draining.delete(done));
        this.draining.add(done);
        if (s.datapathId !== undefined && this.datapaths.get(s.datapathId) === s) this.datapaths.delete(s.datapathId);
      },
    });
    this.sessions.add(session);
  }
}
