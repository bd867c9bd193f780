import { bytesPerSecond, type Profile } from './profile.js';

/**
 * A profile's rules in words, one short phrase each: what `promptprep profiles` prints and
 * what the README's table is made of (a test holds the two equal). A rule the vendor does
 * not publish reads "none published", never a guess.
 */

export interface ProfileRules {
  id: string;
  title: string;
  /** "G.711 µ-law, 8000 Hz, mono". */
  audio: string;
  /** 'WAV ".wav"'. */
  file: string;
  size: string;
  duration: string;
  names: string;
  layout: string;
  scenes: string;
  note: string;
}

const NONE = 'none published';

function rates(p: Profile): string {
  return `${p.sampleRates.join(' / ')} Hz`;
}

function bytes(n: number): string {
  return n.toLocaleString('en-US');
}

export function describeProfile(p: Profile): ProfileRules {
  const container = p.container === 'raw' ? 'headerless' : p.container.toUpperCase();
  const seconds = p.maxBytes === undefined ? null : p.maxBytes / bytesPerSecond(p);
  const nameParts = [p.name.charsetText];
  if (p.name.firstText) nameParts.push(`starting with ${p.name.firstText}`);
  if (p.name.forbiddenText) nameParts.push(`no ${p.name.forbiddenText}`);
  nameParts.push(
    p.name.maxLength === undefined
      ? `at most ${p.maxNameLength} bytes (the file system's limit)`
      : `at most ${p.name.maxLength} characters${p.name.lengthWithExtension ? ', extension included' : ' before the extension'}`,
  );
  const layout =
    p.layout === 'asterisk' ? `sounds/${p.language ?? 'en'}/<name>${p.extension}` : p.layout === 'freeswitch' ? `<rate>/<name>${p.extension}, a folder per rate` : 'flat';
  const duration = [p.minSeconds !== undefined ? `at least ${p.minSeconds} s` : null, p.maxSeconds !== undefined ? `at most ${p.maxSeconds} s` : null].filter(Boolean);
  return {
    id: p.id,
    title: p.title,
    audio: `${p.codecName}${p.mp3Bitrate ? ` ${p.mp3Bitrate / 1000} kbit/s` : ''}, ${rates(p)}, mono`,
    file: `${container} "${p.extension}"`,
    size: p.maxBytes === undefined ? NONE : `at most ${bytes(p.maxBytes)} bytes (about ${Math.floor(seconds as number)} s)`,
    duration: duration.length > 0 ? duration.join(', ') : NONE,
    names: nameParts.join('; '),
    layout,
    scenes: p.scenes ? `PrivateNumber scenes${p.preCallMaxSeconds !== undefined ? `, pre-call tones cut after ${p.preCallMaxSeconds} s` : ''}` : 'none',
    note: p.note ?? '',
  };
}

/** The README's table of profiles, as Markdown. */
export function profilesMarkdownTable(profiles: readonly Profile[]): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const rows = profiles.map((p) => describeProfile(p)).map((r) => `| \`${r.id}\` | ${cell(r.audio)} | ${cell(r.file)} | ${cell(r.size)} | ${cell(r.duration)} | ${cell(r.names)} | ${cell(r.layout)} |`);
  return ['| profile | audio | file | size | duration | names | layout |', '| --- | --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}

/** The README's list of what we chose where a vendor is silent. */
export function profilesNotesList(profiles: readonly Profile[]): string {
  return profiles
    .filter((p) => p.note)
    .map((p) => `- \`${p.id}\`: ${p.note}`)
    .join('\n');
}
