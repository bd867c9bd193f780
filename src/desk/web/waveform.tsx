import { useEffect, useRef, useState } from 'preact/hooks';
import type { RefObject } from 'preact';
import WaveSurfer from 'wavesurfer.js';
import RegionsPlugin from 'wavesurfer.js/dist/plugins/regions.esm.js';
import { get, type Peaks } from './client.js';
import { t, type Lang } from './i18n-client.js';

/**
 * The prompt's waveform from peaks the server computed from the A-law codes (the page
 * never downloads audio to draw it), with silences and clipped runs marked. It drives
 * the player's audio element: clicking seeks, the cursor follows playback.
 */
export function Waveform({ versionId, audio, lang }: { versionId: number; audio: RefObject<HTMLAudioElement | null>; lang: Lang }) {
  const box = useRef<HTMLDivElement>(null);
  const [peaks, setPeaks] = useState<Peaks | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const width = Math.max(200, Math.round(box.current?.clientWidth ?? 600));
    get<Peaks>(`/api/versions/${versionId}/peaks?buckets=${width}`)
      .then(setPeaks)
      .catch((err: Error) => setError(err.message));
  }, [versionId]);
  useEffect(() => {
    if (!peaks || !box.current || !audio.current) return;
    const regions = RegionsPlugin.create();
    const ws = WaveSurfer.create({
      container: box.current,
      height: 72,
      waveColor: '#6b8fb8',
      progressColor: '#234d7c',
      cursorColor: '#d9480f',
      barWidth: 2,
      barGap: 1,
      media: audio.current,
      peaks: [peaks.peaks],
      duration: peaks.durationSeconds,
      interact: true,
      plugins: [regions],
    });
    ws.on('decode', () => {
      for (const s of peaks.silences) regions.addRegion({ start: s.start, end: s.end, color: 'rgba(120,120,120,0.18)', drag: false, resize: false });
      for (const c of peaks.clipped) regions.addRegion({ start: c.start, end: Math.max(c.end, c.start + 0.01), color: 'rgba(220,38,38,0.45)', drag: false, resize: false });
    });
    return () => ws.destroy();
  }, [peaks]);
  return (
    <div class="waveform-wrap">
      <div class="waveform" ref={box} data-testid="waveform" />
      {error && <p class="muted">{t(lang, 'noWaveform')}: {error}</p>}
      {peaks && (
        <div class="legend">
          <span class="sw silence" /> {t(lang, 'silence')} ({peaks.silences.length}) <span class="sw clipped" /> {t(lang, 'clipped')} ({peaks.clipped.length})
        </div>
      )}
    </div>
  );
}
