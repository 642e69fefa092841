/**
 * `--exec` templates: read like a POSIX shell word list (blanks separate words; '…' is literal; "…" keeps
 * blanks and takes \" \\ \$ \` as escapes; a backslash outside quotes escapes the next character), but
 * never given to a shell: no expansion, no pipes, no redirection. Placeholders are filled in after the
 * split, so a file name with blanks or quotes in it stays one argument and cannot inject anything.
 */

export const TEMPLATE_PLACEHOLDERS = ['image', 'audio', 'video', 'out', 'fps', 'width', 'height'] as const;
export type TemplateValues = Record<(typeof TEMPLATE_PLACEHOLDERS)[number], string>;

export function parseCommandTemplate(template: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < template.length && '"\\$`'.includes(template[i + 1] as string)) word += template[++i];
      else word += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= template.length) throw new Error('the command ends with a lone backslash');
      word += template[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      if ('|&;<>()$`'.includes(c) || (!inWord && '~#'.includes(c))) throw new Error(`an unquoted "${c}" needs a shell, and the command runs without one: quote it if it is meant literally`);
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unbalanced ${quote === "'" ? 'single' : 'double'} quote`);
  if (inWord) words.push(word);
  return words;
}

/** The words with every `{name}` replaced by its value. */
export function fillTemplate(words: readonly string[], values: TemplateValues): string[] {
  return words.map((word) => word.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? values[name as keyof TemplateValues] : whole)));
}
