// printable.js — text from outside (a link, a file name, an engine message about them) made safe
// to show: control, bidirectional-override and invisible format characters appear as \uXXXX, so a
// right-to-left override cannot reverse the rest of a message nor a hidden character hide a word.
// Pure: no DOM.

// C0 and C1 controls, DEL, the Arabic letter mark, the zero-width space and the marks, the bidi
// embeddings, overrides and isolates, the line and paragraph separators, the byte-order mark.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/gu;

export function printable(text) {
  return String(text).replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
}
