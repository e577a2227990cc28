// main.js — wires the page: creates the engine, the store, the views and the controllers, and
// starts them. Nothing else: what the page does lives in page/*.js, what it draws in views/.
import { createEngine } from './engine.js';
import { defaults } from './lib/config-schema.js';
import { FIELD_GROUPS, pageFields } from './lib/config-fields.js';
import { openEngine, simdChoice, workerCount } from './lib/engine-start.js';
import { createInspect } from './page/inspect.js';
import { createInterpolationPanel } from './page/interpolation.js';
import { createKeep } from './page/keep.js';
import { createLatentPanel } from './page/latent.js';
import { createModels } from './page/models.js';
import { store } from './page/store.js';
import { createTraining } from './page/training.js';
import { onOfflineReady } from './pwa.js';
import { installSchema } from './state.js';
import { createLossChart, createRunsChart } from './views/charts.js';
import { createConfigForm } from './views/config.js';
import { createDrawPad } from './views/draw.js';
import { createInterpolation } from './views/interpolate.js';
import { createLatentMap } from './views/latent.js';
import { createMetrics } from './views/metrics.js';
import { createNotices } from './views/notices.js';
import { createPipeline } from './views/pipeline.js';
import { createPresetButtons } from './views/presets.js';

const $ = (id) => document.getElementById(id);

// The views take their callbacks when they are created; the controllers, created after them,
// answer: relay('pipeline', ['onLatent']) forwards to answers.pipeline.onLatent.
const answers = {};
const relay = (view, names) => Object.fromEntries(names.map((n) => [n, (...args) => answers[view]?.[n]?.(...args)]));

const notices = createNotices({ status: $('status'), banner: $('error-banner'), text: $('error-text'), close: $('error-close') });
const views = {
  notices,
  lossChart: createLossChart($('loss-chart')),
  runsChart: createRunsChart($('runs-chart')),
  pipeline: createPipeline($('pipeline'), $('legend'), relay('inspect', ['onLatent', 'onReset', 'onRandom', 'onPrior'])),
  pad: createDrawPad($('draw-host'), { onChange: relay('inspect', ['onDraw']).onDraw }),
  metrics: createMetrics({ errorCanvas: $('error-map'), cards: $('metric-cards'), averages: $('test-averages') }),
  latentMap: createLatentMap($('latent-map-host'), $('latent-legend'), relay('latent', ['onPick', 'thumbnail'])),
  interp: createInterpolation($('interp-host'), relay('interpolation', ['onSetEnd', 'onMove'])),
  presetButtons: createPresetButtons($('presets'), relay('models', ['onPick'])),
};
onOfflineReady(() => { $('offline').hidden = false; });

async function start() {
  $('btn-train').disabled = true;
  let engine;
  try {
    engine = await openEngine(createEngine, workerCount(localStorage, navigator.hardwareConcurrency),
                            simdChoice(localStorage, location.search));
  } catch (e) {
    notices.status('The engine could not start');
    notices.error(`The engine could not start: ${e.message}. AeVP needs a browser with WebAssembly SIMD and module workers (a current Chrome, Edge, Firefox or Safari).`);
    return;
  }
  // The config form, its checks, the share link and the defaults all come from the engine's schema.
  const schema = await engine.schema();
  installSchema(schema);
  views.form = createConfigForm($('config-form'), pageFields(schema), defaults(schema), FIELD_GROUPS, relay('training', ['onChange']));

  const inspect = createInspect(views);
  const latent = createLatentPanel(views);
  const interpolation = createInterpolationPanel(views);
  const training = createTraining(views);
  const models = createModels(views);
  const keep = createKeep(views);
  Object.assign(answers, { inspect: inspect.handlers, latent: latent.handlers, interpolation: interpolation.handlers,
                           training: training.handlers, models: models.handlers });

  // ?debug gives the browser tests a handle to make the engine crash, and the client position of a
  // point of the latent map, to click it.
  if (new URLSearchParams(location.search).has('debug')) {
    window.aevpDebug = {
      crash: () => store.state.engine.crashForTest(),
      evaluate: () => store.state.engine.evaluate(),
      mapPoint: (i) => {
        const p = views.latentMap.screenOf(i), box = document.querySelector('canvas.latent-map').getBoundingClientRect();
        return p && [box.left + p[0], box.top + p[1]];
      },
      ...latent.debug,
    };
  }

  await store.update({ schema, engine });
  await training.start();
  await models.start();
  await keep.start();
}

start();
