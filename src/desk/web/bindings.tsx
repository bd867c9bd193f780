import { useEffect, useState } from 'preact/hooks';
import { get, type BindingMode } from './client.js';
import { t, type Lang } from './i18n-client.js';

/** Text to the clipboard; the older route where the Clipboard API is not allowed (plain http beyond localhost). */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'offscreen';
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
}

/** What `promptprep bindings --mode M` prints, for every mode, with what is still missing. */
export function BindingsView({ lang, generation }: { lang: Lang; generation: number }) {
  const [modes, setModes] = useState<BindingMode[] | null>(null);
  const [hint, setHint] = useState<string | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    get<{ modes: BindingMode[]; noSceneHint: string | null }>('/api/bindings')
      .then((b) => {
        setModes(b.modes);
        setHint(b.noSceneHint);
      })
      .catch((err: Error) => setError(err.message));
  }, [generation]);
  return (
    <main class="bindings" data-testid="bindings">
      {error && <div class="banner error">{error}</div>}
      {hint && <p class="hint">{hint}</p>}
      <div class="modes">
        {modes?.map((m) => {
          const json = JSON.stringify(m.fragment);
          return (
            <section class="mode" data-mode={m.mode}>
              <div class="mode-head">
                <h3>{m.mode}</h3>
                <button
                  onClick={() =>
                    void copyText(json).then(() => {
                      setCopied(m.mode);
                      setTimeout(() => setCopied((c) => (c === m.mode ? null : c)), 2000);
                    })
                  }
                  data-testid={`copy-${m.mode}`}
                >
                  {copied === m.mode ? t(lang, 'copied') : t(lang, 'copy')}
                </button>
              </div>
              <pre data-testid={`fragment-${m.mode}`}>{JSON.stringify(m.fragment, null, 2)}</pre>
              {m.notes.length > 0 ? (
                <div class="missing">
                  <b>{t(lang, 'missing')}</b>
                  <ul>
                    {m.notes.map((n) => (
                      <li>{n}</li>
                    ))}
                  </ul>
                </div>
              ) : (
                <p class="complete">{t(lang, 'complete')}</p>
              )}
            </section>
          );
        })}
      </div>
    </main>
  );
}
