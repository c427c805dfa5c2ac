/**
 * Kafka API keys by name (generated from Kafka's message definitions), and their names.
 *
 * The generated object is imported and re-declared rather than re-exported by name:
 * `export { ApiKey } from …` next to a type of the same name broke Deno's loader.
 */
import { ApiKey as GENERATED_API_KEY } from './generated/index.ts';

/** Kafka API keys by name (the numbers on the wire): `ApiKey.Produce` is 0. */
export const ApiKey: typeof GENERATED_API_KEY = GENERATED_API_KEY;

/** The key of an API we implement (`0 | 1 | 2 | …`). */
export type ApiKey = (typeof GENERATED_API_KEY)[keyof typeof GENERATED_API_KEY];

const NAMES: ReadonlyMap<number, string> = new Map(Object.entries(ApiKey).map(([name, key]) => [key, name]));

/** Name of an API key (`Produce`), or `Api<n>` for keys we do not describe. */
export function apiName(apiKey: number): string {
  return NAMES.get(apiKey) ?? `Api${apiKey}`;
}

/** True when `apiKey` is the key of an API we implement. */
export function isApiKey(apiKey: number): apiKey is ApiKey {
  return NAMES.has(apiKey);
}
