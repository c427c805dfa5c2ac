/**
 * A cluster of broker processes for the fault tests: three `tributary broker` processes on
 * 127.0.0.1 with filesystem storage, node 1 the single controller voter (or every node a
 * voter of a Raft quorum: `raftVoters`), every broker port and the single controller port
 * behind a FaultNetwork proxy. Brokers advertise their proxy, so
 * replica fetchers, the controller channel and application clients all cross it.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../../mod.ts';
import type { Client } from '../../core/client/client.ts';
import { tcpTransport } from '../../adapters/transport/index.ts';
import type { QuorumVoter } from '../../core/broker/quorum/metadata-quorum.ts';
import { describeQuorum } from '../../core/broker/quorum/quorum-description.ts';
import { BrokerNode } from './broker-node.ts';
import { FaultNetwork } from './fault-proxy.ts';
import type { PartitionIsr } from './history.ts';

/** Short failure-detection timeouts, passed as the broker flags of the same names as Kafka's configs. */
export interface ClusterTimeouts {
  /** broker.session.timeout.ms: a broker without heartbeats this long is fenced. */
  readonly brokerSessionTimeoutMs?: number;
  /** broker.heartbeat.interval.ms. */
  readonly brokerHeartbeatIntervalMs?: number;
  /** replica.lag.time.max.ms: a follower that has not caught up this long leaves the ISR. */
  readonly replicaLagTimeMaxMs?: number;
}

/** Options of {@link startProcessCluster}. */
export interface ProcessClusterOptions extends ClusterTimeouts {
  /** Number of brokers (default 3). Node 1 is the controller. */
  readonly nodes?: number;
  /** More broker flags for every node. */
  readonly extraArgs?: readonly string[];
  /**
   * Every node a voter of a Raft controller quorum as well as a broker (issue 12): node N's
   * controller listener on its own port, reached directly (the proxies carry broker ports only).
   * Default false: node 1 the single voter, its controller port behind a proxy.
   */
  readonly raftVoters?: boolean;
}

/** A running process cluster. */
export interface ProcessCluster {
  readonly net: FaultNetwork;
  readonly nodes: ReadonlyMap<number, BrokerNode>;
  /** The advertised (proxy) addresses, for application clients. */
  readonly bootstrap: readonly string[];
  /** Where data directories and logs live (removed by close() unless the run failed and keepOnFailure was asked). */
  readonly root: string;
  /** A client of ours for the cluster (closed by close()). */
  client(clientId: string): Client;
  node(id: number): BrokerNode;
  /** Replicas, ISR and leader of each partition, as the cluster reports them (Metadata). */
  describe(topic: string): Promise<PartitionIsr[]>;
  /** The current leader of `partition`, once there is one. */
  leaderOf(topic: string, partition: number, timeoutMs?: number): Promise<number>;
  /** Waits until every partition of `topic` has a leader and its whole replica set in the ISR; resolves the last description. */
  waitForFullIsr(topic: string, timeoutMs?: number): Promise<PartitionIsr[]>;
  /** Waits until `check` holds for the description of `topic`. */
  waitForTopic(topic: string, what: string, check: (partitions: PartitionIsr[]) => boolean, timeoutMs?: number): Promise<PartitionIsr[]>;
  /** The voters of the controller quorum (their controller listeners). */
  readonly voters: readonly QuorumVoter[];
  /** The active controller as DescribeQuorum tells it (-1 while none answers as leader). */
  activeController(timeoutMs?: number): Promise<number>;
  /** Every node's log, each under a header (for failure reports). */
  logs(): string;
  /** Kills every node, stops the proxies; removes the data unless `keep`. */
  close(keep?: boolean): Promise<void>;
}

/** A port free right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The broker flags for the timeouts that are set. */
function timeoutArgs(t: ClusterTimeouts): string[] {
  const args: string[] = [];
  if (t.brokerSessionTimeoutMs !== undefined) args.push('--broker-session-timeout-ms', String(t.brokerSessionTimeoutMs));
  if (t.brokerHeartbeatIntervalMs !== undefined) args.push('--broker-heartbeat-interval-ms', String(t.brokerHeartbeatIntervalMs));
  if (t.replicaLagTimeMaxMs !== undefined) args.push('--replica-lag-time-max-ms', String(t.replicaLagTimeMaxMs));
  return args;
}

/** Starts the proxies and the brokers, and waits until every broker is in the cluster's metadata. */
export async function startProcessCluster(options: ProcessClusterOptions = {}): Promise<ProcessCluster> {
  const count = options.nodes ?? 3;
  const root = mkdtempSync(join(tmpdir(), 'tributary-faults-'));
  const net = new FaultNetwork();
  const raft = options.raftVoters ?? false;
  let controllerBind = 0;
  let voters: QuorumVoter[];
  if (raft) {
    voters = [];
    for (let id = 1; id <= count; id++) voters.push({ nodeId: id, host: '127.0.0.1', port: await freePort() });
  } else {
    net.setControllerNode(1);
    controllerBind = await freePort();
    voters = [{ nodeId: 1, host: '127.0.0.1', port: await net.listen('controller', controllerBind) }];
  }
  const quorum = voters.map((v) => `${v.nodeId}@${v.host}:${v.port}`).join(',');
  const nodes = new Map<number, BrokerNode>();
  const bootstrap: string[] = [];
  for (let id = 1; id <= count; id++) {
    const port = await freePort();
    const advertised = await net.listen(id, port);
    bootstrap.push(`127.0.0.1:${advertised}`);
    const dataDir = join(root, `node-${id}`);
    mkdirSync(dataDir);
    const args = [
      '--node-id', String(id),
      '--port', String(port),
      '--data-dir', dataDir,
      '--storage', 'filesystem',
      '--controller-quorum', quorum,
      ...(!raft && id === 1 ? ['--controller-listen-port', String(controllerBind)] : []),
      '--advertised-host', '127.0.0.1',
      '--advertised-port', String(advertised),
      '--group-initial-rebalance-delay-ms', '0',
      '--retention-check-interval-ms', '600000',
      '--log-level', 'info',
      ...timeoutArgs(options),
      ...(options.extraArgs ?? []),
    ];
    nodes.set(id, new BrokerNode({ id, port, dataDir, logFile: join(root, `node-${id}.log`), args }));
  }
  const clients: Client[] = [];
  const makeClient = (clientId: string) => {
    const client = createClient({ brokers: bootstrap, clientId, logLevel: 'silent', requestTimeoutMs: 5_000, connectTimeoutMs: 3_000, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1_000 } });
    clients.push(client);
    return client;
  };
  const admin = makeClient('fault-harness').admin();
  const cluster: ProcessCluster = {
    net,
    nodes,
    bootstrap,
    root,
    client: makeClient,
    node(id) {
      const node = nodes.get(id);
      if (!node) throw new Error(`no node ${id}`);
      return node;
    },
    async describe(topic) {
      const [described] = await admin.describeTopics([topic]);
      return (described?.partitions ?? []).map((p) => ({ partition: p.partitionId, replicas: [...p.replicas], isr: [...p.isr], leader: p.leader })).sort((a, b) => a.partition - b.partition);
    },
    async waitForTopic(topic, what, check, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let last: PartitionIsr[] | string = 'nothing yet';
      for (;;) {
        try {
          const partitions = await cluster.describe(topic);
          last = partitions;
          if (partitions.length > 0 && check(partitions)) return partitions;
        } catch (error) {
          last = String(error);
        }
        if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    waitForFullIsr(topic, timeoutMs) {
      return cluster.waitForTopic(topic, `full ISR of ${topic}`, (ps) => ps.every((p) => p.leader >= 0 && p.replicas.every((r) => p.isr.includes(r))), timeoutMs);
    },
    async leaderOf(topic, partition, timeoutMs) {
      const ps = await cluster.waitForTopic(topic, `leader of ${topic}-${partition}`, (ps) => (ps.find((p) => p.partition === partition)?.leader ?? -1) >= 0, timeoutMs);
      return ps.find((p) => p.partition === partition)!.leader;
    },
    voters,
    async activeController(timeoutMs = 5_000) {
      const described = await describeQuorum({ voters, transport: tcpTransport(), requestTimeoutMs: 1_000, connectTimeoutMs: 1_000, retryTimeoutMs: timeoutMs, retryBackoffMs: 50, retryBackoffMaxMs: 200 });
      return described.leaderId;
    },
    logs() {
      return [...nodes.values()].map((n) => `----- node ${n.id} (${n.spec.logFile}) -----\n${n.log()}`).join('\n');
    },
    async close(keep = false) {
      await Promise.allSettled(clients.map((c) => c.close()));
      await Promise.allSettled([...nodes.values()].map((n) => n.kill()));
      await net.close();
      if (!keep) rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    if (raft) {
      // Voters elect a leader together: all at once.
      await Promise.all([...nodes.values()].map((n) => n.start()));
    } else {
      // The controller's node first: the others register with it.
      await nodes.get(1)!.start();
      await Promise.all([...nodes.values()].filter((n) => n.id !== 1).map((n) => n.start()));
    }
  } catch (error) {
    await cluster.close(true);
    throw error;
  }
  return cluster;
}
