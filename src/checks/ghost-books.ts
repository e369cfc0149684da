import type { ThreadContext } from '../runtime/op';

/**
 * A detector's books in the execution's ghost map, created on first use. The map is cleared before
 * every execution, so books never leak from one schedule into the next.
 */
export function ghostBooks<T>(self: ThreadContext, key: string, create: () => T): T {
  let books = self.ghost.get(key) as T | undefined;
  if (books === undefined) {
    books = create();
    self.ghost.set(key, books);
  }
  return books;
}
