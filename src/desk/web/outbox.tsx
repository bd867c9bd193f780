import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, post } from './client.js';
import { sceneLabel, t, type Lang } from './i18n-client.js';

interface OutboxState {
  platform: string;
  folder: string;
  waiting: { name: string; version: number; platformName: string; scene: string | null; description: string | null }[];
  prepared: string[];
}

/** The console outbox (what `promptprep upload` stages, and its checklist), or the CEC upload. */
export function OutboxView({ lang, generation, cec }: { lang: Lang; generation: number; cec: boolean }) {
  const [state, setState] = useState<OutboxState | null>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    get<OutboxState>('/api/outbox').then(setState).catch(() => undefined);
  }, [generation]);
  const run = async () => {
    setBusy(true);
    try {
      const res = await post<{ checklist?: string; uploaded?: { name: string; version: number; fileId: string }[]; failed?: { name: string; message: string }[]; problems?: { name: string; message: string }[] }>(
        '/api/upload',
        {},
      );
      const text = res.checklist
        ? res.checklist + (res.problems ?? []).map((p) => `${p.name}: ${p.message}\n`).join('')
        : [
            ...(res.uploaded ?? []).map((u) => `uploaded ${u.name} v${u.version} (fileId ${u.fileId}); in review`),
            ...(res.failed ?? []).map((f) => `FAILED   ${f.name}: ${f.message}`),
          ].join('\n') || '—';
      setResult({ ok: (res.problems ?? res.failed ?? []).length === 0, text });
    } catch (err) {
      setResult({ ok: false, text: err instanceof ApiError ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="outbox" data-testid="outbox">
      <div class="outbox-head">
        <button class="primary" onClick={() => void run()} disabled={busy} data-testid="stage">
          {cec ? t(lang, 'uploadCec') : t(lang, 'stageOutbox')}
        </button>
        {state && !cec && <span class="muted">{state.folder}/ · {state.prepared.length} prepared</span>}
      </div>
      {result && (
        <pre class={`checklist ${result.ok ? '' : 'refused'}`} data-testid="checklist">
          {result.text}
        </pre>
      )}
      {state && state.waiting.length > 0 && (
        <>
          <h3>{t(lang, 'checklist')}</h3>
          <table class="rows">
            <thead>
              <tr>
                <th>{t(lang, 'platformName')}</th>
                <th>{t(lang, 'name')}</th>
                <th>{t(lang, 'version')}</th>
                <th>{t(lang, 'scene')}</th>
                <th>{t(lang, 'description')}</th>
              </tr>
            </thead>
            <tbody>
              {state.waiting.map((w) => (
                <tr>
                  <td>{w.platformName}</td>
                  <td>{w.name}</td>
                  <td>v{w.version}</td>
                  <td>{sceneLabel(lang, w.scene)}</td>
                  <td>{w.description ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </main>
  );
}
