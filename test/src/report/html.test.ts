import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import s1 from '../../../scenarios/mmu-notifier-unregister-release';
import { holdings, renderHtml } from '../../../src/report/html';
import { decodeSchedule } from '../../../src/trace/schedule-token';
import { recordTrace } from '../../../src/trace/trace';

/** Debian's chromium (apt-get install chromium), or another headless-capable Chromium on PATH. */
function findChromium(): string | null {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('which', [name], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

const chromium = findChromium();
if (chromium === null) console.warn('render-html.test: the headless Chromium test is SKIPPED: no chromium on PATH (apt-get install -y chromium)');
const trace = recordTrace(s1, 'buggy', s1.variants.buggy!, s1.params, decodeSchedule('A5B12A2'), { focus: 'oops', explain: true });
const html = renderHtml({ trace, title: s1.title, replay: 'npx tsx check mmu-notifier-unregister-release --variant buggy --replay w1:mmu-notifier-unregister-release/buggy:A5B12A2' });

function headless(args: string[]): string {
  const r = spawnSync(chromium!, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`chromium exited ${r.status}: ${r.stderr.slice(-500)}`);
  return r.stdout;
}

describe('HTML report', () => {
  it('is self-contained: no external resources', () => {
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('lock holdings come from acquire/release steps', () => {
    const h = holdings(trace).map((x) => `${trace.threads[x.thread]!.letter} ${x.kind} ${x.object} t${x.from}-t${x.to} @${x.depth}`);
    expect(h).toEqual([
      'A read-section srcu t2-t5 @0',
      'B read-section srcu t6-t11 @0',
      'B lock mm->mmu_notifier_mm->lock t12-t16 @0',
      'A lock mm->mmu_notifier_mm->lock t18-t19 @0',
    ]);
  });

  it('overlapping holdings of one thread get distinct slots; a freed slot is reused', () => {
    const step = (n: number, access: 'acquire' | 'release', object: string) => ({
      step: n, thread: 0, label: `${access}(${object})`, object, access, result: null, blocked: [], violations: [], changes: null,
    });
    const t = { ...trace, steps: [step(1, 'acquire', 'x'), step(2, 'acquire', 'y'), step(3, 'release', 'x'), step(4, 'acquire', 'z'), step(5, 'release', 'y')], focus: null };
    expect(holdings(t).map((h) => `${h.object}@${h.depth} t${h.from}-t${h.to}`)).toEqual(['x@0 t1-t3', 'y@1 t2-t5', 'z@0 t4-t5']);
  });

  it.skipIf(chromium === null)(
    `renders in headless Chromium with one lane per thread and the violation highlighted${chromium === null ? ' (SKIPPED: no chromium on PATH; apt-get install -y chromium)' : ''}`,
    () => {
      const dir = join(tmpdir(), 'weft-html-test');
      mkdirSync(dir, { recursive: true });
      const page = join(dir, 's1-buggy.html');
      writeFileSync(page, html);
      const shot = join(dir, 's1-buggy.png');
      headless(['--window-size=1400,1100', `--screenshot=${shot}`, `file://${page}`]);
      expect(existsSync(shot) && statSync(shot).size > 10_000).toBe(true);

      const dom = headless(['--dump-dom', `file://${page}`]);
      const heads = [...dom.matchAll(/<div class="lane-head" data-thread="([A-Z])"/g)].map((m) => m[1]);
      expect(heads).toEqual(['A', 'B']);
      expect([...dom.matchAll(/<div class="lane" /g)]).toHaveLength(2);
      expect([...dom.matchAll(/class="step[ "]/g)]).toHaveLength(19);
      const focus = /<div class="step violation focus" data-step="(\d+)" data-thread="([A-Z])"[^>]*>([^<]*)/.exec(dom);
      expect(focus?.slice(1)).toEqual(['19', 'A', 'hlist_del_rcu(&amp;mn-&gt;hlist) ']);
      expect([...dom.matchAll(/<div class="hold (lock|read-section)"/g)]).toHaveLength(4);
      expect(dom).toMatch(/class="wait"[^>]*>waits for mm-&gt;mmu_notifier_mm-&gt;lock held by B \(release\)/);
      // The script ran: the side panel shows the violating step's detail.
      expect(dom).toMatch(/<aside id="detail">t19 A: hlist_del_rcu\(&amp;mn-&gt;hlist\)\s[^<]*✗ oops/);
    },
  );
});
