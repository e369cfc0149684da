import { describe, expect, it } from 'vitest';
import { hlistDelInitRcu, hlistFirstRcu, hlistNextRcu } from '../../../models/hlist-rcu';
import { mightSleep } from '../../../models/kit/might-sleep';
import {
  callRelease,
  exitAfterRelease,
  freeNotifier,
  mmuNotifierChangePte,
  mmuNotifierInvalidatePage,
  mmuNotifierInvalidateRangeEnd,
  mmuNotifierInvalidateRangeStart,
  newMmuNotifierMm,
  newReleaseLeft,
  nextNotifier,
  notifierOf,
  rangePairing,
  rcuReadSide,
  registeredNotifier,
  releaseReturned,
  srcuReadSide,
  unregisterQuiescent,
  type MmuNotifier,
  type MmuNotifierMm,
  type MmuNotifierOps,
  type ReleaseLeft,
} from '../../../models/mm/mmu-notifier';
import { newRcu, type Rcu } from '../../../models/rcu';
import { spinLock, spinUnlock } from '../../../models/spinlock';
import { newSrcu, srcuReadLock, srcuReadUnlock, synchronizeSrcu, type Srcu } from '../../../models/srcu';
import { perform, type SharedObject, type Steps } from '../../../src/runtime/op';
import { foundViolation } from '../../helpers/detectors';
import { keepLastWorld } from '../../helpers/last-world';
import { exploreProgram, firedChecks, program, runSchedule, runSerial } from '../../helpers/program';

interface W {
  mm: MmuNotifierMm;
  mn: MmuNotifier;
  mn2: MmuNotifier;
  inside: number[];
}

function world(): W {
  const mm = newMmuNotifierMm('mm');
  return { mm, mn: registeredNotifier(mm, 'mn'), mn2: registeredNotifier(mm, 'mn2'), inside: [] };
}

describe('mmu notifier list', () => {
  it('registration at setup links notifiers at the head, newest first, and container_of finds them', () => {
    let w: W | null = null;
    const names: string[] = [];
    runSerial(
      program<W>({
        setup: () => {
          names.length = 0; // runSerial runs the program twice: once to choose, once to record
          return (w = world());
        },
        threads: {
          walk: function* (w) {
            for (let n = yield* hlistFirstRcu(w.mm.list); n; n = yield* hlistNextRcu(n)) names.push(notifierOf(w.mm, n).name);
          },
        },
      }),
    );
    expect(names).toEqual(['mn2', 'mn']);
    expect(w!.mn.hlist.pprev).toBe(w!.mn2.hlist);
  });

  it('->release counts its calls and is visible while in flight', () => {
    let w: W | null = null;
    const p = program<W>({
      setup: () => (w = world()),
      threads: {
        a: function* (w) {
          yield* callRelease(w.mn);
        },
        b: function* (w) {
          yield* callRelease(w.mn);
          w.inside.push(w.mn.inRelease);
        },
      },
    });
    runSchedule(p, 'A B2 A');
    expect(w!.mn.releaseCalls).toBe(2);
    expect(w!.inside).toEqual([1]); // B returned while A was still inside
    expect(w!.mn.inRelease).toBe(0);
  });

  it('container_of on a node that is not a notifier is a scenario bug, not a kernel fault', () => {
    const p = program<W>({
      setup: world,
      threads: {
        a: function* (w) {
          notifierOf(newMmuNotifierMm('other'), w.mn.hlist);
          yield* callRelease(w.mn);
        },
      },
    });
    expect(() => runSerial(p)).toThrow(/threw after step 0: mn->hlist is not the hlist of a notifier/);
  });
});

/** A client whose every callback is one step on its own object, logged with its arguments. */
interface Client extends SharedObject {
  readonly calls: string[];
}
function loggingOps(client: Client, sleeps = false): MmuNotifierOps<string> {
  const step = (what: string) =>
    perform<void>({
      object: client,
      access: 'write',
      label: `${client.name}: ${what}`,
      run: (self) => {
        if (sleeps) mightSleep(self, `${client.name}: ${what}`);
        client.calls.push(what);
      },
    });
  return {
    invalidatePage: (_mn, _mm, a) => step(`invalidate_page(${a})`),
    invalidateRangeStart: (_mn, _mm, s, e) => step(`range_start(${s}, ${e})`),
    invalidateRangeEnd: (_mn, _mm, s, e) => step(`range_end(${s}, ${e})`),
    changePte: (_mn, _mm, a, page) => step(`change_pte(${a}, ${page})`),
  };
}

interface EW {
  mm: MmuNotifierMm<string>;
  client: Client;
  mn: MmuNotifier<string>;
  quiet: MmuNotifier<string>;
  srcu: Srcu;
  rcu: Rcu;
}
function eraWorld(readSide: 'srcu' | 'rcu' | null, options: { sleeps?: boolean } = {}): () => EW {
  return () => {
    const srcu = newSrcu('srcu');
    const rcu = newRcu();
    const rs = readSide === 'srcu' ? srcuReadSide(srcu) : readSide === 'rcu' ? rcuReadSide(rcu) : null;
    const mm = newMmuNotifierMm<string>('mm', rs);
    const client: Client = { name: 'client', calls: [] };
    // `quiet` has no callbacks: the walk passes over it without a step of its own.
    const quiet = registeredNotifier(mm, 'quiet');
    const mn = registeredNotifier(mm, 'mn', loggingOps(client, options.sleeps));
    return { mm, client, mn, quiet, srcu, rcu };
  };
}

describe('mmu notifier calls (__mmu_notifier_*)', () => {
  it('invalidate_page walks the list under SRCU, one step per pointer load, calling only the callbacks that exist', () => {
    const keep = keepLastWorld(eraWorld('srcu'));
    const t = runSerial(program<EW>({ setup: keep.setup, threads: { a: (w) => mmuNotifierInvalidatePage(w.mm, 0x1000) } }));
    expect(t.violations).toEqual([]);
    expect(t.steps.map((s) => s.label)).toEqual([
      'srcu_read_lock(&srcu)',
      'hlist_first_rcu(&mm->mmu_notifier_mm->list)',
      'client: invalidate_page(4096)',
      'hlist_next_rcu(&mn->hlist)',
      'hlist_next_rcu(&quiet->hlist)',
      'srcu_read_unlock(&srcu)',
    ]);
    expect(keep.last().client.calls).toEqual(['invalidate_page(4096)']);
  });

  it('the classic-RCU era walks under rcu_read_lock: a callback that sleeps is a bug there, not under SRCU', () => {
    const body = (w: EW) => mmuNotifierInvalidatePage(w.mm, 0x1000);
    const rcu = runSerial(program<EW>({ setup: eraWorld('rcu', { sleeps: true }), threads: { a: body } }));
    expect(rcu.steps[0]!.label).toBe('rcu_read_lock()');
    expect(firedChecks(rcu)).toEqual(['sleep-in-atomic']);
    expect(rcu.violations[0]!.message).toMatch(/client: invalidate_page\(4096\) by A \(a\), atomic since step 1 \(rcu_read_lock\(\)\)/);
    expect(runSerial(program<EW>({ setup: eraWorld('srcu', { sleeps: true }), threads: { a: body } })).violations).toEqual([]);
  });

  it('change_pte passes the new page to each change_pte callback', () => {
    const keep = keepLastWorld(eraWorld('srcu'));
    runSerial(program<EW>({ setup: keep.setup, threads: { a: (w) => mmuNotifierChangePte(w.mm, 0x2000, 'newpage') } }));
    expect(keep.last().client.calls).toEqual(['change_pte(8192, newpage)']);
  });

  it('range_start / range_end with the same arguments pair up; the invariant holds', () => {
    const keep = keepLastWorld(eraWorld('srcu'));
    const p = program<EW>({
      setup: keep.setup,
      threads: {
        a: function* (w) {
          yield* mmuNotifierInvalidateRangeStart(w.mm, 0x1000, 0x3000);
          yield* mmuNotifierInvalidateRangeEnd(w.mm, 0x1000, 0x3000);
        },
      },
      invariants: [rangePairing((w: EW) => w.mm)],
    });
    expect(runSerial(p).violations).toEqual([]);
    expect(keep.last().client.calls).toEqual(['range_start(4096, 12288)', 'range_end(4096, 12288)']);
    expect(keep.last().mm.openRanges.get(0)).toEqual([]);
  });

  it('range_end that matches no open range_start of its thread breaks range-pairing, naming what is outstanding', () => {
    const pairing = [rangePairing((w: EW) => w.mm)];
    const mismatched = runSerial(
      program<EW>({
        setup: eraWorld('srcu'),
        threads: {
          a: function* (w) {
            yield* mmuNotifierInvalidateRangeStart(w.mm, 0x1000, 0x3000);
            yield* mmuNotifierInvalidateRangeEnd(w.mm, 0x1000, 0x2000);
          },
        },
        invariants: pairing,
      }),
    );
    // the start is then never ended either: range-not-ended when the thread returns
    expect(firedChecks(mismatched)).toEqual(['range-pairing', 'range-not-ended']);
    expect(mismatched.violations[0]!.message).toBe(
      'A (a) step 7: invalidate_range_end(mm, 0x1000, 0x2000) matches no invalidate_range_start of the thread (outstanding: [0x1000, 0x3000))',
    );
    // Another thread's start does not pair with this thread's end.
    const foreign = program<EW>({
      setup: eraWorld('srcu'),
      threads: {
        a: (w) => mmuNotifierInvalidateRangeStart(w.mm, 0x1000, 0x3000),
        b: (w) => mmuNotifierInvalidateRangeEnd(w.mm, 0x1000, 0x3000),
      },
      invariants: pairing,
    });
    const t = runSerial(foreign);
    expect(firedChecks(t)).toEqual(['range-not-ended', 'range-pairing']);
    expect(t.violations[0]!.message).toMatch(/^A \(a\) returned after mmu_notifier_invalidate_range_start\(mm, 0x1000, 0x3000\) at step 1/);
    expect(t.violations[1]!.message).toMatch(/^B \(b\) step 7: .*\(outstanding: none\)$/);
  });

  it('a walk on an mm made without a read side is a scenario bug', () => {
    const p = program<EW>({ setup: eraWorld(null), threads: { a: (w) => mmuNotifierInvalidatePage(w.mm, 0) } });
    expect(() => runSerial(p)).toThrow(/made without a read side/);
  });
});

describe('mmu notifier: unregister against a walk', () => {
  /** unlink under the list lock, wait for walkers (or not), kfree. */
  const unregister = (sync: boolean) =>
    function* (w: EW): Steps {
      yield* spinLock(w.mm.lock);
      yield* hlistDelInitRcu(w.mn.hlist);
      yield* spinUnlock(w.mm.lock);
      if (sync) yield* w.mm.readSide!.synchronize();
      yield* freeNotifier(w.mn);
    };
  const walker = (w: EW) => mmuNotifierInvalidatePage(w.mm, 0x1000);

  for (const era of ['srcu', 'rcu'] as const) {
    it(`${era}: synchronize after the unlink keeps every walker off the freed notifier; without it, use-after-free`, () => {
      expect(exploreProgram(program<EW>({ setup: eraWorld(era), threads: { walker, unregister: unregister(true) } })).kind).toBe('holds');
      const uaf = foundViolation(program<EW>({ setup: eraWorld(era), threads: { walker, unregister: unregister(false) } }), 'use-after-free');
      expect(uaf?.message).toMatch(/hlist_next_rcu\(&mn->hlist\).*mn.*kfree\(mn\)/);
    });
  }

  it('kfree of a notifier twice is a double free; ->release of a freed one is a use after free', () => {
    const twice = runSerial(program<EW>({ setup: eraWorld('srcu'), threads: { a: function* (w) { yield* freeNotifier(w.mn); yield* freeNotifier(w.mn); } } }));
    expect(firedChecks(twice)).toEqual(['use-after-free']);
    const late = runSerial(program<EW>({ setup: eraWorld('srcu'), threads: { a: function* (w) { yield* freeNotifier(w.quiet); yield* callRelease(w.quiet); } } }));
    expect(firedChecks(late)).toEqual(['use-after-free']);
  });
});

describe('mmu notifier walk: partial-order reduction sees the notifier', () => {
  it('dfs finds hlist_next_rcu on a notifier placed after its kfree', () => {
    const p = program<W>({
      setup: world,
      threads: {
        walker: function* (w) { yield* nextNotifier(w.mn); },
        driver: function* (w) { yield* freeNotifier(w.mn); },
      },
    });
    expect(foundViolation(p, 'use-after-free')?.message).toMatch(/hlist_next_rcu\(&mn->hlist\)/);
  });
});

describe('unregister-quiescent', () => {
  const check = unregisterQuiescent((w: { mn: MmuNotifier<unknown>; mm: MmuNotifierMm<unknown>; unregisterReturned: boolean }) => w).check;
  const world = () => {
    const mm = newMmuNotifierMm('mm');
    return { mm, mn: registeredNotifier(mm, 'mn'), unregisterReturned: false };
  };

  it('says nothing before unregister returns, even with mn on the list', () => {
    expect(check(world())).toBe(true);
  });

  it('fires when unregister returned and mn is still reachable from the list', () => {
    expect(check({ ...world(), unregisterReturned: true })).toBe('mn still reachable from mm->mmu_notifier_mm->list');
  });

  it('fires when unregister returned while mn->release is still running', () => {
    const w = { ...world(), unregisterReturned: true };
    w.mn.inRelease = 1;
    expect(check(w)).toBe('mn->ops->release still running after unregister returned');
  });
});

describe('->release with a dispatch step, and INV-EXIT-AFTER-RELEASE as a grace period gives it', () => {
  interface RW {
    srcu: Srcu;
    mm: MmuNotifierMm;
    mn: MmuNotifier;
    other: SharedObject & { n: number };
    release: ReleaseLeft;
    inside: number[];
  }
  /** A notifier whose client ->release is one step on the client (as KVM's mmu_lock section is). */
  function releaseWorld(): RW {
    const srcu = newSrcu('srcu');
    const mm = newMmuNotifierMm('mm');
    const client = { name: 'client', zaps: 0 };
    const ops: MmuNotifierOps = {
      release: () => perform<void>({ object: client, access: 'write', label: 'client: zap all', run: () => void client.zaps++ }),
    };
    return { srcu, mm, mn: registeredNotifier(mm, 'mn', ops), other: { name: 'other', n: 0 }, release: newReleaseLeft(), inside: [] };
  }
  const poke = (w: RW) => perform<void>({ object: w.other, access: 'write', label: 'poke', run: () => void w.other.n++ });

  for (const dispatchStep of [false, true]) {
    it(`a one-step client ->release is ${dispatchStep ? 'two steps, visible in flight' : 'atomic'} (dispatchStep: ${dispatchStep})`, () => {
      let w: RW | null = null;
      const p = program<RW>({
        setup: () => (w = releaseWorld()),
        threads: {
          a: function* (w) {
            yield* callRelease(w.mn, { dispatchStep });
          },
          b: function* (w) {
            yield* poke(w);
            w.inside.push(w.mn.inRelease);
          },
        },
      });
      const t = runSchedule(p, dispatchStep ? 'A B A' : 'A B');
      expect(t.steps.map((s) => s.label)).toEqual(dispatchStep ? ['mn->ops->release()', 'poke', 'client: zap all'] : ['client: zap all', 'poke']);
      expect(w!.inside).toEqual([dispatchStep ? 1 : 0]);
      expect([w!.mn.releaseCalls, w!.mn.inRelease]).toEqual([1, 0]);
    });
  }

  /** exit: releaseReturned after its own walk's ->release; unreg: ->release inside an SRCU section. */
  function exitProgram(opts: { sync: boolean; exitReleases: boolean; reader: boolean }) {
    return program<RW>({
      setup: releaseWorld,
      invariants: [exitAfterRelease((w: RW) => w.release)],
      threads: {
        exit: function* (w) {
          if (opts.exitReleases) yield* callRelease(w.mn, DISPATCH);
          yield* releaseReturned(w.release, [w.mn], opts.sync ? () => synchronizeSrcu(w.srcu) : null);
        },
        unreg: function* (w) {
          const id = yield* srcuReadLock(w.srcu);
          yield* callRelease(w.mn, DISPATCH);
          yield* srcuReadUnlock(w.srcu, id);
        },
        // a reader that keeps the grace period open while unreg enters after it began
        ...(opts.reader
          ? {
              reader: function* (w: RW) {
                const id = yield* srcuReadLock(w.srcu);
                yield* poke(w);
                yield* srcuReadUnlock(w.srcu, id);
              },
            }
          : {}),
      },
    });
  }
  const DISPATCH = { dispatchStep: true } as const;

  it('holds on every schedule when exit_mmap waits for the grace period after its own ->release', () => {
    expect(exploreProgram(exitProgram({ sync: true, exitReleases: true, reader: true })).kind).toBe('holds');
  });

  it('without the grace period: exit_mmap goes on while a ->release begun before still runs', () => {
    const v = foundViolation(exitProgram({ sync: false, exitReleases: true, reader: false }), 'exit-after-release');
    expect(v?.message).toMatch(/^exit_mmap proceeds with mn: a ->release that began before the grace period is still in flight/);
  });

  it('a ->release entered after the grace period began may outlive it (the benign second call)', () => {
    // R enters; exit's own ->release; its grace period begins (waits for R); unreg enters ->release;
    // R leaves; the grace period ends with unreg still inside: not a violation
    const t = runSchedule(exitProgram({ sync: true, exitReleases: true, reader: true }), 'C A2 A B2 C2 A B2');
    expect(t.steps.map((s) => `${t.threads[s.thread]!.letter} ${s.label}`).slice(0, 9)).toEqual([
      'C srcu_read_lock(&srcu)',
      'A mn->ops->release()',
      'A client: zap all',
      'A synchronize_srcu(&srcu)',
      'B srcu_read_lock(&srcu)',
      'B mn->ops->release()',
      'C poke',
      'C srcu_read_unlock(&srcu)',
      'A synchronize_srcu(&srcu) waits for readers',
    ]);
    expect(firedChecks(t)).toEqual([]);
  });

  it('with no ->release returned when exit_mmap goes on: violated, even if one was entered after the grace period began', () => {
    const t = runSchedule(exitProgram({ sync: true, exitReleases: false, reader: true }), 'C A B2 C2 A B2');
    expect(t.violations.map((v) => v.message)).toEqual(['exit_mmap proceeds with mn: no ->release has returned (1 in flight)']);
  });
});
