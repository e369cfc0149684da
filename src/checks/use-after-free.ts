/**
 * Use after free and double free of any object with a lifetime, as KASAN reports them: the bad
 * access and the free it collides with, each with thread, step and call. Fatal: after a use after
 * free the kernel's behaviour is undefined, so the trace stops there.
 */
import { KernelFault } from '../runtime/errors';
import type { SharedObject, ThreadContext } from '../runtime/op';
import { describeSite, siteOf, type Site } from './site';

/** An object that can be freed. Models mix these two fields in (see models/lifetime.ts). */
export interface Mortal extends SharedObject {
  /** `live` until freed; never goes back (a reallocation is a new object). */
  life: 'live' | 'freed';
  /** Who freed it, at which step, with which call; null while live. */
  freedAt: Site | null;
}

/** Throws use-after-free unless `obj` is live; `what` is the access in kernel terms. */
export function assertLive(obj: Mortal, self: ThreadContext, what: string): void {
  if (obj.life === 'live') return;
  const free = obj.freedAt ? describeSite(obj.freedAt) : 'an unknown site';
  throw new KernelFault(
    'use-after-free',
    `use-after-free: ${what} by ${siteOf(self, what).thread} at step ${self.step} touches ${obj.name}, ` +
      `freed by ${free}`,
    `${obj.name}.life = freed`,
  );
}

/** Marks `obj` freed by the running step; a second free is a double free. */
export function freeObject(obj: Mortal, self: ThreadContext, label: string): void {
  if (obj.life === 'freed') {
    const first = obj.freedAt ? describeSite(obj.freedAt) : 'an unknown site';
    throw new KernelFault(
      'use-after-free',
      `double free: ${label} by ${siteOf(self, label).thread} at step ${self.step} frees ${obj.name}, ` +
        `already freed by ${first}`,
      `${obj.name}.life = freed`,
    );
  }
  obj.life = 'freed';
  obj.freedAt = siteOf(self, label);
}
