/**
 * encodeForProfile writes each codec's file as the platform's parser reads it: the whole
 * canonical WAV byte for byte what ffmpeg writes with +bitexact from the same samples
 * (the layout Asterisk and libsndfile read), headerless files that are only the codec's
 * bytes, MP3 that is only MP3 frames; and ffprobe reads codec, rate and channels back.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodeForProfile,
  GSM_FRAME_BYTES,
  MissingEncoderError,
  UnsupportedTargetError,
  type EncodeTarget,
} from '../src/codecs/index.js';
import { decodePcm16 } from '../src/codecs/pcm16.js';
import { buildCanonicalWav } from '../src/wav.js';
import { encodeAlaw } from '../src/alaw.js';
import { encodeWithFfmpeg, ffmpegFeatures, ffmpegNeeds, locateFfmpeg, searchFfmpeg, type FfmpegBinary } from '../src/ffmpeg.js';
import { encoderNeed } from '../src/codecs/index.js';
import { BITEXACT, FFMPEG, runFfmpeg } from './helpers/ffmpeg.js';
import { makeSource, speechExpr } from './helpers/convert-audio.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

const execFileP = promisify(execFile);

let dir: string;
const at = (name: string): string => path.join(dir, name);
/** 16-bit speech at 8 and 16 kHz, decoded by ffmpeg from one 48 kHz source. */
const speech: Record<number, Int16Array> = {};

beforeAll(async () => {
  dir = await makeTempDir('promptprep-codecs-containers-');
  await makeSource(at('speech.wav'), { rate: 48000, seconds: 1.3, expr: speechExpr(-20) });
  for (const rate of [8000, 16000]) {
    await runFfmpeg(['-i', at('speech.wav'), '-ac', '1', '-ar', String(rate), '-f', 's16le', at(`speech-${rate}.s16`)]);
    speech[rate] = decodePcm16(await fs.readFile(at(`speech-${rate}.s16`)));
  }
});

afterAll(async () => {
  await removeTempDir(dir);
});

/** ffmpeg's own file from the same samples (written to a file, so it fills in its header). */
async function ffmpegWrites(samples: Int16Array, rate: number, name: string, args: string[]): Promise<Buffer> {
  const raw = at(`${name}.in.s16`);
  await fs.writeFile(raw, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
  await runFfmpeg(['-f', 's16le', '-ar', String(rate), '-ac', '1', '-i', raw, ...args, ...BITEXACT, at(name)]);
  return fs.readFile(at(name));
}

interface Probe {
  codec_name: string;
  sample_rate: string;
  channels: number;
}

/** What ffprobe reads from a file (with `input` options for a headerless one). */
async function ffprobe(file: string, input: string[] = []): Promise<Probe> {
  const ffprobePath = path.join(path.dirname(FFMPEG), 'ffprobe');
  const { stdout } = await execFileP(ffprobePath, ['-v', 'error', ...input, '-show_entries', 'stream=codec_name,sample_rate,channels', '-of', 'json', `file:${file}`]);
  const stream = (JSON.parse(stdout) as { streams: Probe[] }).streams[0]!;
  return { codec_name: stream.codec_name, sample_rate: stream.sample_rate, channels: stream.channels };
}

const WAV_CASES: { codec: EncodeTarget['codec']; rate: number; args: string[]; probe: string }[] = [
  { codec: 'alaw', rate: 8000, args: ['-c:a', 'pcm_alaw', '-f', 'wav'], probe: 'pcm_alaw' },
  { codec: 'mulaw', rate: 8000, args: ['-c:a', 'pcm_mulaw', '-f', 'wav'], probe: 'pcm_mulaw' },
  { codec: 'pcm16', rate: 8000, args: ['-c:a', 'pcm_s16le', '-f', 'wav'], probe: 'pcm_s16le' },
  { codec: 'pcm16', rate: 16000, args: ['-c:a', 'pcm_s16le', '-f', 'wav'], probe: 'pcm_s16le' },
  { codec: 'gsm', rate: 8000, args: ['-c:a', 'libgsm_ms', '-f', 'wav'], probe: 'gsm_ms' },
];

describe('canonical WAV per codec', () => {
  // Lengths: the whole prompt, an odd count (G.711 pad byte), and 3 GSM blocks (195 bytes: odd, padded).
  const lengths = (rate: number): number[] => [speech[rate]!.length, 7999, 960];

  it.each(WAV_CASES.map((c) => [`${c.codec} ${c.rate} Hz`, c] as const))('%s: the whole file is what ffmpeg writes with +bitexact, and ffprobe reads it', async (label, c) => {
    for (const n of lengths(c.rate)) {
      const samples = speech[c.rate]!.subarray(0, n);
      const name = `${c.codec}-${c.rate}-${n}.wav`;
      const ours = await encodeForProfile(samples, c.rate, { codec: c.codec, container: 'wav' });
      const theirs = await ffmpegWrites(samples, c.rate, name, c.args);
      expect(ours.length, `${label}, ${n} samples`).toBe(theirs.length);
      expect(ours.equals(theirs), `${label}, ${n} samples`).toBe(true);
      expect(await ffprobe(at(name))).toEqual({ codec_name: c.probe, sample_rate: String(c.rate), channels: 1 });
    }
  });

  it('the header sizes are the canonical ones: 58 bytes for G.711, 44 for PCM16, 60 for GSM', async () => {
    const samples = speech[8000]!.subarray(0, 3200);
    const dataAt = async (codec: EncodeTarget['codec']): Promise<number> => (await encodeForProfile(samples, 8000, { codec, container: 'wav' })).indexOf('data') + 8;
    expect({ alaw: await dataAt('alaw'), mulaw: await dataAt('mulaw'), pcm16: await dataAt('pcm16'), gsm: await dataAt('gsm') }).toEqual({
      alaw: 58,
      mulaw: 58,
      pcm16: 44,
      gsm: 60,
    });
  });

  it('A-law is today\'s canonical prompt, byte for byte', async () => {
    const samples = speech[8000]!;
    const ours = await encodeForProfile(samples, 8000, { codec: 'alaw', container: 'wav' });
    expect(ours.equals(buildCanonicalWav(encodeAlaw(samples), { formatTag: 6, sampleRate: 8000, channels: 1, bitsPerSample: 8 }))).toBe(true);
  });
});

describe('headerless files (Asterisk .alaw .ulaw .sln .sln16 .gsm)', () => {
  const RAW_CASES = [
    { ext: 'alaw', codec: 'alaw', rate: 8000, args: ['-c:a', 'pcm_alaw', '-f', 'alaw'], probe: ['-f', 'alaw', '-ar', '8000', '-ac', '1'], codecName: 'pcm_alaw' },
    { ext: 'ulaw', codec: 'mulaw', rate: 8000, args: ['-c:a', 'pcm_mulaw', '-f', 'mulaw'], probe: ['-f', 'mulaw', '-ar', '8000', '-ac', '1'], codecName: 'pcm_mulaw' },
    { ext: 'sln', codec: 'pcm16', rate: 8000, args: ['-c:a', 'pcm_s16le', '-f', 's16le'], probe: ['-f', 's16le', '-ar', '8000', '-ac', '1'], codecName: 'pcm_s16le' },
    { ext: 'sln16', codec: 'pcm16', rate: 16000, args: ['-c:a', 'pcm_s16le', '-f', 's16le'], probe: ['-f', 's16le', '-ar', '16000', '-ac', '1'], codecName: 'pcm_s16le' },
    { ext: 'gsm', codec: 'gsm', rate: 8000, args: ['-c:a', 'libgsm', '-f', 'gsm'], probe: ['-f', 'gsm'], codecName: 'gsm' },
  ] as const;

  it.each(RAW_CASES.map((c) => [`.${c.ext}`, c] as const))('%s: only the codec\'s bytes, identical to ffmpeg\'s, read back by ffprobe', async (_label, c) => {
    const samples = speech[c.rate]!.subarray(0, 7999);
    const ours = await encodeForProfile(samples, c.rate, { codec: c.codec, container: 'raw' });
    const theirs = await ffmpegWrites(samples, c.rate, `x.${c.ext}`, [...c.args]);
    expect(ours.equals(theirs)).toBe(true);
    expect(ours.subarray(0, 4).toString('latin1')).not.toBe('RIFF');
    expect(await ffprobe(at(`x.${c.ext}`), [...c.probe])).toEqual({ codec_name: c.codecName, sample_rate: String(c.rate), channels: 1 });
  });

  it('.gsm is whole 33-byte frames, each starting with the GSM 6.10 signature nibble 0xD', async () => {
    const ours = await encodeForProfile(speech[8000]!.subarray(0, 1000), 8000, { codec: 'gsm', container: 'raw' });
    expect(ours.length).toBe(7 * GSM_FRAME_BYTES); // 1000 samples: 6.25 frames, the last padded with silence
    for (let i = 0; i < ours.length; i += GSM_FRAME_BYTES) expect(ours[i]! >> 4, `frame ${i / GSM_FRAME_BYTES}`).toBe(0xd);
  });
});

describe('MP3', () => {
  it('is MP3 frames only (no ID3 tag, no Xing frame), at the profile\'s rate and bitrate, read back by ffprobe', async () => {
    const samples = speech[16000]!;
    const ours = await encodeForProfile(samples, 16000, { codec: 'mp3', container: 'mp3', mp3Bitrate: 32_000 });
    await fs.writeFile(at('ours.mp3'), ours);
    expect(ours.subarray(0, 3).toString('latin1')).not.toBe('ID3');
    // An MPEG-2 layer III frame header (0xFFF3 / 0xFFF2), no "Xing"/"Info" tag frame.
    expect(ours[0]).toBe(0xff);
    expect(ours[1]! & 0xfe).toBe(0xf2);
    expect(ours.indexOf('Xing')).toBe(-1);
    expect(ours.indexOf('Info')).toBe(-1);
    expect(await ffprobe(at('ours.mp3'))).toEqual({ codec_name: 'mp3', sample_rate: '16000', channels: 1 });
    // 32 kbit/s for 1.3 s, plus LAME's encoder delay and flush: under four 144-byte frames more.
    expect(ours.length - (32_000 / 8) * 1.3).toBeGreaterThanOrEqual(0);
    expect(ours.length - (32_000 / 8) * 1.3).toBeLessThan(4 * 144);
    // The same samples give the same bytes.
    expect((await encodeForProfile(samples, 16000, { codec: 'mp3', container: 'mp3', mp3Bitrate: 32_000 })).equals(ours)).toBe(true);
  });
});

describe('targets that cannot be written', () => {
  it('GSM at 16 kHz, MP3 in WAV, A-law in an MP3 file, MP3 at 7 kHz: a clear error before any ffmpeg runs', async () => {
    const s = speech[8000]!.subarray(0, 100);
    await expect(encodeForProfile(s, 16000, { codec: 'gsm', container: 'wav', id: 'asterisk-gsm' })).rejects.toThrow(
      new UnsupportedTargetError('GSM 6.10 in WAV (profile asterisk-gsm): GSM 6.10 is defined at 8000 Hz only (got 16000 Hz).'),
    );
    await expect(encodeForProfile(s, 8000, { codec: 'mp3', container: 'wav' })).rejects.toThrow(/MP3 audio goes in an MP3 file/);
    await expect(encodeForProfile(s, 8000, { codec: 'alaw', container: 'mp3' })).rejects.toThrow(/an MP3 file holds only MP3/);
    await expect(encodeForProfile(s, 7000, { codec: 'mp3', container: 'mp3' })).rejects.toThrow(/MP3 carries only 8000, 11025/);
  });
});

describe('encodeWithFfmpeg', () => {
  it('an encoder that refuses its input rejects with ffmpeg\'s own reason (libgsm at 16 kHz), not a broken pipe', async () => {
    const pcm = Buffer.alloc(16000 * 2);
    await expect(encodeWithFfmpeg(await locateFfmpeg(), pcm, 16000, { encoder: 'libgsm', format: 'gsm' })).rejects.toThrow(/^ffmpeg could not encode with libgsm: .*8000/s);
  });
});

describe('an ffmpeg without the encoder a profile needs', () => {
  /** A real ffmpeg built without libgsm (the npm registry's 4.1 has none); else the system's, told it has none. */
  async function withoutGsm(): Promise<{ binary: FfmpegBinary; features: Awaited<ReturnType<typeof ffmpegFeatures>> }> {
    const search = await searchFfmpeg({ all: true });
    for (const c of search.candidates) {
      if (c.path && c.features && (c.status === 'chosen' || c.status === 'not-needed') && !c.features.encoders.includes('libgsm_ms')) {
        return { binary: { path: c.path, source: c.source }, features: c.features };
      }
    }
    const binary = await locateFfmpeg();
    const features = await ffmpegFeatures(binary);
    return { binary, features: { ...features, encoders: features.encoders.filter((e) => !e.startsWith('libgsm')) } };
  }

  it('GSM: MissingEncoderError names the encoder, the binary, the profile and the fix', async () => {
    const { binary, features } = await withoutGsm();
    const run = encodeForProfile(speech[8000]!.subarray(0, 800), 8000, { codec: 'gsm', container: 'wav', id: 'asterisk-gsm' }, { ffmpeg: binary, features });
    await expect(run).rejects.toBeInstanceOf(MissingEncoderError);
    await expect(run).rejects.toThrow(`has no encoder "libgsm_ms", needed for GSM 6.10 in WAV (profile asterisk-gsm)`);
    await expect(run).rejects.toThrow(binary.path);
    await expect(run).rejects.toThrow('--enable-libgsm');
    const raw = encodeForProfile(speech[8000]!.subarray(0, 800), 8000, { codec: 'gsm', container: 'raw' }, { ffmpeg: binary, features });
    await expect(raw).rejects.toThrow('has no encoder "libgsm", needed for headerless GSM 6.10');
  });

  it('as a need of the ffmpeg search (doctor, convert): a binary without libgsm is passed over, naming the encoder and the profile', async () => {
    const need = encoderNeed({ codec: 'gsm', container: 'wav', id: 'asterisk-gsm' })!;
    expect(encoderNeed({ codec: 'mulaw', container: 'wav' })).toBeNull();
    const search = await searchFfmpeg({ all: true, needs: [...ffmpegNeeds(), need] });
    for (const c of search.candidates.filter((c) => c.features)) {
      if (c.features!.encoders.includes('libgsm_ms')) expect(c.status, c.path!).not.toBe('unusable');
      else expect(c, c.path!).toMatchObject({ status: 'unusable', reason: 'it has no encoder "libgsm_ms" (needed for GSM 6.10 in WAV (profile asterisk-gsm))' });
    }
    // This machine has both kinds: the system's ffmpeg with libgsm, the npm registry's 4.1 without.
    expect(search.candidates.filter((c) => c.status === 'unusable').length).toBeGreaterThan(0);
    expect(search.chosen).not.toBeNull();
  });

  it('MP3: names libmp3lame', async () => {
    const binary = await locateFfmpeg();
    const features = await ffmpegFeatures(binary);
    const lacking = { ...features, encoders: features.encoders.filter((e) => e !== 'libmp3lame') };
    await expect(encodeForProfile(speech[8000]!.subarray(0, 800), 8000, { codec: 'mp3', container: 'mp3', id: 'twilio' }, { ffmpeg: binary, features: lacking })).rejects.toThrow(
      /has no encoder "libmp3lame", needed for MP3 \(profile twilio\)\. Use an ffmpeg built with --enable-libmp3lame/,
    );
  });
});
