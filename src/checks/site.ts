import type { ThreadContext } from '../runtime/op';

/**
 * Where something happened: the thread, the step and the kernel call. Detectors keep sites for both
 * sides of a problem (the access and the free, the two lock acquisitions) so that a report names
 * both without a trace.
 */
export interface Site {
  /** `B (release)`: display letter and role name. */
  readonly thread: string;
  /** Thread id, for comparisons. */
  readonly threadId: number;
  /** 1-based step number. */
  readonly step: number;
  /** Kernel-terms label of the call (`spin_lock(&mm->notifier_lock)`). */
  readonly label: string;
}

/** `B (release)`. */
export function threadName(t: ThreadContext): string {
  return `${t.letter} (${t.name})`;
}

/** The site of the step `self` is running now. */
export function siteOf(self: ThreadContext, label: string, step: number = self.step): Site {
  return { thread: threadName(self), threadId: self.id, step, label };
}

/** `B (release) at step 7 in spin_lock(&x)`. */
export function describeSite(s: Site): string {
  return `${s.thread} at step ${s.step} in ${s.label}`;
}
