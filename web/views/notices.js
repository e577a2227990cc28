// notices.js — the status line and the error banner. Draws text it is given (always as text,
// never as HTML); knows nothing of the engine or the page state.

export function createNotices({ status, banner, text, close }) {
  close.addEventListener('click', () => { banner.hidden = true; });
  return {
    status: (message) => { status.textContent = message; },
    error: (message) => {
      text.textContent = message;
      banner.hidden = false;
    },
    clearError: () => { banner.hidden = true; },
  };
}
