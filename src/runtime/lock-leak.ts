import type { Check } from './check';

/** A thread that returns while holding a lock or read section: the kernel would leak it forever. */
export const lockLeak: Check = {
  id: 'lock-leak',
  atThreadEnd: (thread) => {
    if (thread.held.length === 0) return null;
    const held = thread.held.map((h) => `${h.label} (step ${h.step})`).join(', ');
    return `${thread.letter} (${thread.name}) returned still holding ${held}`;
  },
};
