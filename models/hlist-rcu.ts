/**
 * hlist with the RCU variants of include/linux/rculist.h.
 *
 * A node's `pprev` points at whatever points at it: the head's `first` (HEAD), another node's
 * `next` (NODE(x)), or it is NULL (never added, or removed with hlist_del_init_rcu) or
 * LIST_POISON2 (removed with hlist_del_rcu). Removal writes through pprev, so removing a node
 * whose pprev is NULL or POISON2 is a kernel oops. `next` is left intact by RCU removals so that
 * readers standing on the node can move on.
 *
 * Choices: every op on a list or on one of its nodes declares the list head as its object, with
 * `read` for lookups and `write` for changes; the head is what the list lock protects, so ops on
 * two nodes of one list are conservatively dependent. Writers must hold the head's lock when one
 * is given (lockdep_assert_held).
 */
import { bugOn, oops, perform, type SharedObject, type Steps, type ThreadContext } from '../src/index';
import type { Spinlock } from './spinlock';

/** The value LIST_POISON2 has on x86_64 (0x122 + POISON_POINTER_DELTA). */
export const LIST_POISON2 = { name: 'LIST_POISON2 (0xdead000000000122)' } as const;

export type Pprev = HlistHead | HlistNode | typeof LIST_POISON2 | null;

export interface HlistHead extends SharedObject {
  first: HlistNode | null;
  /** The lock writers must hold, if any. */
  readonly lock: Spinlock | null;
}

export interface HlistNode extends SharedObject {
  /** The list this node lives on (the object its ops declare). */
  readonly list: HlistHead;
  next: HlistNode | null;
  pprev: Pprev;
}

export function newHlistHead(name: string, lock: Spinlock | null = null): HlistHead {
  return { name, first: null, lock };
}

export function newHlistNode(name: string, list: HlistHead): HlistNode {
  return { name, list, next: null, pprev: null };
}

/** How a pprev value reads in a trace: HEAD, NODE(x), NULL, LIST_POISON2. */
export function describePprev(p: Pprev): string {
  if (p === null) return 'NULL';
  if (p === LIST_POISON2) return 'LIST_POISON2';
  if ('first' in p) return `&${p.name}.first`;
  return `&${p.name}.next`;
}

function assertWriterLocked(h: HlistHead, what: string, self: ThreadContext): void {
  if (h.lock) bugOn(h.lock.owner !== self, `lockdep_assert_held(&${h.lock.name}) failed in ${what}`);
}

/** __hlist_del: unlink through pprev. The oops check lives here, as the kernel's fault does. */
function unlink(n: HlistNode): void {
  const pprev = n.pprev;
  if (pprev === null) {
    oops(`NULL pointer dereference: writes *(${n.name}.pprev) with pprev = NULL`, `${n.name}.pprev = NULL`);
  }
  if (pprev === LIST_POISON2) {
    oops(`unable to handle page fault at LIST_POISON2: ${n.name} was already removed by hlist_del_rcu`, `${n.name}.pprev = LIST_POISON2`);
  }
  const at = pprev as HlistHead | HlistNode; // neither NULL nor poison past the checks above
  if ('first' in at) at.first = n.next;
  else at.next = n.next;
  if (n.next) n.next.pprev = at;
}

/** Links n first in h while the world is built, before any thread runs (not a step). */
export function hlistAddHeadAtSetup(n: HlistNode, h: HlistHead): void {
  n.next = h.first;
  if (h.first) h.first.pprev = n;
  h.first = n;
  n.pprev = h;
}

/** hlist_add_head_rcu: link n first in h and publish it to readers. */
export function* hlistAddHeadRcu(n: HlistNode, h: HlistHead): Steps<void> {
  yield* perform<void>({
    object: h,
    access: 'write',
    label: `hlist_add_head_rcu(&${n.name}, &${h.name})`,
    run: (self) => {
      assertWriterLocked(h, 'hlist_add_head_rcu', self);
      bugOn(n.pprev !== null && n.pprev !== LIST_POISON2, `hlist_add_head_rcu: ${n.name} is already on a list`);
      hlistAddHeadAtSetup(n, h);
    },
  });
}

/** hlist_del_rcu: unlink, keep next for readers, poison pprev. */
export function* hlistDelRcu(n: HlistNode): Steps<void> {
  yield* perform<void>({
    object: n.list,
    access: 'write',
    label: `hlist_del_rcu(&${n.name})`,
    run: (self) => {
      assertWriterLocked(n.list, 'hlist_del_rcu', self);
      unlink(n);
      n.pprev = LIST_POISON2;
    },
  });
}

/** hlist_del_init_rcu: if hashed, unlink and mark unhashed (pprev = NULL); else nothing. */
export function* hlistDelInitRcu(n: HlistNode): Steps<void> {
  yield* perform<void>({
    object: n.list,
    access: 'write',
    label: `hlist_del_init_rcu(&${n.name})`,
    run: (self) => {
      assertWriterLocked(n.list, 'hlist_del_init_rcu', self);
      // why: the kernel tests only pprev == NULL, so a node poisoned by hlist_del_rcu still
      // counts as hashed here and the unlink faults on LIST_POISON2.
      if (n.pprev === null) return;
      unlink(n);
      n.pprev = null;
    },
  });
}

/** hlist_unhashed: pprev == NULL. A poisoned node reads as hashed. */
export function* hlistUnhashed(n: HlistNode): Steps<boolean> {
  return yield* perform({
    object: n.list,
    access: 'read',
    label: `hlist_unhashed(&${n.name})`,
    run: () => n.pprev === null,
  });
}

/** One pointer load of an RCU walk: the head's first node. */
export function* hlistFirstRcu(h: HlistHead): Steps<HlistNode | null> {
  return yield* perform({
    object: h,
    access: 'read',
    label: `hlist_first_rcu(&${h.name})`,
    run: () => h.first,
  });
}

/** One pointer load of an RCU walk: the node after n (still valid if n was removed). */
export function* hlistNextRcu(n: HlistNode): Steps<HlistNode | null> {
  return yield* perform({
    object: n.list,
    access: 'read',
    label: `hlist_next_rcu(&${n.name})`,
    run: () => n.next,
  });
}

/** Whether n can be reached from h by following next pointers (for invariants; not a step). */
export function isReachable(h: HlistHead, n: HlistNode): boolean {
  for (let p = h.first; p !== null; p = p.next) if (p === n) return true;
  return false;
}
