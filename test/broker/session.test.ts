/**
 * BrokerSession (core/broker/session.ts): the connection rules, over a fake transport and
 * a scripted broker — request order, acks=0, the ApiVersions fallback, bad and oversized
 * frames, drain on shutdown — plus the decoded path the in-process transport uses.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerSession, type SessionBroker, type SessionOptions, type SessionRequestHeader, drainSessions } from '../../core/broker/session.ts';
import type { Logger } from '../../core/contracts/logger.ts';
import { TributaryError } from '../../core/errors.ts';
import { FrameDecoder } from '../../core/protocol/framing.ts';
import { decodeResponse, encodeRequest } from '../../core/protocol/messages.ts';
import { batchOf, brokerPool, joined, produceBody } from './helpers.ts';
import { sizePrefix } from './raw-client.ts';

interface LogLine {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, fields });
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** A transport that keeps what the session writes. */
function fakeTransport() {
  const decoder = new FrameDecoder(1 << 30);
  const t = {
    writes: 0,
    frames: [] as Uint8Array[],
    closed: false,
    flowChanges: 0,
    write(chunks: readonly Uint8Array[]) {
      t.writes++;
      for (const frame of decoder.push(joined([...chunks]))) t.frames.push(frame.slice());
    },
    close() {
      t.closed = true;
    },
    flowChanged() {
      t.flowChanges++;
    },
    /** Correlation ids of the responses written, in order. */
    ids(): number[] {
      return t.frames.map((f) => new DataView(f.buffer, f.byteOffset).getInt32(0));
    },
  };
  return t;
}

interface Deferred {
  header: SessionRequestHeader;
  body: unknown;
  resolve(response: object | null): void;
  reject(error: unknown): void;
}

const RANGES = [
  { apiKey: 0, minVersion: 3, maxVersion: 9 },
  { apiKey: 3, minVersion: 0, maxVersion: 12 },
  { apiKey: 18, minVersion: 0, maxVersion: 3 },
];

/** A broker whose every request waits until the test settles it. */
function scriptedBroker() {
  const calls: Deferred[] = [];
  const broker: SessionBroker & { calls: Deferred[]; call(id: number): Deferred } = {
    calls,
    apiVersions: () => RANGES,
    handle(header, body) {
      return new Promise((resolve, reject) => calls.push({ header, body, resolve, reject }));
    },
    call(id) {
      const found = calls.find((c) => c.header.correlationId === id);
      if (!found) throw new Error(`no request ${id}`);
      return found;
    },
  };
  return broker;
}

function setup(options: SessionOptions = {}) {
  const broker = scriptedBroker();
  const transport = fakeTransport();
  const logger = recordingLogger();
  const session = new BrokerSession(broker, transport, { logger, remote: 'peer:1', clientHost: '/peer', ...options });
  return { broker, transport, logger, session };
}

const metadata = (id: number) => joined(encodeRequest({ apiKey: 3, apiVersion: 1, correlationId: id, clientId: 't' }, { topics: null }));
const META_BODY = { brokers: [], controllerId: 1, topics: [] };
const tick = () => new Promise((r) => setTimeout(r, 0));

function closeLine(logger: { lines: LogLine[] }): LogLine | undefined {
  return logger.lines.find((l) => l.message === 'closing connection');
}

const pool = brokerPool();
afterEach(() => pool.closeAll());

describe('BrokerSession over bytes', () => {
  it('answers in request order when handlers finish out of order, in one write', async () => {
    const { broker, transport, session } = setup();
    session.receive(joined([metadata(1), metadata(2), metadata(3)]));
    expect(broker.calls.map((c) => c.header.correlationId)).toEqual([1, 2, 3]);
    expect(broker.calls[0]!.header.clientHost).toBe('/peer');
    expect(session.inFlight).toBe(3);
    broker.call(3).resolve(META_BODY);
    broker.call(2).resolve(META_BODY);
    await tick();
    expect(transport.frames).toEqual([]);
    broker.call(1).resolve(META_BODY);
    await tick();
    expect(transport.ids()).toEqual([1, 2, 3]);
    expect(transport.writes).toBe(1);
    expect(decodeResponse(3, 1, transport.frames[0]!).body.controllerId).toBe(1);
    expect(session.inFlight).toBe(0);
    expect(transport.flowChanges).toBeGreaterThan(0);
  });

  it('decodes frames split across chunks at any byte', async () => {
    const { broker, transport, session } = setup();
    const stream = joined([metadata(7), metadata(8)]);
    for (let i = 0; i < stream.length; i++) session.receive(stream.subarray(i, i + 1));
    expect(broker.calls.map((c) => c.header.correlationId)).toEqual([7, 8]);
    for (const c of broker.calls) c.resolve(META_BODY);
    await tick();
    expect(transport.ids()).toEqual([7, 8]);
  });

  it('sends nothing for a request answered with null (acks=0) and keeps the order of the rest', async () => {
    const { broker, transport, session } = setup();
    session.receive(joined([metadata(1), metadata(2), metadata(3)]));
    broker.call(2).resolve(null);
    broker.call(3).resolve(META_BODY);
    broker.call(1).resolve(META_BODY);
    await tick();
    expect(transport.ids()).toEqual([1, 3]);
    expect(transport.closed).toBe(false);
  });

  it('appends an acks=0 produce once and answers nothing (real broker)', async () => {
    const b = await pool.start();
    const transport = fakeTransport();
    const session = new BrokerSession(b, transport);
    session.receive(joined(encodeRequest({ apiKey: 0, apiVersion: 9, correlationId: 1, clientId: 't' }, produceBody('t', 0, batchOf(['a']), 0))));
    session.receive(joined(encodeRequest({ apiKey: 18, apiVersion: 3, correlationId: 2, clientId: 't' }, { clientSoftwareName: 't', clientSoftwareVersion: '1' })));
    await new Promise((r) => setTimeout(r, 50));
    expect(transport.ids()).toEqual([2]);
    expect(b.topics.get('t')!.partitions[0]!.highWatermark).toBe(1);
  });

  it('closes when a handler fails, at info for a failed acks=0 produce and error otherwise', async () => {
    for (const [code, level] of [['ERR_ACKS0_FAILED', 'info'], ['ERR_STORAGE_FULL', 'error']] as const) {
      const { broker, transport, session, logger } = setup();
      session.receive(joined([metadata(1), metadata(2)]));
      broker.call(2).resolve(META_BODY);
      broker.call(1).reject(new TributaryError(code, 'failed'));
      await tick();
      expect(transport.closed).toBe(true);
      expect(transport.frames).toEqual([]);
      expect(session.closed).toBe(true);
      expect(closeLine(logger)).toMatchObject({ level, fields: { code, remote: 'peer:1' } });
    }
  });

  it('answers an ApiVersions version it does not speak with the v0 fallback and stays open', async () => {
    const { transport, session } = setup();
    // Header v2 for ApiVersions v99, then a body whose layout nobody knows.
    const frame = new Uint8Array([0, 18, 0, 99, 0, 0, 0, 7, 0, 3, 0x61, 0x62, 0x63, 0, 0x42, 0x42]);
    session.receive(joined([sizePrefix(frame.length), frame]));
    await tick();
    expect(transport.ids()).toEqual([7]);
    const body = decodeResponse(18, 0, transport.frames[0]!).body;
    expect(body.errorCode).toBe(35);
    expect(body.apiKeys).toEqual([{ apiKey: 18, minVersion: 0, maxVersion: 3 }]);
    expect(transport.closed).toBe(false);
  });

  const bad: Array<[string, Uint8Array, string, SessionOptions?]> = [
    ['a negative size', sizePrefix(-5), 'ERR_NEGATIVE_FRAME_SIZE'],
    ['a 2 GiB size prefix', new Uint8Array([0x80, 0, 0, 0, 1, 2, 3]), 'ERR_NEGATIVE_FRAME_SIZE'],
    ['an unknown API key', joined([sizePrefix(10), new Uint8Array([0x27, 0x0f, 0, 0, 0, 0, 0, 1, 0xff, 0xff])]), 'ERR_UNKNOWN_API'],
    ['a known API in an unsupported version', joined([sizePrefix(11), new Uint8Array([0, 3, 0, 99, 0, 0, 0, 1, 0xff, 0xff, 0])]), 'UNSUPPORTED_VERSION'],
    ['a body that does not parse', joined([sizePrefix(12), new Uint8Array([0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0x7f, 0xff])]), 'ERR_MALFORMED_REQUEST'],
  ];
  for (const [name, bytes, code] of bad) {
    it(`closes on ${name} with a coded warning`, () => {
      const { broker, transport, session, logger } = setup();
      session.receive(bytes);
      expect(transport.closed).toBe(true);
      expect(broker.calls).toEqual([]);
      expect(closeLine(logger)).toMatchObject({ level: 'warn', fields: { code, remote: 'peer:1' } });
      // Nothing more is taken once closed.
      session.receive(metadata(2));
      expect(broker.calls).toEqual([]);
    });
  }

  it('closes on an oversized frame before its body arrives, and drops what was in flight', async () => {
    const { broker, transport, session, logger } = setup({ maxRequestSize: 1000 });
    session.receive(metadata(1));
    session.receive(sizePrefix(1001));
    expect(transport.closed).toBe(true);
    expect(closeLine(logger)).toMatchObject({ level: 'warn', fields: { code: 'ERR_FRAME_TOO_LARGE' } });
    expect(session.inFlight).toBe(0);
    broker.call(1).resolve(META_BODY);
    await tick();
    expect(transport.frames).toEqual([]);
  });

  it('accepts a frame of exactly the maximum size', () => {
    const frame = metadata(1);
    const { broker, transport, session } = setup({ maxRequestSize: frame.length - 4 });
    session.receive(frame);
    expect(transport.closed).toBe(false);
    expect(broker.calls).toHaveLength(1);
  });

  it('reports itself saturated at maxInFlight and frees up as answers go', async () => {
    const { broker, transport, session } = setup({ maxInFlight: 2 });
    session.receive(metadata(1));
    expect(session.saturated).toBe(false);
    session.receive(metadata(2));
    expect(session.saturated).toBe(true);
    broker.call(1).resolve(META_BODY);
    await tick();
    expect(session.saturated).toBe(false);
    expect(transport.flowChanges).toBe(1);
  });

  it('forgets in-flight requests when the peer hangs up', async () => {
    const { broker, transport, session } = setup();
    session.receive(metadata(1));
    session.transportClosed();
    broker.call(1).resolve(META_BODY);
    await tick();
    expect(transport.frames).toEqual([]);
    expect(session.closed).toBe(true);
  });
});

describe('BrokerSession drain', () => {
  it('stops taking requests, answers the received ones, then resolves without closing', async () => {
    const { broker, transport, session } = setup();
    session.receive(joined([metadata(1), metadata(2)]));
    let drained = false;
    const draining = session.drain().then(() => (drained = true));
    session.receive(metadata(3));
    expect(broker.calls).toHaveLength(2);
    broker.call(2).resolve(META_BODY);
    await tick();
    expect(drained).toBe(false);
    broker.call(1).resolve(META_BODY);
    await draining;
    expect(transport.ids()).toEqual([1, 2]);
    expect(transport.closed).toBe(false);
  });

  it('resolves at once with nothing in flight', async () => {
    const { session } = setup();
    await session.drain();
    expect(session.draining).toBe(true);
  });

  it('drainSessions cuts the sessions still busy after the timeout', async () => {
    const quick = setup();
    const stuck = setup();
    quick.session.receive(metadata(1));
    stuck.session.receive(metadata(1));
    setTimeout(() => quick.broker.call(1).resolve(META_BODY), 5);
    const cut = await drainSessions([quick.session, stuck.session], 50);
    expect(cut).toBe(1);
    expect(quick.transport.ids()).toEqual([1]);
    expect(quick.transport.closed).toBe(false);
    expect(stuck.transport.closed).toBe(true);
    expect(await drainSessions([setup().session], 50)).toBe(0);
  });
});

describe('BrokerSession over decoded requests', () => {
  const header = (id: number, apiKey = 3, apiVersion = 1): SessionRequestHeader => ({ apiKey, apiVersion, correlationId: id, clientId: 't' });

  it('resolves in request order', async () => {
    const { broker, session } = setup();
    const order: number[] = [];
    const a = session.request(header(1), {}).then(() => order.push(1));
    const b = session.request(header(2), {}).then(() => order.push(2));
    const c = session.request(header(3), {}).then((r) => (order.push(3), r));
    broker.call(3).resolve(null);
    broker.call(2).resolve(META_BODY);
    await tick();
    expect(order).toEqual([]);
    broker.call(1).resolve(META_BODY);
    await Promise.all([a, b]);
    expect(await c).toBeNull();
    expect(order).toEqual([1, 2, 3]);
  });

  it('a failed handler rejects its caller with its error, closes, and fails those queued behind', async () => {
    const { broker, transport, session } = setup();
    const first = session.request(header(1), {});
    const second = session.request(header(2), {});
    broker.call(2).resolve(META_BODY);
    broker.call(1).reject(new TributaryError('ERR_STORAGE_FULL', 'boom'));
    await expect(first).rejects.toMatchObject({ code: 'ERR_STORAGE_FULL' });
    await expect(second).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED', retriable: true });
    expect(transport.closed).toBe(true);
    await expect(session.request(header(3), {})).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
  });

  it('refuses and closes on what the broker does not serve; ApiVersions gets the fallback body', async () => {
    const unsupported = setup();
    await expect(unsupported.session.request(header(1, 3, 99), {})).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION' });
    expect(unsupported.transport.closed).toBe(true);
    const unknown = setup();
    await expect(unknown.session.request(header(1, 9999, 0), {})).rejects.toMatchObject({ code: 'ERR_UNKNOWN_API' });
    const fallback = setup();
    expect(await fallback.session.request(header(1, 18, 99), {})).toEqual({ errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }] });
    expect(fallback.transport.closed).toBe(false);
    expect(fallback.broker.calls).toEqual([]);
  });
});
