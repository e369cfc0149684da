import { ScenarioError } from '../runtime/errors';

/** Raised when a schedule no longer fits the scenario; says at which step it diverged. */
export class ReplayDivergence extends ScenarioError {
  constructor(
    message: string,
    /** 1-based step at which the schedule stopped fitting. */
    readonly step: number,
  ) {
    super(message);
  }
}
