// latest.js — the one "latest request wins" runner of the page: while a job is in flight, only the
// newest request waits behind it; older waiting ones are dropped. Pure: no DOM, no engine.

// Returns request(arg): runs job(arg, {superseded}) now, or after the job in flight if one is.
// superseded() tells a job that a newer request came in meanwhile, so it can drop a result that is
// already out of date. The returned promise resolves once no request is left (the newest has run).
// An error of one run goes to onError (or is rethrown to the callers when there is none); the
// waiting request still runs.
export function latestWins(job, { onError } = {}) {
  let waiting = null;          // {arg} of the newest request not yet started
  let loop = null;             // the promise of the runs in progress

  async function drain() {
    let failure = null;
    while (waiting) {
      const { arg } = waiting;
      waiting = null;
      try {
        await job(arg, { superseded: () => waiting !== null });
      } catch (e) {
        if (onError) onError(e);
        else failure ??= e;
      }
    }
    loop = null;
    if (failure) throw failure;
  }

  return function request(arg) {
    waiting = { arg };
    if (!loop) loop = drain();
    return loop;
  };
}
