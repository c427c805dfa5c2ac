/**
 * The inter-broker APIs of the controller listener (issue 11): BrokerRegistration,
 * BrokerHeartbeat, AlterPartition and AllocateProducerIds round-trip through the codec at
 * every version Kafka defines, and the version policy keeps them off a plain broker.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { Broker } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { brokerRegistrationHandler } from '../../core/broker/controller/api/handlers/broker-registration.ts';
import { ControllerServer } from '../../core/broker/controller/controller-server.ts';
import type { BrokerToController } from '../../core/broker/controller/broker-to-controller.ts';
import { ApiKey, SCHEMAS, concat, decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../core/protocol/index.ts';
import type { HandlerEntry } from '../../core/broker/api/handler.ts';
import { BROKER_VERSIONS, CLIENT_API_VERSIONS, CONTROLLER_VERSIONS, findVersionRange } from '../../core/protocol/version-policy.ts';

const INTER_BROKER = [ApiKey.AlterPartition, ApiKey.BrokerRegistration, ApiKey.BrokerHeartbeat, ApiKey.AllocateProducerIds] as const;
const ALL = [{ apiKey: 56, minVersion: 0, maxVersion: 3 }, { apiKey: 62, minVersion: 0, maxVersion: 4 }, { apiKey: 63, minVersion: 0, maxVersion: 1 }, { apiKey: 67, minVersion: 0, maxVersion: 0 }];

const UUID = '6b1d4f3e-2a9c-4e51-8f0a-3c2d1e0f9a8b';

/** A request of each API with every field any version has, set to something other than its default. */
function requestOf(apiKey: number, version: number): Record<string, unknown> {
  switch (apiKey) {
    case ApiKey.BrokerRegistration:
      return {
        brokerId: 3, clusterId: 'cluster-x', incarnationId: UUID,
        listeners: [{ name: 'PLAINTEXT', host: 'h3', port: 39092, securityProtocol: 0 }],
        features: [{ name: 'metadata.version', minSupportedVersion: 1, maxSupportedVersion: 20 }],
        rack: 'r1', isMigratingZkBroker: version >= 1, logDirs: version >= 2 ? [UUID] : [], previousBrokerEpoch: version >= 3 ? 17 : -1,
      };
    case ApiKey.BrokerHeartbeat:
      return { brokerId: 3, brokerEpoch: 42, currentMetadataOffset: 1234, wantFence: true, wantShutDown: true, offlineLogDirs: version >= 1 ? [UUID] : [] };
    case ApiKey.AlterPartition:
      return {
        brokerId: 1, brokerEpoch: 9,
        topics: [{
          topicName: version <= 1 ? 'orders' : '', topicId: version >= 2 ? UUID : '00000000-0000-0000-0000-000000000000',
          partitions: [{
            partitionIndex: 2, leaderEpoch: 5, newIsr: version <= 2 ? [1, 2] : [],
            newIsrWithEpochs: version >= 3 ? [{ brokerId: 1, brokerEpoch: 9 }, { brokerId: 2, brokerEpoch: 11 }] : [],
            leaderRecoveryState: version >= 1 ? 1 : 0, partitionEpoch: 7,
          }],
        }],
      };
    default:
      return { brokerId: 2, brokerEpoch: 77 };
  }
}

function responseOf(apiKey: number, version: number): Record<string, unknown> {
  switch (apiKey) {
    case ApiKey.BrokerRegistration:
      return { throttleTimeMs: 1, errorCode: 101, brokerEpoch: 88 };
    case ApiKey.BrokerHeartbeat:
      return { throttleTimeMs: 1, errorCode: 0, isCaughtUp: true, isFenced: false, shouldShutDown: true };
    case ApiKey.AlterPartition:
      return {
        throttleTimeMs: 1, errorCode: 0,
        topics: [{
          topicName: version <= 1 ? 'orders' : '', topicId: version >= 2 ? UUID : '00000000-0000-0000-0000-000000000000',
          partitions: [{ partitionIndex: 2, errorCode: 95, leaderId: 1, leaderEpoch: 5, isr: [1, 2, 3], leaderRecoveryState: version >= 1 ? 1 : 0, partitionEpoch: 8 }],
        }],
      };
    default:
      return { throttleTimeMs: 1, errorCode: 0, producerIdStart: 5000, producerIdLen: 1000 };
  }
}

const cases = INTER_BROKER.flatMap((apiKey) => {
  const schema = SCHEMAS.get(apiKey)!;
  const out: Array<[string, number, number]> = [];
  for (let v = schema.minVersion; v <= schema.maxVersion; v++) out.push([schema.name, v, apiKey]);
  return out;
});

describe('inter-broker APIs in the codec', () => {
  it('describes every version Kafka defines', () => {
    expect(INTER_BROKER.map((k) => { const s = SCHEMAS.get(k)!; return { apiKey: k, minVersion: s.minVersion, maxVersion: s.maxVersion }; }).sort((a, b) => a.apiKey - b.apiKey)).toEqual(ALL);
  });

  it.each(cases)('%s v%i: request and response round-trip', (_name, version, apiKey) => {
    const request = requestOf(apiKey, version);
    const frame = concat(encodeRequest({ apiKey, apiVersion: version, correlationId: 5, clientId: 'b3' }, request)).subarray(4);
    const decoded = decodeRequest(frame, ALL);
    expect(decoded.header).toMatchObject({ apiKey, apiVersion: version, correlationId: 5, clientId: 'b3' });
    expect(decoded.body).toEqual(request);
    const response = responseOf(apiKey, version);
    const back = decodeResponse(apiKey as 62, version, concat(encodeResponse(apiKey, version, 5, response)).subarray(4));
    expect(back.correlationId).toBe(5);
    expect(back.body).toEqual(response);
  });
});

describe('the version policy of the controller listener', () => {
  it('gives the inter-broker APIs controller ranges only: the versions current Kafka brokers send', () => {
    for (const apiKey of INTER_BROKER) {
      expect(findVersionRange(BROKER_VERSIONS, apiKey)).toBeUndefined();
      expect(findVersionRange(CLIENT_API_VERSIONS, apiKey)).toBeUndefined();
    }
    expect(INTER_BROKER.map((k) => ({ ...findVersionRange(CONTROLLER_VERSIONS, k)! }))).toEqual([
      { apiKey: 56, minVersion: 2, maxVersion: 3 },
      { apiKey: 62, minVersion: 0, maxVersion: 4 },
      { apiKey: 63, minVersion: 0, maxVersion: 1 },
      { apiKey: 67, minVersion: 0, maxVersion: 0 },
    ]);
  });

  it('keeps a plain broker from advertising them, even with such a handler registered', () => {
    const plain = new Broker({ handlers: DEFAULT_HANDLERS, storage: memoryStorage(), retentionCheckIntervalMs: 0 });
    const withHandler = new Broker({
      handlers: [...DEFAULT_HANDLERS, brokerRegistrationHandler as unknown as HandlerEntry],
      storage: memoryStorage(),
      retentionCheckIntervalMs: 0,
    });
    expect(withHandler.apiVersions()).toEqual(plain.apiVersions());
    for (const apiKey of INTER_BROKER) expect(plain.apiVersions().some((r) => r.apiKey === apiKey)).toBe(false);
  });

  it('advertises exactly the controller APIs on the controller listener', () => {
    const server = new ControllerServer({ nodeId: 1, controller: {} as BrokerToController, quorum: { read: async () => ({ batches: [], highWatermark: 0 }), leader: () => ({ nodeId: 1, epoch: 1 }) } });
    expect(server.apiVersions().map((r) => [r.apiKey, r.minVersion, r.maxVersion])).toEqual([
      [1, 4, 17], [18, 0, 3], [19, 0, 7], [20, 0, 6], [30, 0, 3], [31, 0, 3], [33, 0, 2], [37, 0, 3], [43, 0, 2], [44, 0, 1], [45, 0, 0], [46, 0, 0], [51, 0, 0], [56, 2, 3], [62, 0, 4], [63, 0, 1], [64, 0, 0], [67, 0, 0],
    ]);
  });
});
