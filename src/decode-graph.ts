import path from 'node:path';
import type { DecodePlan, DecodePlanOutput, RawEncoding } from './decode-plan.js';

/**
 * A DecodePlan as ffmpeg's filtergraph text (pure data, no process): every source an
 * `amovie` chain, sources of the same shape joined into sequences. ffmpeg.ts runs it.
 */

/** A file path as an ffmpeg URL, so a name such as "-y.mp3" or "a:b.wav" is never read as an option or a protocol. */
export function fileUrl(p: string): string {
  return `file:${path.resolve(p)}`;
}

/**
 * A filter option's value written so that both parsers of a filtergraph give it back as
 * it is: quoted for the option parser (a `'` as `'\''`), then every character the graph
 * parser treats specially escaped with a backslash. Any file name survives, including
 * `'`, `\`, `:`, `=`, `,`, `;`, brackets and leading or trailing spaces.
 */
export function graphValue(value: string): string {
  const quoted = `'${value.replace(/'/g, "'\\''")}'`;
  return quoted.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

/** One ffmpeg output of a decode graph: a plan output of its own, or the plan outputs of a sequence, one after another. */
export interface GraphOutput {
  /** The graph's label for it, mapped with -map. */
  label: string;
  path: string;
  /** The plan output whose options (rate, encoding, channels) it is written with. */
  like: number;
  /** For a sequence: its plan outputs in the order ffmpeg writes them, and the ashowinfo filter counting each. */
  members?: { output: number; counter: number }[];
  /** For a sequence: which one (its slots list their sources in the same order). */
  sequence?: number;
  /** For a sequence: the ashowinfo filter counting what the concat has written of all its sources so far. */
  written?: number;
}

export interface DecodeGraph {
  /** The -filter_complex text. */
  graph: string;
  /** ffmpeg names a filter "Parsed_<name>_<n>", n counting every filter in the text: n of each input's amovie. */
  movieFilterIndex: number[];
  outputs: GraphOutput[];
}

/** Frames at most this long between a sequence's per-source chain and its concat: one log line per source for most prompts. */
const SEQUENCE_FRAME_SAMPLES = 65536;

/** aformat's name for what each raw encoding's encoder takes (pcm_alaw and pcm_s16le: s16, pcm_f32le: flt). */
const ENCODER_SAMPLE_FORMAT: Record<RawEncoding, string> = { s16le: 's16', alaw: 's16', f32le: 'flt' };
export const RAW_SAMPLE_BYTES: Record<RawEncoding, number> = { s16le: 2, alaw: 1, f32le: 4 };
const DEFAULT_LAYOUT: Record<number, string> = { 1: 'mono', 2: 'stereo' };

/**
 * Which shape an input's outputs have, or null when it cannot join a sequence (a kept
 * channel count varies by source; a decode cap is an output option of its own). Inputs
 * of one shape decode one after another into one output per slot.
 */
function sequenceKey(plan: DecodePlan, outs: readonly number[]): string | null {
  const parts: string[] = [];
  for (const k of outs) {
    const o = plan.outputs[k] as DecodePlanOutput;
    const channels = o.channels ?? plan.channels;
    if (o.keepChannels || o.maxSeconds !== undefined || DEFAULT_LAYOUT[channels] === undefined) return null;
    parts.push(`${o.encoding}|${o.sampleRate ?? plan.sampleRate}|${channels}|${o.filters.join(',')}`);
  }
  return parts.join('\n');
}

/**
 * Every input as an `amovie` source inside one filtergraph, rather than an `-i` input:
 * ffmpeg 5 gives each `-i` input of a many-input command its own demuxer thread, and the
 * hand-offs between them cost about a third more CPU than the decoding itself (measured:
 * 32 MP3 prompts, 0.77 s CPU with `-i`, 0.58 s like this, byte-identical outputs).
 *
 * Inputs whose outputs have the same shape form a sequence: each source keeps a chain
 * of its own (its own resampler, started fresh, as a command of its own would), ends in
 * the encoder's sample format, and a concat filter writes the sources one after another
 * into a single output per slot. ffmpeg's cost of an output grows with the number of
 * outputs (each of its steps looks at every one): a process of 100 prompts with 200
 * outputs spent 1.5 times the CPU of the same work as one sequence (2.1 s against 1.4 s,
 * perf stat). An ashowinfo filter at the end of each chain logs how many samples the
 * source gave, which is where the sequence is cut back into files.
 *
 * An input feeding several outputs (a side signal, a downmix reference, several rates) is
 * decoded once and split with asplit, as ffmpeg does for a mapped input. The split comes
 * before any filter: a filter before it would be negotiated to a format all its outputs
 * accept, which is not the format it has in a command of its own (a resampler followed
 * by the mono output does the downmix itself; split, it does not).
 */
export function decodeGraph(plan: DecodePlan, sequenceBase: (firstOutput: number) => string = (k) => `${(plan.outputs[k] as DecodePlanOutput).rawPath}.all`): DecodeGraph {
  const chains: string[] = [];
  const movieFilterIndex: number[] = [];
  const outputs: GraphOutput[] = [];
  const sequences = new Map<string, { slots: GraphOutput[]; labels: string[][] }>();
  let filterCount = 0;
  const add = (filters: readonly string[], from: string, to: string): void => {
    const list = filters.length > 0 ? filters : ['anull'];
    chains.push(`${from}${list.join(',')}${to}`);
    filterCount += list.length;
  };
  plan.inputs.forEach((input, i) => {
    const outs = plan.outputs.flatMap((o, k) => (o.inputIndex === i ? [k] : []));
    if (outs.length === 0) return;
    movieFilterIndex[i] = filterCount;
    const key = sequenceKey(plan, outs);
    // Each output's chain from the decoded source to where it leaves the graph.
    const tails = outs.map((k) => {
      const o = plan.outputs[k] as DecodePlanOutput;
      if (key === null) return [...o.filters];
      const rate = o.sampleRate ?? plan.sampleRate;
      // What ffmpeg would convert to on the way into the encoder, done in the chain so
      // the concat joins samples that need nothing more; then one frame a source, counted.
      return [
        ...o.filters,
        `aformat=sample_fmts=${ENCODER_SAMPLE_FORMAT[o.encoding]}:sample_rates=${rate}:channel_layouts=${DEFAULT_LAYOUT[o.channels ?? plan.channels]}`,
        `asetnsamples=n=${SEQUENCE_FRAME_SAMPLES}:p=0`,
        'ashowinfo',
      ];
    });
    // amovie keeps the source's own timestamps, where an -i input starts at 0; -t (an
    // over-long source's decode cap) counts from 0, so the source is made to start there.
    const source = [`amovie=filename=${graphValue(fileUrl(input.path))}:streams=${graphValue('a:0')}`, 'asetpts=PTS-STARTPTS'];
    let sequence: { slots: GraphOutput[]; labels: string[][] } | undefined;
    if (key !== null) {
      sequence = sequences.get(key);
      if (!sequence) {
        const n = sequences.size;
        sequence = { slots: outs.map((k, slot) => ({ label: `q${n}_${slot}`, path: sequenceBase(k), like: k, members: [], sequence: n })), labels: outs.map(() => []) };
        sequences.set(key, sequence);
      }
    }
    const ends = outs.map((k, slot) => {
      if (!sequence) return `[o${k}]`;
      const label = `[c${k}]`;
      (sequence.labels[slot] as string[]).push(label);
      return label;
    });
    // ashowinfo is the last filter of the chain just added.
    const counted = (slot: number): void => {
      if (sequence) (sequence.slots[slot] as GraphOutput).members?.push({ output: outs[slot] as number, counter: filterCount - 1 });
    };
    if (outs.length === 1) {
      add([...source, ...(tails[0] as string[])], '', ends[0] as string);
      counted(0);
    } else {
      add([...source, `asplit=${outs.length}`], '', outs.map((k) => `[s${k}]`).join(''));
      outs.forEach((k, slot) => {
        add(tails[slot] as string[], `[s${k}]`, ends[slot] as string);
        counted(slot);
      });
    }
    if (!sequence) for (const k of outs) outputs.push({ label: `o${k}`, path: (plan.outputs[k] as DecodePlanOutput).rawPath, like: k });
  });
  for (const { slots, labels } of sequences.values()) {
    slots.forEach((slot, j) => {
      const ins = labels[j] as string[];
      // A count after the concat too: samples it writes beyond a source's own count are the
      // next source's, so that source is whole (its own count can be short of the end
      // while another slot's concat has already moved on, see SequenceFeed).
      chains.push(`${ins.join('')}concat=n=${ins.length}:v=0:a=1,ashowinfo[${slot.label}]`);
      filterCount += 2;
      slot.written = filterCount - 1;
      outputs.push(slot);
    });
  }
  return { graph: chains.join(';'), movieFilterIndex, outputs };
}

