/**
 * Spawn and join for programs whose threads start one another. weft's threads are declared up
 * front, so a spawned thread is one whose body first waits for its `Task` to be started:
 * `spawned(task, body)` wraps the body, `spawn(task)` (a step of the parent) starts it, and
 * `join(task)` blocks until the body has returned. A task never spawned never runs; joining it is
 * a deadlock, as joining a thread that was never created would hang. Spawning twice is a bug.
 * Spawn and join order the parent and the child for the data-race check, as thread creation and
 * join do.
 */
import { bugOn, hbAcquire, hbRelease, perform, type Op, type SharedObject, type Steps, type ThreadBody, type ThreadContext } from '../src/index';
import { withOps } from './kit/with-ops';

export interface Task extends SharedObject {
  started: boolean;
  finished: boolean;
  /** The ops of this task, allocated once. */
  readonly ops: { readonly spawn: Op<void>; readonly join: Op<void>; readonly start: Op<void>; readonly exit: Op<void> };
}

const STARTED = 1;
const FINISHED = 2;

function taskKey(this: Task): number {
  return (this.started ? STARTED : 0) | (this.finished ? FINISHED : 0);
}

export function newTask(name: string): Task {
  return withOps<Task>({ name, started: false, finished: false, stateKey: taskKey }, (t) => ({
    spawn: {
      object: t,
      access: 'write',
      label: `spawn ${name}`,
      run: (self) => {
        bugOn(t.started, `${name} spawned twice`, `${name}.started = true`);
        t.started = true;
        hbRelease(self, t);
      },
    },
    join: {
      object: t,
      access: 'read',
      label: `join ${name}`,
      enabled: () => t.finished,
      enabledAt: (key) => (key & FINISHED) !== 0,
      waitsFor: () => `${name} to finish${t.started ? '' : ' (it was never spawned)'}`,
      run: (self) => hbAcquire(self, t),
    },
    start: {
      object: t,
      access: 'read',
      label: `${name} starts`,
      enabled: () => t.started,
      enabledAt: (key) => (key & STARTED) !== 0,
      waitsFor: () => `spawn ${name}`,
      run: (self) => hbAcquire(self, t),
    },
    exit: {
      object: t,
      access: 'write',
      label: `${name} exits`,
      run: (self) => {
        t.finished = true;
        hbRelease(self, t);
      },
    },
  }));
}

/** Starts the task's thread. */
export function* spawn(task: Task): Steps<void> {
  yield* perform(task.ops.spawn);
}

/** Blocks until the task's body has returned. */
export function* join(task: Task): Steps<void> {
  yield* perform(task.ops.join);
}

/** A thread body that runs only once `task(world)` is spawned, and marks it finished on return. */
export function spawned<W>(task: (world: W) => Task, body: ThreadBody<W>): ThreadBody<W> {
  return function* (world: W, self: ThreadContext) {
    const t = task(world);
    yield* perform(t.ops.start);
    yield* body(world, self);
    yield* perform(t.ops.exit);
  };
}
