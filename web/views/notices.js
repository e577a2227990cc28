// notices.js — the status line and the error banner. Draws text it is given (always as text,
// never as HTML, with control and bidi characters shown as \uXXXX); knows nothing of the engine
// or the page state.
import { printable } from '../lib/printable.js';

export function createNotices({ status, banner, text, close }) {
  close.addEventListener('click', () => { banner.hidden = true; });
  return {
    status: (message) => { status.textContent = printable(message); },
    error: (message) => {
      text.textContent = printable(message);
      banner.hidden = false;
    },
    clearError: () => { banner.hidden = true; },
  };
}
