/** Control characters other than tab and newline: C0, DEL and C1 (ESC and CSI start terminal commands). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** `text` safe to echo to a terminal: each control character shown as its `\u001b` escape instead of acting. */
export const printable = (text: string): string => text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
