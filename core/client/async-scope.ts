/**
 * AsyncScope: lets a consumer tell whether code runs inside one of its own handlers,
 * across awaits. `consumer.stop()` (or `client.close()`) awaited from inside an
 * `eachMessage`/`eachBatch` handler must not wait for that handler to finish — the
 * handler is waiting for it — while a stop from anywhere else must.
 *
 * Web-standard JavaScript has no async context yet (the TC39 AsyncContext proposal), so
 * the implementation is injected: adapters/runtime/async-scope.ts builds one on
 * `AsyncLocalStorage` (node:async_hooks, which Node, Deno and Bun provide). Without one,
 * the consumer only recognises a stop made in the synchronous part of a handler call.
 */

/** Carries a value along an async call chain. */
export interface AsyncScope {
  /** Runs `fn` with `value` as the current value for it and everything it awaits or schedules. */
  run<T>(value: unknown, fn: () => T): T;
  /** The value of the innermost `run` the caller is inside of, or undefined. */
  get(): unknown;
}
