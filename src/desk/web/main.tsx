import { render } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { dropFile, get, type DropRecord, type PromptList, type StatusRow } from './client.js';
import { currentLang, sceneLabel, setLang, stateLabel, t, when, type Lang } from './i18n-client.js';
import { Detail } from './detail.js';
import { BindingsView } from './bindings.js';
import { OutboxView } from './outbox.js';
import './style.css';

const STATES = ['prepared', 'awaiting-upload', 'uploading', 'in-review', 'approved', 'rejected', 'superseded', 'retired'];
type Tab = 'prompts' | 'bindings' | 'outbox';
type SortKey = 'name' | 'scene' | 'version' | 'state' | 'since';

interface Filters {
  q: string;
  state: string;
  scene: string;
  overdue: boolean;
  attention: boolean;
}

/** One stream for the whole page: every change anywhere makes it read again what it shows. */
function useLiveUpdates(onChange: (kind: string) => void): boolean {
  const [live, setLive] = useState(false);
  const handler = useRef(onChange);
  handler.current = onChange;
  useEffect(() => {
    const es = new EventSource('/api/events');
    es.onopen = () => {
      setLive(true);
      handler.current('ledger'); // catch up on what changed while disconnected
    };
    es.onerror = () => setLive(false);
    es.addEventListener('ledger', () => handler.current('ledger'));
    es.addEventListener('drops', () => handler.current('drops'));
    return () => es.close();
  }, []);
  return live;
}

function App() {
  const [lang, setLangState] = useState<Lang>(currentLang());
  const [tab, setTab] = useState<Tab>('prompts');
  const [list, setList] = useState<PromptList | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(() => new URLSearchParams(location.hash.slice(1)).get('p'));
  const [filters, setFilters] = useState<Filters>({ q: '', state: '', scene: '', overdue: false, attention: false });
  const [sort, setSort] = useState<{ key: SortKey; dir: 1 | -1 }>({ key: 'name', dir: 1 });
  const [generation, setGeneration] = useState(0);
  const [drops, setDrops] = useState<DropRecord[]>([]);
  const [dragging, setDragging] = useState(false);

  const load = useCallback(async () => {
    try {
      setList(await get<PromptList>('/api/prompts'));
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  }, []);
  const loadDrops = useCallback(async () => {
    try {
      setDrops((await get<{ drops: DropRecord[] }>('/api/drops')).drops);
    } catch {
      /* shown on the next change */
    }
  }, []);

  const live = useLiveUpdates((kind) => {
    if (kind === 'drops') void loadDrops();
    else {
      void load();
      void loadDrops();
      setGeneration((g) => g + 1);
    }
  });
  useEffect(() => {
    void load();
    void loadDrops();
  }, [load, loadDrops]);
  useEffect(() => {
    history.replaceState(null, '', selected ? `#p=${encodeURIComponent(selected)}` : location.pathname);
  }, [selected]);

  const switchLang = () => {
    const next: Lang = lang === 'en' ? 'zh-CN' : 'en';
    setLang(next);
    setLangState(next);
  };

  const rows = useMemo(() => {
    if (!list) return [];
    const q = filters.q.trim().toLowerCase();
    const out = list.prompts.filter(
      (r) =>
        (!filters.state || r.state === filters.state) &&
        (!filters.scene || (filters.scene === '-' ? r.scene === null : r.scene === filters.scene)) &&
        (!filters.overdue || r.overdue) &&
        (!filters.attention || r.attention !== null || r.state === 'rejected' || r.overdue) &&
        (!q || [r.name, r.description ?? '', r.reason ?? '', r.platformName ?? ''].some((s) => s.toLowerCase().includes(q))),
    );
    const key = sort.key;
    const value = (r: StatusRow): string | number => (key === 'version' ? r.version : key === 'state' ? STATES.indexOf(r.state) : (r[key] ?? ''));
    return out.sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      return (va < vb ? -1 : va > vb ? 1 : a.name < b.name ? -1 : 1) * sort.dir;
    });
  }, [list, filters, sort]);

  const scenes = useMemo(() => [...new Set((list?.prompts ?? []).map((r) => r.scene).filter((s): s is string => s !== null))].sort(), [list]);

  const onDrop = async (files: FileList | null) => {
    setDragging(false);
    if (!files) return;
    for (const file of Array.from(files)) {
      try {
        await dropFile(file);
      } catch (err) {
        setDrops((d) => [...d, { id: `local-${Date.now()}-${file.name}`, name: file.name, bytes: file.size, at: new Date().toISOString(), state: 'failed', message: (err as Error).message }]);
      }
    }
    void loadDrops();
  };

  const sortBy = (key: SortKey) => setSort((s) => ({ key, dir: s.key === key ? (s.dir === 1 ? -1 : 1) : 1 }));
  const arrow = (key: SortKey) => (sort.key === key ? (sort.dir === 1 ? ' ▲' : ' ▼') : '');
  const s = list?.summary ?? {};

  return (
    <div
      class={`desk${dragging ? ' dragging' : ''}`}
      onDragOver={(e) => {
        if (e.dataTransfer?.types.includes('Files')) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={(e) => {
        if (e.relatedTarget === null) setDragging(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        void onDrop(e.dataTransfer?.files ?? null);
      }}
    >
      <header class="top">
        <div class="brand">
          promptprep <span>{t(lang, 'title')}</span>
        </div>
        <nav class="tabs" role="tablist">
          {(['prompts', 'bindings', 'outbox'] as Tab[]).map((k) => (
            <button role="tab" aria-selected={tab === k} class={tab === k ? 'active' : ''} onClick={() => setTab(k)} data-tab={k}>
              {t(lang, k)}
            </button>
          ))}
        </nav>
        <div class="right">
          <span class="platform">{list?.platform}</span>
          <span class={`live ${live ? 'on' : 'off'}`} data-testid="live">
            {live ? t(lang, 'live') : t(lang, 'offline')}
          </span>
          <button class="lang" onClick={switchLang} data-testid="lang">
            {t(lang, 'language')}
          </button>
        </div>
      </header>
      {error && <div class="banner error">{error}</div>}

      {tab === 'prompts' && (
        <main class={`prompts${selected ? ' with-detail' : ''}`}>
          <section class="list">
            <div class="counts" data-testid="counts">
              <button class={`count total${!filters.state ? ' active' : ''}`} onClick={() => setFilters({ ...filters, state: '' })} data-state="total">
                <b>{s.total ?? 0}</b> {t(lang, 'total')}
              </button>
              {STATES.filter((st) => (s[st] ?? 0) > 0 || ['in-review', 'approved', 'rejected'].includes(st)).map((st) => (
                <button class={`count st-${st}${filters.state === st ? ' active' : ''}`} onClick={() => setFilters({ ...filters, state: filters.state === st ? '' : st })} data-state={st}>
                  <b>{s[st] ?? 0}</b> {stateLabel(lang, st)}
                </button>
              ))}
              <button class={`count overdue${filters.overdue ? ' active' : ''}`} onClick={() => setFilters({ ...filters, overdue: !filters.overdue })} data-state="overdue">
                <b>{s.overdue ?? 0}</b> {t(lang, 'overdue')}
              </button>
            </div>
            <div class="filters">
              <input type="search" placeholder={t(lang, 'search')} value={filters.q} onInput={(e) => setFilters({ ...filters, q: (e.target as HTMLInputElement).value })} data-testid="search" />
              <select value={filters.state} onChange={(e) => setFilters({ ...filters, state: (e.target as HTMLSelectElement).value })} data-testid="state-filter">
                <option value="">{t(lang, 'allStates')}</option>
                {STATES.map((st) => (
                  <option value={st}>{stateLabel(lang, st)}</option>
                ))}
              </select>
              <select value={filters.scene} onChange={(e) => setFilters({ ...filters, scene: (e.target as HTMLSelectElement).value })} data-testid="scene-filter">
                <option value="">{t(lang, 'allScenes')}</option>
                {scenes.map((sc) => (
                  <option value={sc}>{sceneLabel(lang, sc)}</option>
                ))}
                <option value="-">—</option>
              </select>
              <label class="check">
                <input type="checkbox" checked={filters.overdue} onChange={(e) => setFilters({ ...filters, overdue: (e.target as HTMLInputElement).checked })} />
                {t(lang, 'overdueOnly')}
              </label>
              <label class="check">
                <input type="checkbox" checked={filters.attention} onChange={(e) => setFilters({ ...filters, attention: (e.target as HTMLInputElement).checked })} data-testid="attention-filter" />
                {t(lang, 'attentionOnly')}
              </label>
              <span class="shown">
                {rows.length} {t(lang, 'ofN')} {list?.prompts.length ?? 0}
              </span>
            </div>
            <div class="table-wrap">
              <table class="rows" data-testid="rows">
                <thead>
                  <tr>
                    <th onClick={() => sortBy('name')} class="sortable">{t(lang, 'name')}{arrow('name')}</th>
                    <th onClick={() => sortBy('scene')} class="sortable">{t(lang, 'scene')}{arrow('scene')}</th>
                    <th class="desc-h">{t(lang, 'description')}</th>
                    <th onClick={() => sortBy('version')} class="sortable num">{t(lang, 'version')}{arrow('version')}</th>
                    <th onClick={() => sortBy('state')} class="sortable">{t(lang, 'state')}{arrow('state')}</th>
                    <th onClick={() => sortBy('since')} class="sortable">{t(lang, 'since')}{arrow('since')}</th>
                    <th>{t(lang, 'reason')}</th>
                    <th>{t(lang, 'inUse')}</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr
                      key={r.name}
                      data-name={r.name}
                      data-state={r.state}
                      class={`${selected === r.name ? 'selected' : ''}${r.overdue || r.attention ? ' flagged' : ''}`}
                      onClick={() => setSelected(r.name)}
                    >
                      <td class="name">{r.name}</td>
                      <td class="scene">{sceneLabel(lang, r.scene)}</td>
                      <td class="desc" title={r.description ?? ''}>{r.description ?? '—'}</td>
                      <td class="num">v{r.version}</td>
                      <td>
                        <span class={`badge st-${r.state}`} data-testid="state">{stateLabel(lang, r.state)}</span>
                        {r.overdue && <span class="badge overdue">{t(lang, 'overdue')}</span>}
                        {r.attention && <span class="badge attention" title={r.attention}>!</span>}
                      </td>
                      <td class="since">{when(r.since)}</td>
                      <td class="reason" data-testid="reason">{r.state === 'rejected' || r.state === 'superseded' ? (r.reason ?? '') : ''}</td>
                      <td class="inuse">
                        {r.inUse ? r.inUse.platformName : '—'}
                        {r.deletable.length > 0 && (
                          <div class="deletable">
                            {t(lang, 'deletable')}: {r.deletable.map((d) => d.platformName).join(', ')}
                          </div>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {list && rows.length === 0 && <p class="empty">{list.prompts.length === 0 ? t(lang, 'emptyLedger') : t(lang, 'noPrompts')}</p>}
            </div>
            {list?.noSceneHint && <p class="hint">{list.noSceneHint}</p>}
          </section>
          {selected && <Detail key={selected} name={selected} lang={lang} generation={generation} onClose={() => setSelected(null)} />}
        </main>
      )}
      {tab === 'bindings' && <BindingsView lang={lang} generation={generation} />}
      {tab === 'outbox' && <OutboxView lang={lang} generation={generation} cec={list?.cec ?? false} />}

      <footer class="dropzone" data-testid="dropzone">
        <span>
          {t(lang, 'dropHere')} ·{' '}
          {list?.drop.into === 'inbox' ? `${t(lang, 'dropInbox')} (${list.drop.folder}/)` : `${t(lang, 'dropConvert')} ${list?.drop.folder ?? ''}/`}
        </span>
        <label class="pick">
          …
          <input type="file" multiple accept="audio/*,video/*" onChange={(e) => void onDrop((e.target as HTMLInputElement).files)} data-testid="file-input" />
        </label>
        {drops.length > 0 && (
          <ul class="drops" data-testid="drops">
            {drops.slice(-6).reverse().map((d) => (
              <li class={`drop ${d.state}`} data-name={d.name} data-state={d.state}>
                <b>{d.name}</b> <span class="dstate">{t(lang, d.state === 'converting' ? 'received' : d.state)}</span> <span class="dmsg">{d.message}</span>
              </li>
            ))}
          </ul>
        )}
      </footer>
      {dragging && <div class="overlay">{t(lang, 'dropHere')}</div>}
    </div>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
