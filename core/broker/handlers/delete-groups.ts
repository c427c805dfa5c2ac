/** DeleteGroups: removes empty groups and their committed offsets. */
import type { Broker, BrokerRequestHeader, HandlerEntry } from '../broker.ts';

async function handleDeleteGroups(broker: Broker, header: BrokerRequestHeader, body: { groupsNames: string[] }): Promise<Record<string, unknown>> {
  return { throttleTimeMs: 0, results: await broker.groups.deleteGroups(body.groupsNames) };
}

/** DeleteGroups v0–2. */
export const deleteGroupsHandler: HandlerEntry = { minVersion: 0, maxVersion: 2, handle: handleDeleteGroups };
