/**
 * The committed files in core/protocol/generated are what scripts/generate-protocol.ts
 * makes from Kafka's message definitions today: a stale file fails here (run
 * `npm run generate:protocol`). Skips, saying why, when ../shared is absent (a fresh clone
 * builds from the committed files).
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MESSAGES_DIR, generateProtocol, staleFiles } from '../../scripts/generate-protocol.ts';
import { ALL_SCHEMAS, ApiKey, SCHEMAS } from '../../core/protocol/index.ts';

const present = existsSync(MESSAGES_DIR);
if (!present) console.warn(`[protocol] skipping the generated-files check: ${MESSAGES_DIR} does not exist`);

describe.skipIf(!present)('generated protocol files', () => {
  it('are up to date with the generator and Kafka\'s definitions', () => {
    expect(staleFiles(generateProtocol(MESSAGES_DIR))).toEqual([]);
  });
});

describe('generated index', () => {
  it('names every described API by its key, in ascending order', () => {
    expect(ALL_SCHEMAS.map((s) => s.apiKey)).toEqual(Object.values(ApiKey));
    for (const [name, key] of Object.entries(ApiKey)) expect(SCHEMAS.get(key)?.name).toBe(name);
  });
});
