/**
 * The client's AsyncScope on node:async_hooks' AsyncLocalStorage (Node, Deno and Bun all
 * provide it): how a consumer recognises `stop()`/`client.close()` awaited from inside
 * its own handler, so that it does not wait for itself.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AsyncScope } from '../../core/client/async-scope.ts';

/** A new AsyncScope backed by one AsyncLocalStorage. */
export function nodeAsyncScope(): AsyncScope {
  const storage = new AsyncLocalStorage<unknown>();
  return {
    run: (value, fn) => storage.run(value, fn),
    get: () => storage.getStore(),
  };
}
