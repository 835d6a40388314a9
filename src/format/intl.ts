/**
 * An en-US number format, made once per set of options. Making one costs tens of µs, far
 * more than formatting a number with it: health for every tenant formats a few figures
 * per flow, and making a format per figure was a fifth of its time at 100 M events
 * (bench/RESULTS.md, session 9).
 */
const formats = new Map<string, Intl.NumberFormat>();

export function numberFormat(options: Intl.NumberFormatOptions = {}): Intl.NumberFormat {
  const key = JSON.stringify(options);
  let format = formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat('en-US', options); // throws for an unknown currency: not kept
    formats.set(key, format);
  }
  return format;
}
