/** The command that replays a token, exactly as a reader pastes it into a shell. */
export function replayCommand(r: { scenario: { id: string }; target?: string; variant: string; token: string }): string {
  return `npx tsx check ${shellWord(r.target ?? r.scenario.id)} --variant ${r.variant} --replay ${r.token}`;
}

function shellWord(s: string): string {
  return /^[\w./@:=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
