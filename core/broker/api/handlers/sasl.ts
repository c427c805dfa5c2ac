/**
 * SaslHandshake and SaslAuthenticate on a listener without SASL (all of ours, until the
 * security issue): answered, not a closed connection. Kafka's KafkaApis answers both with
 * ILLEGAL_SASL_STATE (34) when they reach it — on a PLAINTEXT listener, or after
 * authentication — so a client configured for SASL gets a coded error it can report.
 */
import { ApiKey } from '../../../protocol/api-keys.ts';
import { KafkaCode } from '../../../errors.ts';
import type { HandlerEntry } from '../handler.ts';

/** SaslHandshake v0–1: ILLEGAL_SASL_STATE, no mechanisms enabled. */
export const saslHandshakeHandler: HandlerEntry<typeof ApiKey.SaslHandshake> = {
  apiKey: ApiKey.SaslHandshake,
  versions: { min: 0, max: 1 },
  handle: () => ({ errorCode: KafkaCode.ILLEGAL_SASL_STATE, mechanisms: [] }),
};

/** SaslAuthenticate v0–2: ILLEGAL_SASL_STATE with a message saying SASL is not configured. */
export const saslAuthenticateHandler: HandlerEntry<typeof ApiKey.SaslAuthenticate> = {
  apiKey: ApiKey.SaslAuthenticate,
  versions: { min: 0, max: 2 },
  handle: () => ({
    errorCode: KafkaCode.ILLEGAL_SASL_STATE,
    errorMessage: 'SASL is not configured on this broker (it has no authentication yet)',
    authBytes: new Uint8Array(0),
    sessionLifetimeMs: 0,
  }),
};
