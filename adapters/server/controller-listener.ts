/**
 * The controller listener on node:net: a controller voter serves brokers on its
 * `--controller-quorum` port through the same Kafka listener as a broker's clients
 * ({@link openListener}: sessions, limits, graceful drain), with a {@link ControllerServer}
 * as the target.
 */
import type { BrokerLimits } from '../../core/broker/broker-configs.ts';
import type { BrokerToController } from '../../core/broker/controller/broker-to-controller.ts';
import { ControllerServer, type ControllerServerOptions } from '../../core/broker/controller/controller-server.ts';
import type { MetadataQuorum } from '../../core/broker/quorum/metadata-quorum.ts';
import type { Logger } from '../../core/contracts/logger.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import { isLoopback, openListener, type ListenerOptions } from './kafka-listener.ts';

/** Options of {@link serveController}. */
export interface ServeControllerOptions extends Omit<ListenerOptions, 'logger'> {
  /** This voter's node id. */
  readonly nodeId: number;
  /** The active controller as brokers reach it. */
  readonly controller: BrokerToController;
  /** The metadata log brokers fetch. */
  readonly quorum: Pick<MetadataQuorum, 'read' | 'leader'>;
  /** This voter's Raft quorum (several voters): serves the Raft APIs and the metadata Fetch. */
  readonly raft?: ControllerServerOptions['raft'];
  /** Interface to bind. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Logger; default silent. */
  readonly logger?: Logger;
  /** Socket and connection limits, fetch.max.bytes; unset ones take Kafka's defaults. */
  readonly limits?: Partial<BrokerLimits>;
  /** Names a topic by id, for DeleteTopics by id. */
  readonly topicName?: ControllerServerOptions['topicName'];
}

/** A running controller listener. */
export interface ControllerListener {
  /** What it serves. */
  readonly server: ControllerServer;
  /** Bound host. */
  readonly host: string;
  /** Bound port (the real one when 0 was asked). */
  readonly port: number;
  /** `host:port`. */
  readonly address: string;
  /** Open connections now. */
  connectionCount(): number;
  /** Ends long polls, drains and ends the connections; the controller and the quorum stay open (their owner closes them). */
  close(): Promise<void>;
}

/** Listens for brokers on the controller port; resolves once it accepts connections. */
export async function serveController(options: ServeControllerOptions): Promise<ControllerListener> {
  const logger = options.logger ?? silentLogger;
  const host = options.host ?? '127.0.0.1';
  const server = new ControllerServer({
    nodeId: options.nodeId,
    controller: options.controller,
    quorum: options.quorum,
    logger,
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
    ...(options.topicName !== undefined ? { topicName: options.topicName } : {}),
    ...(options.raft !== undefined ? { raft: options.raft } : {}),
  });
  const { nodeId: _n, controller: _c, quorum: _q, limits: _l, topicName: _t, raft: _r, ...listenerOptions } = options;
  const listener = await openListener(server, { ...listenerOptions, host, logger });
  logger.info('controller listening', { host, port: listener.port, nodeId: options.nodeId });
  if (!isLoopback(host)) {
    logger.warn('controller listening on a non-loopback address without authentication: anyone who can reach this port can register brokers and change metadata', { host, port: listener.port });
  }
  let closing: Promise<void> | undefined;
  return {
    server,
    host,
    port: listener.port,
    address: listener.address,
    connectionCount: () => listener.connectionCount(),
    close: () => (closing ??= listener.close().then(() => logger.info('controller listener closed', { port: listener.port }))),
  };
}
