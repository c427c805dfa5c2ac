/** The handlers a broker starts with, by API key. */
import type { HandlerEntry } from '../broker.ts';
import { alterConfigsHandler } from './alter-configs.ts';
import { apiVersionsHandler } from './api-versions.ts';
import { createPartitionsHandler } from './create-partitions.ts';
import { createTopicsHandler } from './create-topics.ts';
import { deleteTopicsHandler } from './delete-topics.ts';
import { describeClusterHandler } from './describe-cluster.ts';
import { describeConfigsHandler } from './describe-configs.ts';
import { fetchHandler } from './fetch.ts';
import { findCoordinatorHandler } from './find-coordinator.ts';
import { GROUP_HANDLERS } from './group-handlers.ts';
import { listOffsetsHandler } from './list-offsets.ts';
import { metadataHandler } from './metadata.ts';
import { produceHandler } from './produce.ts';

/** API key → handler for every API this issue serves. */
export const DEFAULT_HANDLERS: ReadonlyMap<number, HandlerEntry> = new Map([
  [0, produceHandler],
  [1, fetchHandler],
  [2, listOffsetsHandler],
  [3, metadataHandler],
  [10, findCoordinatorHandler],
  [18, apiVersionsHandler],
  [19, createTopicsHandler],
  [20, deleteTopicsHandler],
  [32, describeConfigsHandler],
  [33, alterConfigsHandler],
  [37, createPartitionsHandler],
  [60, describeClusterHandler],
  ...GROUP_HANDLERS,
]);
