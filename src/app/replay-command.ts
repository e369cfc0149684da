/** The command that installs as the package's bin (`weft check …`), run through npx. */
export const INSTALLED_COMMAND = 'npx weft check';

/**
 * The command that replays a token, exactly as a reader pastes it into a shell. `command` is how
 * the reader runs weft: the installed bin by default, `npx tsx check` inside weft's own repository.
 */
export function replayCommand(r: { scenario: { id: string }; target?: string; variant: string; token: string }, command = INSTALLED_COMMAND): string {
  return `${command} ${shellWord(r.target ?? r.scenario.id)} --variant ${r.variant} --replay ${r.token}`;
}

function shellWord(s: string): string {
  return /^[\w./@:=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
