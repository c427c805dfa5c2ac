/**
 * Tributary: a Kafka-compatible streaming platform for Node, Deno and Bun.
 *
 * The package entry: the core, the built-in plugins and adapters, wired into a default
 * registry.
 */
export * from './core/errors.ts';
export * from './core/contracts/index.ts';
export { Registry, createRegistry } from './core/registry.ts';
