/**
 * `--html FILE`: the trace as one self-contained page (inline CSS and script, no network). Time runs
 * down the page as in the commit tables; each thread has a lane, each step is a box in its thread's
 * lane on the shared time axis, locks and read sections held are bars beside the boxes, blocked
 * stretches are hatched, the violation is red. Hovering a box shows what the step changed in the
 * world (when the trace was recorded with `explain`); clicking pins it in the side panel.
 */
import { formatPatch } from '../trace/explain';
import { formatStepCall } from './step';
import { renderViolations, shownSteps } from './table';
import type { Trace, TraceStep } from '../trace/trace';

/** A lock or read section held by one thread over steps [from, to]. */
export interface Holding {
  readonly thread: number;
  readonly object: string;
  readonly label: string;
  readonly from: number;
  /** Last step it was held at (the release step), or the last step shown when never released. */
  readonly to: number;
  /** Lowest slot free among the thread's open holdings when it was taken, 0 for the first. */
  readonly depth: number;
  readonly kind: 'lock' | 'read-section';
}

/**
 * Holdings from the ops' access kinds: an `acquire` (or `rcu-enter`) opens one on its object unless
 * it returned false (a failed trylock), the thread's next `release` (`rcu-exit`) of it closes it.
 */
export function holdings(trace: Trace, steps: readonly TraceStep[] = shownSteps(trace)): Holding[] {
  const open = new Map<string, { thread: number; object: string; label: string; from: number; depth: number; kind: Holding['kind'] }>();
  // invariant: slots.get(t) holds the depths of t's open holdings; a new one takes the lowest free
  const slots = new Map<number, Set<number>>();
  const out: Holding[] = [];
  const key = (t: number, o: string) => `${t}\u0000${o}`;
  for (const s of steps) {
    const k = key(s.thread, s.object);
    const opens = s.access === 'acquire' || s.access === 'rcu-enter';
    const closes = s.access === 'release' || s.access === 'rcu-exit';
    if (opens && s.result !== 'false' && !open.has(k)) {
      const used = slots.get(s.thread) ?? new Set<number>();
      slots.set(s.thread, used);
      let depth = 0;
      while (used.has(depth)) depth++;
      used.add(depth);
      open.set(k, { thread: s.thread, object: s.object, label: s.label, from: s.step, depth, kind: s.access === 'acquire' ? 'lock' : 'read-section' });
    } else if (closes && open.has(k)) {
      const h = open.get(k)!;
      open.delete(k);
      slots.get(s.thread)?.delete(h.depth);
      out.push({ ...h, to: s.step });
    }
  }
  const last = steps.at(-1)?.step ?? 0;
  for (const h of open.values()) out.push({ ...h, to: last });
  return out.sort((a, b) => a.from - b.from || a.thread - b.thread);
}

/** Stretches in which a thread was blocked: from the first step it was seen blocked to the last. */
function waits(steps: readonly TraceStep[]): { thread: number; from: number; to: number; why: string }[] {
  const out: { thread: number; from: number; to: number; why: string }[] = [];
  const current = new Map<number, { thread: number; from: number; to: number; why: string }>();
  for (const s of steps) {
    const now = new Set<number>();
    for (const b of s.blocked) {
      now.add(b.thread);
      const w = current.get(b.thread);
      if (w) w.to = s.step;
      else current.set(b.thread, { thread: b.thread, from: s.step, to: s.step, why: b.waitsFor !== null ? `waits for ${b.waitsFor}` : `blocked in ${b.label}` });
    }
    for (const [t, w] of current) {
      if (!now.has(t)) {
        out.push(w);
        current.delete(t);
      }
    }
  }
  out.push(...current.values());
  return out;
}

export interface HtmlPage {
  readonly trace: Trace;
  /** Heading, e.g. the scenario title. */
  readonly title: string;
  /** The replay command, shown under the heading. */
  readonly replay: string | null;
}

export function renderHtml(page: HtmlPage): string {
  const { trace } = page;
  const steps = shownSteps(trace);
  const held = holdings(trace, steps);
  const n = trace.threads.length;
  const barWidth = 7;
  const barCols = held.reduce((m, h) => Math.max(m, h.depth + 1), 0);
  const lanes = trace.threads.map((_, i) => `${Math.max(1, barCols) * barWidth + 4}px minmax(16rem, 1fr)`).join(' ');
  // Grid columns: 1 time axis, then per lane a bars column (2 + 2i) and a steps column (3 + 2i).
  const barsCol = (t: number) => 2 + 2 * t;
  const stepsCol = (t: number) => 3 + 2 * t;
  const row = (step: number) => step + 1;
  const cells: string[] = [];
  trace.threads.forEach((t, i) => {
    cells.push(`<div class="lane-head" data-thread="${t.letter}" style="grid-column:${barsCol(i)}/${stepsCol(i) + 1};grid-row:1">${esc(`${t.letter} ${t.name}`)}</div>`);
    const last = row(steps.at(-1)?.step ?? 0);
    cells.push(`<div class="lane" data-thread="${t.letter}" style="grid-column:${barsCol(i)}/${stepsCol(i) + 1};grid-row:2/${last + 1}"></div>`);
  });
  for (const h of held) {
    cells.push(
      `<div class="hold ${h.kind}" data-object="${esc(h.object)}" title="${esc(`${h.label} held over t${h.from}–t${h.to}`)}" ` +
        `style="grid-column:${barsCol(h.thread)};grid-row:${row(h.from)}/${row(h.to) + 1};margin-left:${2 + h.depth * barWidth}px"></div>`,
    );
  }
  for (const w of waits(steps)) {
    cells.push(`<div class="wait" title="${esc(w.why)}" style="grid-column:${stepsCol(w.thread)};grid-row:${row(w.from)}/${row(w.to) + 1}">${esc(w.why)}</div>`);
  }
  for (const s of steps) {
    const focus = trace.focus !== null && s.violations.includes(trace.focus);
    const cls = ['step', s.violations.length ? 'violation' : '', focus ? 'focus' : ''].filter(Boolean).join(' ');
    const changes = (s.changes ?? []).map(formatPatch);
    const detail = [
      `t${s.step} ${trace.threads[s.thread]!.letter}: ${formatStepCall(s)}`,
      `${s.access} ${s.object}`,
      ...s.violations.map((v) => `✗ ${v.check}: ${v.message}${v.state ? ` [${v.state}]` : ''}`),
      ...(s.changes === null ? ['(changes not recorded: run with --explain)'] : changes.length ? changes : ['no change to the world']),
    ].join('\n');
    cells.push(`<div class="t" style="grid-row:${row(s.step)}">${s.step}</div>`);
    cells.push(
      `<div class="${cls}" data-step="${s.step}" data-thread="${trace.threads[s.thread]!.letter}" tabindex="0" title="${esc(detail)}" ` +
        `data-detail="${esc(detail)}" style="grid-column:${stepsCol(s.thread)};grid-row:${row(s.step)}">` +
        `${esc(formatStepCall(s))}${s.violations.map((v) => ` <b>✗ ${esc(v.check)}</b>`).join('')}</div>`,
    );
  }
  const left = trace.steps.length - steps.length;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>${esc(`${trace.scenario}/${trace.variant}`)}</title>
<style>${CSS}
.grid{grid-template-columns:3rem ${lanes}}</style></head>
<body>
<header><h1>${esc(`${trace.scenario}/${trace.variant}`)}</h1><p>${esc(page.title)}</p>
${page.replay ? `<p class="replay"><code>${esc(page.replay)}</code></p>` : ''}</header>
<section id="violation">${trace.violations.length ? `<pre>${esc(renderViolations(trace))}</pre>` : '<p>no violation</p>'}</section>
<main><div class="grid" id="trace" data-threads="${n}">
${cells.join('\n')}
</div>
<aside id="detail"><p>Hover or click a step to see what it changed.</p></aside></main>
${left > 0 ? `<p class="left-out">${left} later step${left === 1 ? '' : 's'} after the violation left out.</p>` : ''}
<p class="legend"><span class="hold lock"></span> lock held <span class="hold read-section"></span> read section <span class="wait"></span> blocked</p>
<script>${SCRIPT}</script>
</body></html>
`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\n/g, '&#10;');
}

const CSS = `
body{font:14px/1.35 system-ui,sans-serif;margin:1rem 1.5rem;color:#222}
h1{font-size:1.2rem;margin:0}header p{margin:.2rem 0}code,pre,.step,.wait{font-family:ui-monospace,monospace;font-size:12px}
#violation pre{background:#fdecea;border-left:4px solid #c62828;padding:.5rem .75rem;white-space:pre-wrap}
main{display:flex;gap:1rem;align-items:flex-start}
.grid{display:grid;grid-auto-rows:minmax(1.9rem,auto);column-gap:0;row-gap:3px;flex:1}
.lane-head{font-weight:600;border-bottom:2px solid #888;padding:.2rem .4rem}
.lane{background:#f6f7f9;border-right:1px solid #e2e4e8;z-index:0}
.t{grid-column:1;color:#888;text-align:right;padding-right:.5rem;align-self:center}
.step{z-index:1;background:#e3ecfa;border:1px solid #9db4dc;border-radius:4px;padding:.15rem .4rem;margin:0 .3rem;cursor:pointer;overflow-wrap:anywhere}
.step:hover,.step.pinned{outline:2px solid #1a4fa3}
.step.violation{background:#fde0dc;border-color:#e57373}
.step.focus{background:#f8bbb5;border:2px solid #c62828;font-weight:600}
.hold{z-index:1;width:5px;border-radius:3px;background:#6a8f3a}
.hold.read-section{background:#c9a227}
.wait{z-index:1;margin:0 .3rem;padding:.15rem .4rem;color:#555;border:1px dashed #aaa;border-radius:4px;background:repeating-linear-gradient(45deg,#fff,#fff 5px,#eee 5px,#eee 10px)}
aside{position:sticky;top:1rem;width:26rem;white-space:pre-wrap;font:12px ui-monospace,monospace;background:#fafafa;border:1px solid #ddd;padding:.5rem}
.legend span{display:inline-block;width:14px;height:10px;vertical-align:middle;margin-left:.8rem}
.left-out{color:#666}
`;

const SCRIPT = `
(function(){var d=document.getElementById('detail');var pinned=null;
function show(el){d.textContent=el.getAttribute('data-detail');}
document.querySelectorAll('.step').forEach(function(el){
el.addEventListener('mouseenter',function(){if(!pinned)show(el);});
el.addEventListener('click',function(){if(pinned)pinned.classList.remove('pinned');pinned=(pinned===el)?null:el;if(pinned){el.classList.add('pinned');show(el);}});
});var f=document.querySelector('.step.focus');if(f)show(f);})();
`;
