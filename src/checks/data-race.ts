/**
 * Data races on plain fields, KCSAN's rule checked with vector clocks (FastTrack's books, Flanagan &
 * Freund, PLDI 2009, without its epoch-only read optimisation): two accesses to one field race when
 * they come from different threads, at least one writes, at least one is plain (not READ_ONCE /
 * WRITE_ONCE), and neither happens before the other through locks, grace periods, completions or
 * atomics (see happens-before.ts).
 *
 * A race is reported once per field per execution, non-fatally (KCSAN prints and goes on), with
 * both accesses' sites.
 */
import type { SharedObject, ThreadContext } from '../runtime/op';
import { epochOf, happenedBefore } from './happens-before';
import { ghostBooks } from './ghost-books';
import { siteOf, type Site } from './site';

interface FieldAccess {
  readonly site: Site;
  /** The accessing thread's epoch at the access. */
  readonly epoch: number;
  /** READ_ONCE / WRITE_ONCE / an atomic: races only with plain accesses. */
  readonly marked: boolean;
}

interface FieldHistory {
  lastWrite: FieldAccess | null;
  // invariant: reads[t] is thread t's latest read since lastWrite, a plain one kept over a marked one
  readonly reads: (FieldAccess | undefined)[];
  reported: boolean;
}

function history(self: ThreadContext, field: SharedObject): FieldHistory {
  const all = ghostBooks(self, 'data-race', () => new Map<SharedObject, FieldHistory>());
  let h = all.get(field);
  if (h === undefined) all.set(field, (h = { lastWrite: null, reads: [], reported: false }));
  return h;
}

function races(self: ThreadContext, prior: FieldAccess | undefined | null, marked: boolean): prior is FieldAccess {
  if (prior === undefined || prior === null) return false;
  if (prior.site.threadId === self.id) return false;
  if (prior.marked && marked) return false;
  return !happenedBefore(self, prior.site.threadId, prior.epoch);
}

type AccessKind = 'reads' | 'writes';

function describeAccess(site: Site, kind: AccessKind): string {
  return `${site.thread} ${kind} at step ${site.step} (${site.label})`;
}

function report(self: ThreadContext, h: FieldHistory, field: SharedObject, now: Site, nowKind: AccessKind, prior: FieldAccess, priorKind: AccessKind): void {
  if (h.reported) return;
  h.reported = true;
  self.warn(
    'data-race',
    `data race on ${field.name}: ${describeAccess(now, nowKind)} and ${describeAccess(prior.site, priorKind)}, ` +
      'not ordered by any lock, grace period or atomic',
    field.name,
  );
}

/** A read of the plain field `field` by the running step. */
export function checkFieldRead(self: ThreadContext, field: SharedObject, label: string, marked = false): void {
  const h = history(self, field);
  const site = siteOf(self, label);
  if (races(self, h.lastWrite, marked)) report(self, h, field, site, 'reads', h.lastWrite, 'writes');
  const prev = h.reads[self.id];
  const epoch = epochOf(self);
  if (prev !== undefined && !prev.marked && marked && prev.epoch === epoch) return;
  h.reads[self.id] = { site, epoch, marked };
}

/** A write of the plain field `field` by the running step. */
export function checkFieldWrite(self: ThreadContext, field: SharedObject, label: string, marked = false): void {
  const h = history(self, field);
  const site = siteOf(self, label);
  if (races(self, h.lastWrite, marked)) report(self, h, field, site, 'writes', h.lastWrite, 'writes');
  for (const r of h.reads) {
    if (races(self, r, marked)) report(self, h, field, site, 'writes', r, 'reads');
  }
  h.reads.length = 0;
  h.lastWrite = { site, epoch: epochOf(self), marked };
}
