/**
 * SaslHandshake and SaslAuthenticate as the broker's handlers see them: only where the
 * connection's session did not take them — on a listener without SASL, or after the
 * connection authenticated (re-authentication, KIP-368, is not offered). Kafka's KafkaApis
 * answers both with ILLEGAL_SASL_STATE (34) in those cases, so a client configured for
 * SASL against a PLAINTEXT port gets a coded error it can report. The authentication itself
 * runs in the session (core/broker/security/sasl-authenticator.ts).
 */
import { ApiKey } from '../../../protocol/api-keys.ts';
import { KafkaCode } from '../../../errors.ts';
import type { HandlerEntry } from '../handler.ts';

/** SaslHandshake v0–1 outside a SASL exchange: ILLEGAL_SASL_STATE, no mechanisms. */
export const saslHandshakeHandler: HandlerEntry<typeof ApiKey.SaslHandshake> = {
  apiKey: ApiKey.SaslHandshake,
  versions: { min: 0, max: 1 },
  handle: () => ({ errorCode: KafkaCode.ILLEGAL_SASL_STATE, mechanisms: [] }),
};

/** SaslAuthenticate v0–2 outside a SASL exchange: ILLEGAL_SASL_STATE with a message saying why. */
export const saslAuthenticateHandler: HandlerEntry<typeof ApiKey.SaslAuthenticate> = {
  apiKey: ApiKey.SaslAuthenticate,
  versions: { min: 0, max: 2 },
  handle: (_ctx, header) => ({
    errorCode: KafkaCode.ILLEGAL_SASL_STATE,
    errorMessage: header.principal === undefined
      ? 'SASL is not enabled on this listener (connect to a SASL_PLAINTEXT or SASL_SSL listener)'
      : 'This connection is already authenticated (re-authentication is not supported)',
    authBytes: new Uint8Array(0),
    sessionLifetimeMs: 0,
  }),
};
