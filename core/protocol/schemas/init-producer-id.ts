/**
 * InitProducerId (key 22): assigns a producer id and epoch (idempotent and transactional producers).
 * Versions 0–5, flexible from v2.
 */
import { api, f, type ApiSchema } from '../schema.ts';

/** InitProducerId request and response fields, every version. */
export const initProducerIdSchema: ApiSchema = api(22, 'InitProducerId', '0-5', 2, {
  request: [
    f('transactionalId', 'string', '0+', { nullable: '0+' }),
    f('transactionTimeoutMs', 'int32', '0+'),
    f('producerId', 'int64', '3+', { default: -1 }),
    f('producerEpoch', 'int16', '3+', { default: -1 }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('errorCode', 'int16', '0+'),
    f('producerId', 'int64', '0+', { default: -1 }),
    f('producerEpoch', 'int16', '0+'),
  ],
});
