/**
 * The programs section 3 splits across workers. Workers cannot receive a scenario object, only
 * where to import it from, so each one is a named export of this module.
 */
import { lastzero } from './programs';

/** lastzero(15): 147,456 executions, the "search of 100k+ executions". */
export const lastzero15 = lastzero({ n: 15 });

/** lastzero(10): 3,328 executions, enough to be split, for `--quick`. */
export const lastzero10 = lastzero({ n: 10 });

/** lastzero(3): 12 executions, split anyway to start the workers before the timed run. */
export const lastzero3 = lastzero({ n: 3 });

/** What section 3 runs in each mode: the export, its parameters and its published count. */
export const JOBS_PROGRAMS = {
  full: { exportName: 'lastzero15', label: 'lastzero(n=15)', params: { n: 15 }, expected: 147_456 },
  quick: { exportName: 'lastzero10', label: 'lastzero(n=10)', params: { n: 10 }, expected: 3_328 },
} as const;
