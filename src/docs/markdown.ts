/**
 * A small Markdown renderer for the docs written as `.md` files in `docs/` (so the same text reads
 * well on GitHub and under /docs). It supports what those files use — headings, paragraphs,
 * fenced code, lists, tables, block quotes, inline code, bold, italics and links — and escapes
 * everything else: raw HTML in the source is shown as text, never interpreted.
 */

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/&[a-z]+;|&#\d+;/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function safeHref(url: string): string | null {
  if (/^(https?:\/\/|\/|#|mailto:)/i.test(url)) return url;
  if (/^[a-z0-9._/-]+$/i.test(url) && !url.includes(':')) return url;
  return null;
}

/** Inline Markdown on one line of raw text. */
export function renderInline(text: string): string {
  // Code spans first: their content is literal.
  const parts = text.split(/(`[^`]+`)/g);
  return parts
    .map((part) => {
      if (part.startsWith('`') && part.endsWith('`') && part.length > 1)
        return `<code>${escapeHtml(part.slice(1, -1))}</code>`;
      let html = escapeHtml(part);
      html = html.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_m, label: string, url: string) => {
        const href = safeHref(url.replace(/&amp;/g, '&'));
        return href ? `<a href="${escapeHtml(href)}">${label}</a>` : label;
      });
      html = html.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
      html = html.replace(/(^|[\s(])\*([^*\s][^*]*)\*(?=[\s).,;:!?]|$)/g, '$1<em>$2</em>');
      return html;
    })
    .join('');
}

function splitRow(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/\\\|/g, '|'));
}

export interface RenderedMarkdown {
  html: string;
  title: string | null;
  headings: { level: number; text: string; id: string }[];
}

export function renderMarkdown(source: string): RenderedMarkdown {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  const headings: RenderedMarkdown['headings'] = [];
  let title: string | null = null;
  let i = 0;
  const isBlockStart = (l: string) =>
    /^(#{1,6}\s|```|\s*[-*]\s|\s*\d+\.\s|>|\|)/.test(l) || l.trim() === '';

  while (i < lines.length) {
    const line = lines[i] as string;
    if (line.trim() === '') {
      i++;
      continue;
    }
    const fence = /^```\s*([A-Za-z0-9_+-]*)\s*$/.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !/^```\s*$/.test(lines[i] as string)) body.push(lines[i++] as string);
      i++;
      const lang = fence[1] ? ` class="language-${fence[1]}"` : '';
      out.push(`<pre><code${lang}>${escapeHtml(body.join('\n'))}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const level = (heading[1] as string).length;
      const text = (heading[2] as string).trim();
      const id = slugify(text);
      if (level === 1 && title === null) title = text;
      headings.push({ level, text, id });
      out.push(`<h${level} id="${id}">${renderInline(text)}</h${level}>`);
      i++;
      continue;
    }
    if (/^\|/.test(line) && i + 1 < lines.length && /^\|?\s*:?-{3,}/.test(lines[i + 1] as string)) {
      const head = splitRow(line);
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && /^\|/.test(lines[i] as string)) rows.push(splitRow(lines[i++] as string));
      out.push(
        `<div class="table"><table><thead><tr>${head.map((h) => `<th>${renderInline(h)}</th>`).join('')}</tr></thead><tbody>${rows
          .map((r) => `<tr>${r.map((c) => `<td>${renderInline(c)}</td>`).join('')}</tr>`)
          .join('')}</tbody></table></div>`,
      );
      continue;
    }
    if (/^>/.test(line)) {
      const body: string[] = [];
      while (i < lines.length && /^>/.test(lines[i] as string))
        body.push((lines[i++] as string).replace(/^>\s?/, ''));
      out.push(`<blockquote>${renderMarkdown(body.join('\n')).html}</blockquote>`);
      continue;
    }
    const listMatch = /^(\s*)([-*]|\d+\.)\s+/.exec(line);
    if (listMatch) {
      const ordered = /\d/.test(listMatch[2] as string);
      const items: string[] = [];
      while (i < lines.length) {
        const l = lines[i] as string;
        const m = /^\s*([-*]|\d+\.)\s+(.*)$/.exec(l);
        if (m) {
          items.push(m[2] as string);
          i++;
        } else if (/^\s{2,}\S/.test(l) && items.length > 0) {
          items[items.length - 1] += ` ${l.trim()}`;
          i++;
        } else break;
      }
      const tag = ordered ? 'ol' : 'ul';
      out.push(`<${tag}>${items.map((it) => `<li>${renderInline(it)}</li>`).join('')}</${tag}>`);
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && (para.length === 0 || !isBlockStart(lines[i] as string))) {
      para.push((lines[i++] as string).trim());
    }
    out.push(`<p>${renderInline(para.join(' '))}</p>`);
  }
  return { html: out.join('\n'), title, headings };
}
