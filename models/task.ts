/**
 * Spawn and join for programs whose threads start one another. weft's threads are declared up
 * front, so a spawned thread is one whose body first waits for its `Task` to be started:
 * `spawned(task, body)` wraps the body, `spawn(task)` (a step of the parent) starts it, and
 * `join(task)` blocks until the body has returned. A task never spawned never runs; joining it is
 * a deadlock, as joining a thread that was never created would hang. Spawning twice is a bug.
 * Spawn and join order the parent and the child for the data-race check, as thread creation and
 * join do.
 */
import { bugOn, hbAcquire, hbRelease, perform, type SharedObject, type Steps, type ThreadBody, type ThreadContext } from '../src/index';

export interface Task extends SharedObject {
  started: boolean;
  finished: boolean;
}

export function newTask(name: string): Task {
  return { name, started: false, finished: false };
}

/** Starts the task's thread. */
export function* spawn(task: Task): Steps<void> {
  yield* perform<void>({
    object: task,
    access: 'write',
    label: `spawn ${task.name}`,
    run: (self) => {
      bugOn(task.started, `${task.name} spawned twice`, `${task.name}.started = true`);
      task.started = true;
      hbRelease(self, task);
    },
  });
}

/** Blocks until the task's body has returned. */
export function* join(task: Task): Steps<void> {
  yield* perform<void>({
    object: task,
    access: 'read',
    label: `join ${task.name}`,
    enabled: () => task.finished,
    waitsFor: () => `${task.name} to finish${task.started ? '' : ' (it was never spawned)'}`,
    run: (self) => hbAcquire(self, task),
  });
}

/** A thread body that runs only once `task(world)` is spawned, and marks it finished on return. */
export function spawned<W>(task: (world: W) => Task, body: ThreadBody<W>): ThreadBody<W> {
  return function* (world: W, self: ThreadContext) {
    const t = task(world);
    yield* perform<void>({
      object: t,
      access: 'read',
      label: `${t.name} starts`,
      enabled: () => t.started,
      waitsFor: () => `spawn ${t.name}`,
      run: (me) => hbAcquire(me, t),
    });
    yield* body(world, self);
    yield* perform<void>({
      object: t,
      access: 'write',
      label: `${t.name} exits`,
      run: (me) => {
        t.finished = true;
        hbRelease(me, t);
      },
    });
  };
}
