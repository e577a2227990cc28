// training.js — the configuration and training panel: the config form and the model's facts, the
// run (train, pause, stop, its progress and loss chart) and the list of completed runs.
// A new model is store.update({model}); the other panels follow it.
import { latestWins } from '../lib/latest.js';
import { minutes, renderFacts, renderRuns } from '../views/runs.js';
import { store } from './store.js';

const $ = (id) => document.getElementById(id);
const DEFAULT_GFLOPS = 10;            // speed assumed for estimates before the first run here
const GFLOPS_KEY = 'aevp.measuredGflops';

const epochWord = (n) => `${n.toLocaleString('en')} epoch${n === 1 ? '' : 's'}`;

function measuredGflops() {
  const v = Number(localStorage.getItem(GFLOPS_KEY));
  return Number.isFinite(v) && v > 0 ? v : null;
}

export function createTraining({ form, lossChart, runsChart, notices }) {
  const s = store.state;
  let formText = '';                  // the config the form last reported, as JSON
  let formErrors = {};                // the form's messages while a field is invalid

  // The form reads a config (or null while a field is invalid) into the store.
  function formRead({ config, errors = {} }) {
    formText = JSON.stringify(config);
    formErrors = errors;
    // A second invalid read leaves config null, which the store does not pass on: say it here.
    if (!config && !s.training) whyOff(formReason());
    return store.update({ config });
  }

  // Beside a disabled Train button: why it is off (nothing while it is on, or while training).
  function whyOff(reason) {
    $('train-why').textContent = reason ? `Train is off: ${reason}` : '';
    $('train-why').hidden = !reason;
  }

  function formReason() {
    const messages = Object.values(formErrors);
    if (!messages.length) return 'a setting above is not valid.';
    return `${messages[0]}${messages.length > 1 ? ` (and ${messages.length - 1} more above)` : ''}.`;
  }

  const describe = latestWins(async (config, { superseded }) => {
    $('btn-train').disabled = !config || s.training || !s.dataset;
    $('btn-more').disabled = !config || s.training || !s.dataset || !s.model;
    whyOff(s.training ? '' : !config ? formReason() : !s.dataset ? 'the data set is not loaded yet.' : '');
    if (!config || !s.engine || s.engineDead || !s.dataset) return;
    try {
      const described = await s.engine.describe(config);
      if (superseded()) return;
      showFacts(described, config);
    } catch (e) {
      if (superseded()) return;
      const shown = form.showEngineError(e.message);
      if (!shown) notices.error(e.message);
      $('btn-train').disabled = true;
      whyOff(`${(shown || e.message).replace(/\.$/, '')}.`);
    }
  });

  function showFacts(described, config) {
    const gflops = measuredGflops() ?? DEFAULT_GFLOPS;
    const perEpoch = s.dataset.train * described.flopsPerSample / (gflops * 1e9);
    renderFacts($('model-facts'), [
      ['parameters', described.params.toLocaleString('en')],
      ['latent', `${described.latentDim} numbers (${config.latent_grid}×${config.latent_grid})`],
      ['work', `${(described.flopsPerSample / 1e6).toFixed(2)} MFLOP per training image`],
      ['estimate', `≈ ${minutes(perEpoch)} per epoch, ${minutes(perEpoch * config.epochs)} in all` +
        (measuredGflops() ? ' (at the speed measured here)' : ' (refined after your first run)')],
    ]);
  }

  function setTraining(on) {
    $('workers').disabled = on;
    $('simd').disabled = on;
    $('btn-train').disabled = on;
    $('btn-more').disabled = on || !s.model;
    $('btn-pause').disabled = !on;
    $('btn-stop').disabled = !on;
    $('btn-pause').textContent = 'Pause';
    form.setDisabled(on);
    for (const r of document.querySelectorAll('input[name=dataset]')) r.disabled = on;
    return store.update({ training: on });
  }

  // The loss chart empty: say why, and what fills it. A preset or a file brings a trained model but
  // not its curves (presets.json keeps the last epoch's figures only).
  function chartNote() {
    const src = s.modelSource;
    const note = s.training || lossChart.data().xs.length ? ''
      : src?.epochs ? `${src.title}: trained for ${epochWord(src.epochs)} before it was opened here` +
        (src.valLoss ? ` (validation loss ${src.valLoss.toFixed(4)})` : '') + '; its curves did not come with it. Train more draws them from here on.'
        : 'No training yet: Train draws the training loss as it goes and the validation loss after each epoch.';
    $('loss-empty').textContent = note;
    $('loss-empty').hidden = !note;
  }
  function resetChart(variational) {
    lossChart.reset();
    lossChart.setVariational(variational);
  }

  let paused = false;
  function onProgress(e) {
    if (e.kind === 'batch') {
      if (!$('loss-empty').hidden) chartNote();
      const x = s.epochOffset + e.epoch - 1 + e.batch / e.batches;
      const vae = s.model?.config.variational;
      if (vae) lossChart.addTrain(x, e.recon, e.kl);
      else lossChart.addTrain(x, e.loss);
      $('train-bar').value = x / s.epochsPlanned;
      $('train-numbers').textContent =
        `epoch ${s.epochOffset + e.epoch}/${s.epochsPlanned} · batch ${e.batch}/${e.batches} · ` +
        (vae ? `reconstruction ${e.recon.toFixed(4)} · KL ${e.kl.toFixed(2)} nats\n` : `loss ${e.loss.toFixed(4)}\n`) +
        `${Math.round(e.samplesPerSec).toLocaleString('en')} images/s · ${minutes(e.eta)} left`;
      store.update({ progress: e });
    } else if (e.kind === 'diverged') {
      paused = true;
      $('btn-pause').textContent = 'Resume';
      notices.status('Paused: the training diverged');
      notices.error(`${e.message} Training is paused at epoch ${s.epochOffset + e.epoch}, batch ${e.batch}. To go on: ` +
        'press Stop, lower the learning rate, and press Train more, which trains on from these weights ' +
        '(Train starts afresh; Resume retries the batch at the same rate).');
    } else if (e.kind === 'epoch') {
      const record = { ...e, epoch: s.epochOffset + e.epoch };
      if (record.valKl !== undefined) lossChart.addValidation(record.epoch, record.valRecon, record.valKl);
      else lossChart.addValidation(record.epoch, record.valLoss);
      // Finite numbers can still mean a lost run: worse than the mean image is worse than guessing.
      if (record.collapsed)
        notices.error(`Epoch ${record.epoch}: the validation loss ${record.valLoss.toFixed(4)} is worse than ` +
          `predicting the average training image for every input (${record.baselineLoss.toFixed(4)}): the model ` +
          'is not using its input yet. Early in a short run that can pass; if it stays, the run has collapsed: ' +
          'stop, lower the learning rate and train again.');
      store.update({ history: [...s.history, record] });
    }
  }

  // A run's label: the data set and the settings of the first run; later runs, what differs from it.
  function describeRun(config, dataset) {
    const first = s.runs[0];
    if (!first) return `${dataset.displayName} · F[${config.filters}] g${config.latent_grid} ${config.activation} ${config.optimizer} lr ${config.learning_rate}` +
      (config.variational ? ` VAE β ${config.beta}` : '');
    const diff = first.dataset === dataset.name ? [] : [dataset.displayName];
    for (const key of Object.keys(config)) {
      if (JSON.stringify(config[key]) !== JSON.stringify(first.config[key])) diff.push(`${key} ${JSON.stringify(config[key])}`);
    }
    return diff.length ? diff.join(', ') : 'same as #1';
  }

  // Losses of runs on different data sets (or under different losses) share the axis but not a
  // meaning: say which are which.
  function runsNote(runs) {
    const groups = new Map();
    for (const r of runs) {
      const key = `${r.datasetName ?? 'an unknown data set'}, ${r.config.loss.toUpperCase()} loss`;
      groups.set(key, [...(groups.get(key) ?? []), `#${r.number}`]);
    }
    if (groups.size < 2) return '';
    return `These losses are not comparable across groups: ${[...groups].map(([k, ids]) => `${ids.join(' ')} on ${k}`).join('; ')}.`;
  }

  // resume: {epochsDone} to go on with the current model and history after a reload. more: train
  // the current model further, with the form's settings, for the form's epochs: its weights and
  // optimizer state are kept (a bad learning rate then gives the model back, not a blown-up one).
  async function train({ resume = null, more = false } = {}) {
    const { config } = form.read();
    if (!config) return;
    notices.clearError();
    paused = false;
    await setTraining(true);
    const going = resume || more;
    if (!going) resetChart(Boolean(config.variational));
    const done = resume ? resume.epochsDone : more ? (s.history.at(-1)?.epoch ?? 0) : 0;
    // Training changes the model: no preset's button stays lit; a new one starts from no epochs.
    await store.update({ history: going ? s.history : [], epochOffset: done, presetActive: null,
                         ...(going ? {} : { modelSource: null }),
                         epochsPlanned: more ? done + config.epochs : config.epochs,
                         ...(going ? {} : { trainedBefore: 0 }) });
    try {
      if (more) {
        try {
          await store.update({ model: await s.engine.trainFurther(config) });
        } catch (e) {
          e.message = `Train more keeps this model and changes only how it trains: ${e.message}. Press Train for a new model with these settings.`;
          throw e;
        }
      } else if (!resume) {
        await store.update({ model: await s.engine.configure(config) });
      }
      await store.update({ runStarting: { epochsDone: done, epochs: s.epochsPlanned } });
      notices.status(resume ? (resume.epochsDone ? `Resuming the interrupted run after epoch ${resume.epochsDone}…`
                                                 : 'Starting the interrupted run again: it was reloaded during its first epoch…')
        : more ? `Training the model further from epoch ${done}…` : 'Training…');
      const result = await s.engine.train({ epochs: s.epochsPlanned - s.epochOffset, onProgress });
      result.history = s.history.slice();
      result.epochs = result.history.length;
      const gflops = result.samplesPerSec * s.model.flopsPerSample / 1e9;
      if (result.samples > 5000) localStorage.setItem(GFLOPS_KEY, String(gflops));
      if (result.history.length) {
        const number = s.runNumber + 1;
        await store.update({ runNumber: number, runs: [...s.runs, {
          number, config: s.model.config, history: result.history, dataset: s.dataset.name, datasetName: s.dataset.displayName,
          label: describeRun(s.model.config, s.dataset) }] });
      }
      const speed = `${Math.round(result.samplesPerSec).toLocaleString('en')} images/s`;
      notices.status(result.epochs
        ? `Trained ${epochWord(result.epochs)} at ${speed}`
        : `Stopped after ${result.samples.toLocaleString('en')} images (${speed}); no epoch finished`);
      // The run's numbers give way to where it ended (no "1 s left" once it has).
      const last = s.history.at(-1);
      $('train-bar').value = last ? Math.min(last.epoch / s.epochsPlanned, 1) : 0;
      $('train-numbers').textContent = last
        ? `${last.epoch === s.epochsPlanned ? 'Done' : 'Stopped'}: ${epochWord(last.epoch)} of ${s.epochsPlanned} · ` +
          `validation loss ${last.valLoss.toFixed(4)} · PSNR ${last.psnr.toFixed(2)} dB · SSIM ${last.ssim.toFixed(3)}`
        : `Stopped before the first epoch ended: the model has ${result.samples.toLocaleString('en')} images of training.`;
    } catch (e) {
      $('train-bar').value = 0;
      $('train-numbers').textContent = e.code === 'crashed'
        ? 'The engine stopped during this run; the last autosave was restored.'
        : `Training stopped: ${e.message}`;
      if (e.code !== 'crashed') {
        notices.error(`Training stopped: ${e.message}`);
        notices.status('Training stopped');
      }
    } finally {
      await setTraining(false);
      describe(form.read().config);
    }
  }

  // Another panel wants this config in the form (a model file, a preset, a link, an autosave).
  store.on('configWanted', (wanted) => {
    if (!wanted) return;
    const read = form.write(wanted.config);
    if (JSON.stringify(read.config) !== formText) return formRead(read);
  });
  store.on(['config', 'dataset', 'engine', 'engineDead'], () => describe(s.config));
  // Train more needs a model to go on from: a preset, a file or a run loaded after the form was read.
  store.on(['model', 'training'], () => { $('btn-more').disabled = !s.config || s.training || !s.dataset || !s.model; });
  store.on('trainWanted', (wanted) => { if (wanted) train(wanted); });
  // A model from elsewhere (a preset, a file, a link's): the curves of the run before it are not its own.
  store.on('modelSource', (src) => {
    if (!src || s.training) return undefined;
    resetChart(Boolean(s.model?.config.variational));
    chartNote();
    return store.update({ history: [] });
  });
  store.on(['training', 'model', 'history'], () => chartNote());
  store.on('runs', (runs) => {
    runsChart.render(runs);
    renderRuns($('runs'), runs);
    const note = runsNote(runs);
    $('runs-note').textContent = note;
    $('runs-note').hidden = !note;
  });

  $('btn-train').addEventListener('click', () => train());
  $('btn-more').addEventListener('click', () => train({ more: true }));
  $('btn-pause').addEventListener('click', async () => {
    paused = !paused;
    $('btn-pause').textContent = paused ? 'Resume' : 'Pause';
    notices.status(paused ? 'Paused' : 'Training…');
    await (paused ? s.engine.pause() : s.engine.resume());
  });
  $('btn-stop').addEventListener('click', () => s.engine.stop());

  return { handlers: { onChange: formRead }, start: () => formRead(form.write({})) };
}
