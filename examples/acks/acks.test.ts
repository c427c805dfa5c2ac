import { expect, it } from 'vitest';
import { collectLog } from '../shared/log.ts';
import { main } from './main.ts';

it('acks: acks=0 loses records silently; acks=1/all report failures and keep what they acknowledged', async () => {
  const { log } = collectLog();
  const r = await main(log);
  // A record the broker refuses: acks=0 "succeeds", the others fail with Kafka's error.
  expect(r.rejectedButResolved).toBe(true);
  expect(r.rejectedStored).toBe(0);
  expect(r.rejectedCodes).toEqual({ acks1: 'MESSAGE_TOO_LARGE', acksAll: 'MESSAGE_TOO_LARGE' });
  // After a SIGKILL, acks=0 never stores more than it believed it sent (usually far fewer: shown, not asserted,
  // since how many were still unread when the broker died depends on timing).
  expect(r.acks0.believedSent).toBeGreaterThanOrEqual(2000);
  expect(r.acks0.stored).toBeLessThanOrEqual(r.acks0.believedSent);
  // acks=1: every acknowledged record survived the crash, and the first send after it failed loudly.
  expect(r.acks1.acknowledged).toBe(300);
  expect(r.acks1.acknowledgedFound).toBe(300);
  expect(r.acks1.failedAfterCrash).toBe(true);
});
