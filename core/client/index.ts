/** The client: createClient, Producer, Consumer, Admin, and the Transport contract. */
export { Client, createClient, type ClientOptions } from './client.ts';
export {
  Producer,
  type Acks,
  type HeaderValue,
  type ProducerBatchRecord,
  type ProducerMessage,
  type ProducerOptions,
  type ProducerRecord,
  type RecordMetadata,
  type TopicMessages,
} from './producer.ts';
export {
  Consumer,
  type AssignmentSource,
  type AssignmentTarget,
  type AutoOffsetReset,
  type ConsumerBatch,
  type ConsumerEventListener,
  type ConsumerEventName,
  type ConsumerEvents,
  type ConsumerMessage,
  type ConsumerOptions,
  type EachBatchPayload,
  type EachMessagePayload,
  type RunOptions,
  type TopicPartition,
  type TopicPartitionOffset,
} from './consumer.ts';
export * from './group/index.ts';
export * from './assignors/index.ts';
export { Admin, ConfigOperation, ConfigResourceType, type ConfigEntry, type NewTopic, type PartitionDescription, type TopicPartitionOffsets } from './admin.ts';
export { Cluster, type BrokerInfo, type ClusterOptions, type PartitionMetadata, type TopicMetadata } from './cluster.ts';
export { inProcessTransport } from './in-process-transport.ts';
export { CLIENT_VERSIONS, commonVersion, pickVersion } from './client-versions.ts';
export type { BrokerAddress, RequestOptions, Transport, TransportFactory, TransportOptions } from './transport.ts';
export type { RetryOptions } from './retry.ts';
export { rawSerializer, type CompressionChoice, type PartitionerChoice, type SerializerChoice, type SerializerChoices, type TopicSettings } from './serde.ts';
