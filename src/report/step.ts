import type { TraceStep } from '../trace/trace';

/** A step as it reads in prose: `hlist_unhashed(&mn->hlist) → false`. */
export function formatStepCall(s: Pick<TraceStep, 'label' | 'result'>): string {
  return s.result !== null ? `${s.label} → ${s.result}` : s.label;
}
