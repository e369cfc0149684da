/**
 * refcount_t misuse, as the kernel's refcount_t saturation checks report it: a put that takes the
 * count below zero (an unbalanced put: someone's reference was dropped twice), an increment from
 * zero (the object is being freed, a get raced with the last put), and any put on an object that
 * was already freed. Fatal: the kernel saturates the counter and leaks, but the model's object is
 * already gone, and the trace should stop at the bad put.
 */
import { KernelFault } from '../runtime/errors';
import type { SharedObject, ThreadContext } from '../runtime/op';
import { describeSite, threadName, type Site } from './site';

/** Throws: `label` would take `counter` below zero; `lastPut` is where it reached zero, if known. */
export function refcountUnderflow(self: ThreadContext, counter: SharedObject, label: string, lastPut: Site | null): never {
  throw new KernelFault(
    'refcount',
    `refcount_t: underflow; use-after-free: ${label} by ${threadName(self)} at step ${self.step} on ${counter.name}, ` +
      `which already reached 0` + (lastPut ? ` by ${describeSite(lastPut)}` : ''),
    `${counter.name} = 0`,
  );
}

/** Throws: `label` increments `counter` from zero, resurrecting an object being freed. */
export function refcountIncrementOnZero(self: ThreadContext, counter: SharedObject, label: string, lastPut: Site | null): never {
  throw new KernelFault(
    'refcount',
    `refcount_t: addition on 0; use-after-free: ${label} by ${threadName(self)} at step ${self.step} on ${counter.name}` +
      (lastPut ? `, which reached 0 by ${describeSite(lastPut)}` : ''),
    `${counter.name} = 0`,
  );
}

/** Throws: `label` puts a reference on `owner`, which was freed by `freedAt`. */
export function refcountPutOfFreed(self: ThreadContext, owner: SharedObject, label: string, freedAt: Site | null): never {
  throw new KernelFault(
    'refcount',
    `refcount put on freed object: ${label} by ${threadName(self)} at step ${self.step} on ${owner.name}, freed by ` +
      (freedAt ? describeSite(freedAt) : 'an unknown site'),
    `${owner.name}.life = freed`,
  );
}
