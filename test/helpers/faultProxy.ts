import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { seededRandom } from '../support/seededRandom.js';

/**
 * A loopback HTTP proxy in front of a DynamoDB (Local) endpoint that injects faults, so tests can
 * prove what the replicator does when the network and the service misbehave. Point a config
 * region's `endpoint` at it; the SDK signs as usual and the proxy forwards the bytes unchanged.
 *
 * ```
 * SDK ──► proxy ──roll──┬─ throttle ──────────► 400 ThrottlingException (nothing applied)
 *                       ├─ serverError ───────► 500 InternalFailure     (nothing applied)
 *                       ├─ drop ──────────────► socket destroyed        (nothing applied)
 *                       ├─ slow ── wait ─► DynamoDB ──► answer          (applied, late)
 *                       ├─ dropAfterForward ─► DynamoDB ──► socket destroyed (APPLIED, client sees a reset)
 *                       └─ none ─────────► DynamoDB ──► answer
 * ```
 *
 * One roll of a seeded PRNG per eligible request chooses at most one fault, so a run replays with
 * the same seed (as far as request order replays).
 */

/** Fault kinds, in the order their rates are laid out on the roll. */
export const FaultKinds = ['throttle', 'serverError', 'drop', 'dropAfterForward', 'slow'] as const;
export type FaultKind = (typeof FaultKinds)[number];

/** Probability (0..1) of each fault per eligible request; their sum must not exceed 1. */
export type FaultRates = Readonly<Partial<Record<FaultKind, number>>>;

/** Options of {@link FaultProxy}. */
export interface FaultProxyOptions {
  /** The endpoint to forward to, e.g. `http://127.0.0.1:8000`. */
  readonly target: string;
  /** @default no faults */
  readonly rates?: FaultRates;
  /** Delay of a `slow` request before it is forwarded, ms. @default 300 */
  readonly slowMs?: number;
  /** Seed of the PRNG. @default 1 */
  readonly seed?: number;
  /**
   * Which requests may get a fault, by their `X-Amz-Target` header (e.g.
   * `DynamoDB_20120810.PutItem`, `DynamoDBStreams_20120810.GetRecords`). @default every request
   */
  readonly appliesTo?: (amzTarget: string) => boolean;
}

/** What the proxy did. `requests` counts every request; each fault kind counts the requests it hit. */
export type FaultCounts = Record<FaultKind | 'requests' | 'eligible' | 'forwarded', number> & {
  /** Faults by `X-Amz-Target` operation (short name, e.g. `PutItem`) and kind. */
  byOperation: Record<string, Partial<Record<FaultKind, number>>>;
  /** Requests by operation, faulted or not. */
  requestsByOperation: Record<string, number>;
};

/** A running proxy. */
export interface RunningFaultProxy {
  /** `http://127.0.0.1:<port>`: use it as a region's endpoint. */
  readonly endpoint: string;
  /** Closes the listener and every open connection. */
  stop(): Promise<void>;
}

/** The seeded generator behind fault patterns (re-exported under the name tests use). */
export { seededRandom as mulberry32 } from '../support/seededRandom.js';

const THROTTLE_BODY = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
  message: 'Rate of requests exceeds the allowed throughput.',
});
const INTERNAL_BODY = JSON.stringify({ __type: 'com.amazon.coral.service#InternalFailure' });

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

/** `DynamoDB_20120810.PutItem` → `PutItem`. */
const operationOf = (amzTarget: string): string => amzTarget.split('.').pop() || '(none)';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A fault-injecting proxy for one DynamoDB endpoint.
 * @example
 * const proxy = new FaultProxy({ target: localEndpoint(0), rates: { throttle: 0.1, drop: 0.02 }, seed: 42 });
 * const { endpoint, stop } = await proxy.start();
 * // ... config.regions['eu-west-1'].endpoint = endpoint
 * proxy.counts.throttle; // how many requests were throttled
 * await stop();
 */
export class FaultProxy {
  public readonly counts: FaultCounts = {
    requests: 0,
    eligible: 0,
    forwarded: 0,
    throttle: 0,
    serverError: 0,
    drop: 0,
    dropAfterForward: 0,
    slow: 0,
    byOperation: {},
    requestsByOperation: {},
  };
  private rates: FaultRates;
  private readonly random: () => number;
  private readonly target: URL;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 128 });
  private readonly sockets = new Set<Socket>();

  public constructor(private readonly options: FaultProxyOptions) {
    this.rates = FaultProxy.checkRates(options.rates ?? {});
    this.random = seededRandom(options.seed ?? 1);
    this.target = new URL(options.target);
  }

  /** Changes the fault rates from now on (e.g. none during set-up, then faults). */
  public setRates(rates: FaultRates): void {
    this.rates = FaultProxy.checkRates(rates);
  }

  /** Total faults injected, all kinds. */
  public get faults(): number {
    return FaultKinds.reduce((sum, kind) => sum + this.counts[kind], 0);
  }

  /** Listens on a free loopback port. */
  public async start(): Promise<RunningFaultProxy> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        req.socket.destroy();
      });
    });
    server.keepAliveTimeout = 30_000;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    return {
      endpoint: `http://127.0.0.1:${port}`,
      stop: async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of this.sockets) socket.destroy();
        this.agent.destroy();
        await closed;
      },
    };
  }

  private static checkRates(rates: FaultRates): FaultRates {
    let sum = 0;
    for (const kind of FaultKinds) {
      const rate = rates[kind] ?? 0;
      if (!(rate >= 0 && rate <= 1))
        throw new Error(`FaultProxy: rates.${kind} must be within 0..1, not ${rate}`);
      sum += rate;
    }
    if (sum > 1) throw new Error(`FaultProxy: the rates add up to ${sum}; at most 1`);
    return rates;
  }

  /** One roll: the fault for this request, if any. */
  private choose(amzTarget: string): FaultKind | undefined {
    if (this.options.appliesTo !== undefined && !this.options.appliesTo(amzTarget)) return undefined;
    this.counts.eligible += 1;
    const roll = this.random();
    let edge = 0;
    for (const kind of FaultKinds) {
      edge += this.rates[kind] ?? 0;
      if (roll < edge) return kind;
    }
    return undefined;
  }

  private count(kind: FaultKind, amzTarget: string): void {
    this.counts[kind] += 1;
    const operation = operationOf(amzTarget);
    const byKind = this.counts.byOperation[operation] ?? {};
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    this.counts.byOperation[operation] = byKind;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.counts.requests += 1;
    const amzTarget = String(req.headers['x-amz-target'] ?? '');
    const operation = operationOf(amzTarget);
    this.counts.requestsByOperation[operation] = (this.counts.requestsByOperation[operation] ?? 0) + 1;
    const body = await readBody(req);
    const fault = this.choose(amzTarget);
    if (fault !== undefined) this.count(fault, amzTarget);
    switch (fault) {
      case 'throttle':
        this.answer(res, 400, THROTTLE_BODY, 'ThrottlingException');
        return;
      case 'serverError':
        this.answer(res, 500, INTERNAL_BODY, 'InternalFailure');
        return;
      case 'drop':
        req.socket.destroy();
        return;
      case 'slow':
        await sleep(this.options.slowMs ?? 300);
        break;
      default:
        break;
    }
    const upstream = await this.forward(req, body);
    if (fault === 'dropAfterForward') {
      req.socket.destroy();
      return;
    }
    res.writeHead(upstream.status, upstream.headers);
    res.end(upstream.body);
  }

  private answer(res: ServerResponse, status: number, body: string, errorType: string): void {
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(body),
      'x-amzn-errortype': errorType,
      'x-amzn-requestid': `fault-${this.counts.requests}`,
    });
    res.end(body);
  }

  /** Sends the request to the target and reads its whole answer. */
  private forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    this.counts.forwarded += 1;
    // The headers go unchanged (the signature covers `host`; DynamoDB Local does not check it anyway).
    const headers = req.headers;
    return new Promise((resolve, reject) => {
      const upstream = request(
        {
          protocol: this.target.protocol,
          hostname: this.target.hostname,
          port: this.target.port,
          method: req.method,
          path: req.url,
          headers,
          agent: this.agent,
        },
        (response) => {
          readBody(response).then((data) => {
            const out: Record<string, string | string[]> = {};
            for (const [name, value] of Object.entries(response.headers)) {
              if (value === undefined || name === 'transfer-encoding' || name === 'connection') continue;
              out[name] = value;
            }
            out['content-length'] = String(data.byteLength);
            resolve({ status: response.statusCode ?? 502, headers: out, body: data });
          }, reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}
