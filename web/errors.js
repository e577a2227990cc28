// errors.js — the one error type of the engine, shared by the page side (engine.js) and the
// worker side (core.js, worker.js): a code (a short word) and a message for people.
export class EngineError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'EngineError';
    this.code = code;
  }
}
