import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, post, type Analysis, type PromptDetail, type VersionInfo } from './client.js';
import { sceneLabel, stateLabel, t, when, type Lang } from './i18n-client.js';
import { Waveform } from './waveform.js';

interface Outcome {
  ok: boolean;
  lines: string[];
}

/** One prompt: its actions, and every version with audio, waveform, levels, findings and history. */
export function Detail({ name, lang, generation, onClose }: { name: string; lang: Lang; generation: number; onClose: () => void }) {
  const [detail, setDetail] = useState<PromptDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    get<PromptDetail>(`/api/prompts/${encodeURIComponent(name)}`)
      .then((d) => {
        setDetail(d);
        setError(null);
      })
      .catch((err: Error) => setError(err.message));
  }, [name, generation]);

  const act = async (action: string, version?: number) => {
    setBusy(true);
    try {
      const res = await post<{ lines: string[]; notes: string[] }>(`/api/prompts/${encodeURIComponent(name)}/review`, {
        action,
        ...(version !== undefined ? { version } : {}),
        ...(action === 'rejected' && reason.trim() ? { reason: reason.trim() } : {}),
      });
      setOutcome({ ok: true, lines: [...res.lines, ...res.notes] });
      if (action === 'rejected') setReason('');
    } catch (err) {
      setOutcome({ ok: false, lines: [err instanceof ApiError ? err.message : String(err)] });
    } finally {
      setBusy(false);
    }
  };

  const row = detail?.row;
  const latest = detail?.versions[0];
  return (
    <aside class="detail" data-testid="detail">
      <div class="detail-head">
        <div>
          <h2>{name}</h2>
          {row && (
            <div class="sub">
              <span class={`badge st-${row.state}`} data-testid="detail-state">
                {stateLabel(lang, row.state)}
              </span>
              <span>{sceneLabel(lang, row.scene)}</span>
              {row.description && <span class="descr">{row.description}</span>}
            </div>
          )}
        </div>
        <button class="close" onClick={onClose} aria-label={t(lang, 'close')} data-testid="close">
          ×
        </button>
      </div>
      {error && <div class="banner error">{error}</div>}
      {row && (
        <section class="actions">
          <h3>{t(lang, 'actions')}</h3>
          <div class="buttons">
            <button onClick={() => void act('submitted')} disabled={busy} data-action="submitted">
              {t(lang, 'submitted')}
            </button>
            <button class="ok" onClick={() => void act('approved')} disabled={busy} data-action="approved">
              {t(lang, 'approve')}
            </button>
          </div>
          <div class="reject">
            <input type="text" value={reason} placeholder={t(lang, 'reasonPlaceholder')} onInput={(e) => setReason((e.target as HTMLInputElement).value)} data-testid="reason-input" />
            <button class="bad" onClick={() => void act('rejected')} disabled={busy} data-action="rejected">
              {t(lang, 'reject')}
            </button>
          </div>
          {row.deletable.map((d) => (
            <div class="buttons">
              <button onClick={() => void act('retired', d.version)} disabled={busy} data-action="retired" data-version={d.version}>
                {t(lang, 'retire')}: {d.platformName}
              </button>
            </div>
          ))}
          {outcome && (
            <div class={`outcome ${outcome.ok ? 'ok' : 'refused'}`} data-testid="outcome" role="status">
              {outcome.lines.map((l) => (
                <p>{l}</p>
              ))}
            </div>
          )}
          {row.attention && <div class="banner warn">{row.attention}</div>}
        </section>
      )}
      {detail?.versions.map((v) => (
        <VersionCard v={v} lang={lang} open={v === latest} generation={generation} />
      ))}
    </aside>
  );
}

function fmtDb(db: number): string {
  return Number.isFinite(db) ? `${db.toFixed(1)} dBFS` : '−∞ dBFS';
}

function VersionCard({ v, lang, open, generation }: { v: VersionInfo; lang: Lang; open: boolean; generation: number }) {
  const [expanded, setExpanded] = useState(open);
  return (
    <section class="version" data-version={v.number}>
      <button class="version-head" onClick={() => setExpanded(!expanded)} aria-expanded={expanded}>
        <b>
          {t(lang, 'versionN')} {v.number}
        </b>
        <span class={`badge st-${v.state}`}>{stateLabel(lang, v.state)}</span>
        <span class="muted">{when(v.since)}</span>
        <span class="muted">{v.durationSeconds.toFixed(2)} {t(lang, 'seconds')}</span>
      </button>
      {expanded && <VersionBody v={v} lang={lang} generation={generation} />}
    </section>
  );
}

function VersionBody({ v, lang, generation }: { v: VersionInfo; lang: Lang; generation: number }) {
  const [analysis, setAnalysis] = useState<Analysis | null>(null);
  const [analysisError, setAnalysisError] = useState<string | null>(null);
  useEffect(() => {
    get<Analysis>(`/api/versions/${v.id}/analysis`)
      .then(setAnalysis)
      .catch((err: Error) => setAnalysisError(err.message));
  }, [v.id, generation]);
  const st = analysis?.stats;
  return (
    <div class="version-body">
      <Player v={v} lang={lang} />
      <dl class="facts">
        {v.platformName && (
          <>
            <dt>{t(lang, 'platformName')}</dt>
            <dd>{v.platformName}</dd>
          </>
        )}
        {v.remoteId && (
          <>
            <dt>{t(lang, 'fileId')}</dt>
            <dd data-testid="file-id">{v.remoteId}{v.remoteName ? ` (${v.remoteName})` : ''}</dd>
          </>
        )}
        {v.reason && (
          <>
            <dt>{t(lang, 'reason')}</dt>
            <dd>{v.reason}</dd>
          </>
        )}
        {v.lastError && (
          <>
            <dt>!</dt>
            <dd class="err">{v.lastError}</dd>
          </>
        )}
      </dl>
      <h4>{t(lang, 'levels')}</h4>
      {analysisError && <p class="err">{analysisError}</p>}
      {st && (
        <table class="levels" data-testid="levels">
          <tbody>
            <tr>
              <th>{t(lang, 'duration')}</th>
              <td>{st.durationSeconds.toFixed(3)} {t(lang, 'seconds')}</td>
              <th>{t(lang, 'activeLevel')}</th>
              <td>{fmtDb(st.activeDb)}</td>
            </tr>
            <tr>
              <th>{t(lang, 'peak')}</th>
              <td>{fmtDb(st.peakDb)}</td>
              <th>{t(lang, 'clippedRuns')}</th>
              <td>{st.clippedRuns}</td>
            </tr>
            <tr>
              <th>{t(lang, 'leadingSilence')}</th>
              <td>{st.leadingSilenceSeconds.toFixed(2)} {t(lang, 'seconds')}</td>
              <th>{t(lang, 'trailingSilence')}</th>
              <td>{st.trailingSilenceSeconds.toFixed(2)} {t(lang, 'seconds')}</td>
            </tr>
          </tbody>
        </table>
      )}
      {analysis && (
        <>
          <h4>{t(lang, 'findings')}</h4>
          {analysis.errors.length + analysis.warnings.length === 0 ? (
            <p class="muted" data-testid="findings">{t(lang, 'noFindings')}</p>
          ) : (
            <ul class="findings" data-testid="findings">
              {analysis.errors.map((f) => (
                <li class="error">
                  <code>{f.code}</code> {f.message}
                </li>
              ))}
              {analysis.warnings.map((f) => (
                <li class="warning">
                  <code>{f.code}</code> {f.message}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <h4>{t(lang, 'history')}</h4>
      <table class="history" data-testid="history">
        <thead>
          <tr>
            <th>{t(lang, 'when')}</th>
            <th>{t(lang, 'from')}</th>
            <th>{t(lang, 'to')}</th>
            <th>{t(lang, 'by')}</th>
            <th>{t(lang, 'why')}</th>
          </tr>
        </thead>
        <tbody>
          {v.events.map((e) => (
            <tr>
              <td>{when(e.at)}</td>
              <td>{e.from ? stateLabel(lang, e.from) : '—'}</td>
              <td>{stateLabel(lang, e.to)}</td>
              <td>{e.actor}</td>
              <td>{e.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * One audio element for both recordings, so A/B is a switch of source at the same moment:
 * the position (and playing or not) carries over once the other file's metadata is in.
 */
function Player({ v, lang }: { v: VersionInfo; lang: Lang }) {
  const audio = useRef<HTMLAudioElement>(null);
  const [which, setWhich] = useState<'prompt' | 'source'>('prompt');
  const url = (w: 'prompt' | 'source') => `/api/versions/${v.id}/${w === 'prompt' ? 'audio' : 'source'}`;
  const switchTo = (w: 'prompt' | 'source') => {
    const el = audio.current;
    if (!el || w === which) return;
    const at = el.currentTime;
    const playing = !el.paused;
    el.addEventListener(
      'loadedmetadata',
      () => {
        el.currentTime = Math.min(at, Number.isFinite(el.duration) ? el.duration : at);
        if (playing) void el.play();
      },
      { once: true },
    );
    el.src = url(w);
    setWhich(w);
  };
  return (
    <div class="player">
      <div class="ab" role="group">
        <button class={which === 'prompt' ? 'active' : ''} onClick={() => switchTo('prompt')} data-testid="ab-prompt">
          A · {t(lang, 'listenPrompt')}
        </button>
        <button class={which === 'source' ? 'active' : ''} onClick={() => switchTo('source')} disabled={!v.sourceName} title={v.sourceName ?? t(lang, 'noSource')} data-testid="ab-source">
          B · {t(lang, 'listenSource')}
        </button>
      </div>
      <audio ref={audio} controls preload="metadata" src={url('prompt')} data-testid="audio" data-which={which} />
      <Waveform versionId={v.id} audio={audio} lang={lang} />
    </div>
  );
}
