/** Reading what `promptprep convert` prints: its JSON report and its one-line-per-file text. */

export interface ConvertJsonFile {
  source: string;
  output: string | null;
  status: 'converted' | 'skipped' | 'failed' | 'planned';
  errors: { code: string; message: string }[];
  warnings: { code: string; message: string }[];
  stats?: unknown;
}

export interface ConvertJsonReport {
  files: ConvertJsonFile[];
  summary: { total: number; converted: number; skipped: number; failed: number; planned?: number };
}

export function parseConvertJson(stdout: string): ConvertJsonReport {
  return JSON.parse(stdout) as ConvertJsonReport;
}

export interface TextFile {
  /** converted, skipped, FAILED or "would convert", as printed. */
  tag: string;
  source: string;
  output: string | null;
  errors: string[];
  warnings: string[];
}

export interface TextReport {
  files: TextFile[];
  summary: string;
  /** Lines that start at column 0: one per file, then the summary. */
  topLines: string[];
}

const TAGS = ['converted', 'skipped', 'FAILED', 'would convert'];

/** Parse the non-TTY text output: "<tag> <source>[ -> <output>]", indented finding lines, a summary line. */
export function parseConvertText(stdout: string): TextReport {
  const lines = stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const files: TextFile[] = [];
  const topLines = lines.filter((l) => !/^\s/.test(l));
  let summary = '';
  for (const line of lines) {
    const finding = /^\s+(error|warning)\s+(\S+): /.exec(line);
    if (finding) {
      const last = files[files.length - 1];
      if (!last) throw new Error(`finding line before any file line: ${line}`);
      (finding[1] === 'error' ? last.errors : last.warnings).push(finding[2]!);
      continue;
    }
    const tag = TAGS.find((t) => line.startsWith(`${t} `));
    if (tag) {
      const rest = line.slice(tag.length).trim();
      const arrow = rest.indexOf(' -> ');
      files.push({
        tag,
        source: arrow >= 0 ? rest.slice(0, arrow) : rest,
        output: arrow >= 0 ? rest.slice(arrow + 4) : null,
        errors: [],
        warnings: [],
      });
      continue;
    }
    if (/^\d+ file\(s\): /.test(line)) {
      summary = line;
      continue;
    }
    throw new Error(`unexpected line in convert output: ${JSON.stringify(line)}`);
  }
  return { files, summary, topLines };
}
