/** ListGroups: every group this coordinator knows (v4+: filtered by state; v5+: by type). */
import type { Broker, BrokerRequestHeader, HandlerEntry } from '../broker.ts';

function handleListGroups(broker: Broker, header: BrokerRequestHeader, body: { statesFilter?: string[]; typesFilter?: string[] }): Record<string, unknown> {
  const v = header.apiVersion;
  const result = broker.groups.list(v >= 4 ? (body.statesFilter ?? []) : [], v >= 5 ? (body.typesFilter ?? []) : []);
  return { throttleTimeMs: 0, errorCode: result.errorCode, groups: result.groups };
}

/** ListGroups v0–5. */
export const listGroupsHandler: HandlerEntry = { minVersion: 0, maxVersion: 5, handle: handleListGroups };
