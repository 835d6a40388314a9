/**
 * A necessary condition for a case-insensitive pattern, checked with `String.includes`
 * before the pattern runs on RE2: a literal every match must contain. Most messages
 * match few of a rule base's patterns, and re2js costs ~0.4 µs per character scanned,
 * so skipping patterns whose literal is absent is most of the cost of classifying a new
 * failure. Conservative by construction — anything not understood yields no literal,
 * and the pattern simply runs — so the prefilter never changes a decision.
 */

/**
 * For a list of patterns (any may match): one required literal per pattern, or null when
 * some pattern has none (then the list must always run).
 */
export function requiredLiterals(sources: readonly string[]): string[] | null {
  const literals: string[] = [];
  for (const source of sources) {
    for (const alternative of splitTopLevel(source) ?? [null]) {
      const literal = alternative === null ? null : longestRun(alternative);
      if (literal === null) return null;
      literals.push(literal);
    }
  }
  return literals;
}

/** ASCII-only text: its lower case is exactly what RE2's case folding compares (no ſ, K or İ). */
const ASCII = /^[\x00-\x7f]*$/;

/** False only when none of `literals` occurs in `text` (case-insensitively), so no pattern can match. */
export function mayMatch(literals: readonly string[] | null, text: string): boolean {
  if (literals === null || !ASCII.test(text)) return true;
  const lower = text.toLowerCase();
  return literals.some((l) => lower.includes(l));
}

/** Splits at top-level `|` (outside groups and classes); null on anything unbalanced. */
function splitTopLevel(source: string): string[] | null {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (c === '[') {
      const end = classEnd(source, i);
      if (end < 0) return null;
      i = end;
    } else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(source.slice(start, i));
      start = i + 1;
    }
    if (depth < 0) return null;
  }
  if (depth !== 0) return null;
  parts.push(source.slice(start));
  return parts;
}

/** The index of the `]` closing the class opened at `open`, or -1. */
function classEnd(source: string, open: number): number {
  let i = open + 1;
  if (source[i] === '^') i++;
  if (source[i] === ']') i++;
  for (; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === ']') return i;
  }
  return -1;
}

const LITERAL = /^[a-z0-9 _:'"\/,;=<>@#%&!~`-]$/i;
const ESCAPED_LITERAL = /^[.\-\/\\()[\]{}*+?|^$:'"#&~ ,;=<>@%!]$/;
/** Escapes that match one character of a class, or nothing (assertions): they end a run. */
const CLASS_ESCAPES = 'bBdDsSwWAz';

/** The longest run of literal characters at the top level of one alternative (lower case), or null. */
function longestRun(alternative: string): string | null {
  const runs: string[] = [];
  let run = '';
  const end = () => {
    if (run) runs.push(run);
    run = '';
  };
  for (let i = 0; i < alternative.length; i++) {
    const c = alternative[i];
    const next = alternative[i + 1];
    if (c === '?' || c === '*' || c === '{') {
      // The character before was optional (or repeated from zero): it is not required.
      run = run.slice(0, -1);
      end();
      if (c === '{') {
        const close = alternative.indexOf('}', i);
        if (close < 0) return null;
        i = close;
      }
      if (alternative[i + 1] === '?') i++;
    } else if (c === '+') {
      end();
      if (next === '?') i++;
    } else if (c === '\\') {
      const escaped = alternative[++i];
      if (escaped === undefined) return null;
      if (ESCAPED_LITERAL.test(escaped)) {
        // An escaped character under a quantifier is optional or repeated: the run ends before it.
        if (isQuantifier(alternative[i + 1])) end();
        else run += escaped;
      } else if (CLASS_ESCAPES.includes(escaped)) end();
      // \p{…}, \x41, \Q…\E and the like: not worth understanding; no literal for this alternative.
      else return null;
    } else if (c === '(') {
      end();
      let depth = 1;
      for (i++; i < alternative.length && depth > 0; i++) {
        if (alternative[i] === '\\') i++;
        else if (alternative[i] === '[') i = classEnd(alternative, i);
        else if (alternative[i] === '(') depth++;
        else if (alternative[i] === ')') depth--;
        if (i < 0) return null;
      }
      if (depth !== 0) return null;
      i--;
      // A quantifier after the group applies to the group, which is never part of a run.
      while (isQuantifier(alternative[i + 1])) {
        i++;
        if (alternative[i] === '{') {
          const close = alternative.indexOf('}', i);
          if (close < 0) return null;
          i = close;
        }
      }
    } else if (c === '[') {
      end();
      i = classEnd(alternative, i);
      if (i < 0) return null;
      while (isQuantifier(alternative[i + 1])) i++;
    } else if (LITERAL.test(c)) run += c.toLowerCase();
    else end();
  }
  end();
  const longest = runs.reduce((a, b) => (b.length > a.length ? b : a), '');
  return longest.length > 0 ? longest : null;
}

const isQuantifier = (c: string | undefined) => c === '?' || c === '*' || c === '+' || c === '{';
