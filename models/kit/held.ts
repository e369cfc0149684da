import type { SharedObject, ThreadContext } from '../../src/index';

/** Records that `self` now holds `object` (for lock-leak reports and lockdep-style checks). */
export function hold(self: ThreadContext, object: SharedObject, label: string, atomic: boolean): void {
  self.held.push({ object, label, step: self.step, atomic });
}

/** Forgets the most recent holding of `object` by `self`; false when it held none. */
export function release(self: ThreadContext, object: SharedObject): boolean {
  for (let i = self.held.length - 1; i >= 0; i--) {
    if (self.held[i]!.object === object) {
      self.held.splice(i, 1);
      return true;
    }
  }
  return false;
}
