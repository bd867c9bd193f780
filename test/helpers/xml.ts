/**
 * A small, strict XML 1.0 well-formedness checker and tree builder for the JUnit report
 * (no XML parser is among the dependencies). Throws on anything not well-formed: bad
 * nesting, unquoted or duplicate attributes, stray `<` or `&`, unknown entities,
 * forbidden control characters, more or less than one root element.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated, unescaped character data directly inside the element. */
  text: string;
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

function unescape(raw: string, where: string): string {
  if (raw.includes('<')) throw new Error(`raw "<" in ${where}`);
  return raw.replace(/&([^;]*);?/g, (whole, ent: string) => {
    if (!whole.endsWith(';')) throw new Error(`unterminated entity "${whole}" in ${where}`);
    switch (ent) {
      case 'amp':
        return '&';
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
    }
    const m = /^#(x[0-9A-Fa-f]+|[0-9]+)$/.exec(ent);
    if (!m) throw new Error(`unknown entity "&${ent};" in ${where}`);
    const cp = m[1]!.startsWith('x') ? parseInt(m[1]!.slice(1), 16) : parseInt(m[1]!, 10);
    return String.fromCodePoint(cp);
  });
}

export function parseXml(doc: string): XmlElement {
  const bad = FORBIDDEN.exec(doc);
  if (bad) throw new Error(`forbidden character U+${bad[0].charCodeAt(0).toString(16)} at ${bad.index}`);
  let pos = 0;
  if (doc.startsWith('<?xml')) {
    const end = doc.indexOf('?>');
    if (end < 0) throw new Error('unterminated XML declaration');
    pos = end + 2;
  }
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  while (pos < doc.length) {
    const lt = doc.indexOf('<', pos);
    const text = doc.slice(pos, lt < 0 ? doc.length : lt);
    if (stack.length > 0) {
      stack[stack.length - 1]!.text += unescape(text, 'text');
    } else if (text.trim() !== '') {
      throw new Error(`text outside the root element: ${JSON.stringify(text.slice(0, 40))}`);
    }
    if (lt < 0) break;
    pos = lt;
    if (doc.startsWith('<!--', pos)) {
      const end = doc.indexOf('-->', pos + 4);
      if (end < 0) throw new Error('unterminated comment');
      pos = end + 3;
      continue;
    }
    if (doc.startsWith('<?', pos)) {
      const end = doc.indexOf('?>', pos);
      if (end < 0) throw new Error('unterminated processing instruction');
      pos = end + 2;
      continue;
    }
    if (doc.startsWith('</', pos)) {
      const m = NAME.exec(doc.slice(pos + 2));
      if (!m) throw new Error(`bad end tag at ${pos}`);
      const after = pos + 2 + m[0].length;
      const close = doc.indexOf('>', after);
      if (close < 0 || doc.slice(after, close).trim() !== '') throw new Error(`bad end tag at ${pos}`);
      const open = stack.pop();
      if (!open || open.name !== m[0]) throw new Error(`</${m[0]}> does not close <${open?.name ?? '(nothing)'}>`);
      pos = close + 1;
      continue;
    }
    const m = NAME.exec(doc.slice(pos + 1));
    if (!m) throw new Error(`stray "<" at ${pos}`);
    const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
    pos += 1 + m[0].length;
    let selfClosing = false;
    for (;;) {
      const ws = /^\s*/.exec(doc.slice(pos))![0];
      pos += ws.length;
      if (doc.startsWith('/>', pos)) {
        selfClosing = true;
        pos += 2;
        break;
      }
      if (doc.startsWith('>', pos)) {
        pos += 1;
        break;
      }
      if (ws.length === 0) throw new Error(`expected whitespace before an attribute in <${el.name}> at ${pos}`);
      const a = /^([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*("([^"]*)"|'([^']*)')/.exec(doc.slice(pos));
      if (!a) throw new Error(`bad attribute in <${el.name}> at ${pos}: ${JSON.stringify(doc.slice(pos, pos + 30))}`);
      const name = a[1]!;
      if (name in el.attrs) throw new Error(`duplicate attribute ${name} in <${el.name}>`);
      el.attrs[name] = unescape(a[3] ?? a[4] ?? '', `attribute ${name}`);
      pos += a[0].length;
    }
    if (stack.length > 0) stack[stack.length - 1]!.children.push(el);
    else if (root) throw new Error(`second root element <${el.name}>`);
    else root = el;
    if (!selfClosing) stack.push(el);
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

/** Every descendant element named `name`, in document order. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.name === name) out.push(c);
    out.push(...findAll(c, name));
  }
  return out;
}
