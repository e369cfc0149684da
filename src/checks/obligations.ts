/**
 * Obligations a thread takes on and must discharge before it returns: an
 * mmu_notifier_invalidate_range_start must be ended by an invalidate_range_end with the same
 * arguments (`range-not-ended`), a page reference it took must be put (`reference-leak`). A thread
 * that returns with one still open is reported when it returns, naming the call that opened it and
 * its step.
 *
 * Why per thread and at its end: both rules are about one code path (a function that starts a range
 * ends it; a fault that pins a page drops the pin), so the outcome depends only on the thread's own
 * steps and is the same in every interleaving equivalent to the one run. What legitimately outlives
 * the thread (a page table's mapping reference, the reference a new PTE takes over) is declared by
 * the model where it is taken, and never opens an obligation.
 *
 * The books live in the execution's ghost map: they never change a schedule and are cleared before
 * every execution. The check is armed the first time a thread opens an obligation of its kind.
 */
import { armThreadEndCheck, type Check } from '../runtime/check';
import type { BuiltinCheckId } from '../runtime/check-id';
import type { ThreadContext } from '../runtime/op';
import { ghostBooks } from './ghost-books';
import { threadName } from './site';

/** The kinds of obligation, each reported by its own check. */
export type ObligationKind = 'range-not-ended' | 'reference-leak';

interface Open {
  /** What the obligation is on (an mm, a page); matched by identity. */
  readonly key: object;
  /** Distinguishes obligations on one key (a range's bounds); matched exactly. */
  readonly tag: string;
  /** The call that opened it, as the trace shows it. */
  readonly label: string;
  readonly step: number;
}

/** Per thread id, its open obligations of one kind, oldest first. */
type Books = Map<number, Open[]>;

const WHAT: Readonly<Record<ObligationKind, { readonly key: string; readonly unmet: string }>> = {
  'range-not-ended': { key: 'weft:obligations:range', unmet: 'no invalidate_range_end with the same range ended it' },
  'reference-leak': { key: 'weft:obligations:reference', unmet: 'the reference was never put (nor handed to a keeper)' },
};

const CHECKS: Readonly<Record<ObligationKind, Check>> = {
  'range-not-ended': endCheck('range-not-ended'),
  'reference-leak': endCheck('reference-leak'),
};

function endCheck(kind: ObligationKind & BuiltinCheckId): Check {
  return {
    id: kind,
    atThreadEnd: (thread) => {
      const open = (thread.ghost.get(WHAT[kind].key) as Books | undefined)?.get(thread.id);
      if (open === undefined || open.length === 0) return null;
      const first = open[0]!;
      const more = open.length > 1 ? ` (and ${open.length - 1} more: ${open.slice(1).map((o) => `${o.label} at step ${o.step}`).join(', ')})` : '';
      return `${threadName(thread)} returned after ${first.label} at step ${first.step}: ${WHAT[kind].unmet}${more}`;
    },
  };
}

function booksOf(self: ThreadContext, kind: ObligationKind): Books {
  return ghostBooks(self, WHAT[kind].key, () => {
    armThreadEndCheck(self, CHECKS[kind]);
    return new Map<number, Open[]>();
  });
}

/** The running thread takes on an obligation of `kind` on `key`, by the call `label`. */
export function openObligation(self: ThreadContext, kind: ObligationKind, key: object, tag: string, label: string): void {
  const books = booksOf(self, kind);
  let open = books.get(self.id);
  if (open === undefined) books.set(self.id, (open = []));
  open.push({ key, tag, label, step: self.step });
}

/**
 * Discharges the running thread's most recent open obligation of `kind` on `key` with `tag`;
 * false when it has none (a put of a reference someone else took, an end that matches no start).
 */
export function closeObligation(self: ThreadContext, kind: ObligationKind, key: object, tag: string): boolean {
  const open = (self.ghost.get(WHAT[kind].key) as Books | undefined)?.get(self.id);
  if (open === undefined) return false;
  for (let i = open.length - 1; i >= 0; i--) {
    const o = open[i]!;
    if (o.key === key && o.tag === tag) {
      open.splice(i, 1);
      return true;
    }
  }
  return false;
}
