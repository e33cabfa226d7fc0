#!/usr/bin/env node
// Part 2 of `npm run bench -- proxy`: what one exchange costs the proxy's process in each step, without HTTP,
// so the figure hardly moves with what else the machine runs. The proxy's own code on an exchange of the HTTP
// bench (its 10-row request and the model server's answer), into a real runtime writing local files:
// - payloads: request/response logging as the proxy does it without model-io (payloadData's JSON check);
// - parse: both bodies decoded and parsed once, then request/response logged from that text (model-io's way);
// - rows: parse, then model-io turns the exchange into model_inputs/model_outputs rows (metadata known);
// - constant: parse, then the same rows' ready-made JSON text emitted (the two extra events alone).
// CPU time of the whole process (its write threads too) per exchange, a few exchanges per turn of the event loop
// as at 32 connections, each batch followed by a flush; batches of the variants alternate, and a figure is the
// median of the batches. BENCH_MICRO_ONLY=rows,constant runs only those (to profile one with --cpu-prof).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BasicCorrelationContext,
  DataCollectorRuntime,
  resolveDeployment,
  serializeTable,
} from 'model-data-collector/internal';
import { ModelIo, parseBody } from '../dist/model-io/index.js';
import { PayloadLogger } from '../dist/payload-log.js';
import { median } from './bench-servers.mjs';

const ROWS = Number(process.env.BENCH_ROWS ?? 10);
const batches = Number(process.env.BENCH_MICRO_BATCHES ?? 15);
const perBatch = Number(process.env.BENCH_MICRO_EXCHANGES ?? 2000);
/** Exchanges that finish in one turn of the proxy's event loop (a few, at 32 connections). */
const perTurn = Number(process.env.BENCH_MICRO_PER_TURN ?? 8);

const work = mkdtempSync(join(tmpdir(), 'mdc-proxy-io-micro-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const features = Array.from({ length: ROWS }, (_, i) => [
  25 + i * 3,
  30000 + i * 1000,
  5000 + i * 250,
  12 + i,
]);
const requestBytes = Buffer.from(
  JSON.stringify({
    inputs: [
      { name: 'features', shape: [ROWS, 4], datatype: 'FP32', data: features },
      { name: 'id', shape: [ROWS], datatype: 'INT64', data: features.map((_, i) => i) },
    ],
  }),
);
const label = features.map((f) => (f[0] > 40 ? 1 : 0));
const responseBytes = Buffer.from(
  JSON.stringify({
    model_name: 'credit',
    outputs: [
      { name: 'label', shape: [ROWS], datatype: 'INT64', data: label },
      {
        name: 'probabilities',
        shape: [ROWS, 2],
        datatype: 'FP32',
        data: label.flatMap((y) => (y ? [0.2, 0.8] : [0.8, 0.2])),
      },
    ],
  }),
);
const META = JSON.stringify({
  name: 'credit',
  inputs: [
    {
      name: 'features',
      datatype: 'FP32',
      shape: [-1, 4],
      parameters: { feature_names: ['age', 'income', 'limit', 'months'] },
    },
  ],
  outputs: [
    {
      name: 'probabilities',
      datatype: 'FP32',
      shape: [-1, 2],
      parameters: { feature_names: ['p_no', 'p_yes'] },
    },
  ],
});
/** The model server, as far as the metadata request goes. */
const upstream = { request: async () => ({ statusCode: 200, body: { text: async () => META } }) };

const runtime = new DataCollectorRuntime({
  workspace: join(work, 'ws'),
  deployment: resolveDeployment({
    endpoint_name: 'bench',
    name: 'micro',
    data_collector: {
      collections: Object.fromEntries(
        ['request', 'response', 'model_inputs', 'model_outputs'].map((c) => [c, { enabled: true }]),
      ),
    },
  }),
  handleProcessExit: false,
});
const payloads = new PayloadLogger(runtime);
const modelIo = new ModelIo({ runtime, protocol: 'auto', upstream });
const TYPE = 'application/json';
const PATH = '/v2/models/credit/infer';

function log(correlation, request, response) {
  payloads.log({
    correlation,
    method: 'POST',
    path: PATH,
    statusCode: 200,
    requestBody: request?.json ? request.text : requestBytes,
    requestContentType: TYPE,
    requestIsJson: request?.json || undefined,
    responseBody: response?.json ? response.text : responseBytes,
    responseContentType: TYPE,
    responseIsJson: response?.json || undefined,
  });
}

const exchange = (correlation, request, response) => ({
  correlation,
  path: PATH,
  status: 200,
  request,
  response,
  binary: false,
  aborted: false,
});

// The rows' JSON text, taken from the real extraction once (for `constant`).
let constant;
const VARIANTS = {
  payloads: () => log(new BasicCorrelationContext()),
  parse: () => log(new BasicCorrelationContext(), parseBody(requestBytes), parseBody(responseBytes)),
  rows: () => {
    const c = new BasicCorrelationContext();
    const request = parseBody(requestBytes);
    const response = parseBody(responseBytes);
    log(c, request, response);
    modelIo.observe(exchange(c, request, response));
  },
  constant: () => {
    const c = new BasicCorrelationContext();
    log(c, parseBody(requestBytes), parseBody(responseBytes));
    modelIo.collect(modelIo.inputs, constant.inputs, c);
    modelIo.collect(modelIo.outputs, constant.outputs, c);
  },
};

/** CPU microseconds per exchange of one batch: `perTurn` exchanges per turn of the event loop, then a flush. */
async function batch(run) {
  const t0 = process.cpuUsage();
  for (let i = 0; i < perBatch; i += perTurn) {
    for (let j = 0; j < perTurn; j++) run();
    await new Promise((r) => setImmediate(r));
  }
  await modelIo.idle();
  await runtime.flush();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / perBatch;
}

// Warm-up (and the metadata, asked once), then the rows as written, for the constant variant.
const names = process.env.BENCH_MICRO_ONLY?.split(',') ?? Object.keys(VARIANTS);
for (let i = 0; i < 3; i++) for (const k of names.filter((k) => k !== 'constant')) await batch(VARIANTS[k]);
if (names.includes('constant')) {
  const sample = new BasicCorrelationContext();
  const captured = {};
  const emitOf = modelIo.collect;
  modelIo.collect = function (collector, table, correlation) {
    captured[collector === this.inputs ? 'inputs' : 'outputs'] = table;
    return emitOf.call(this, collector, table, correlation);
  };
  modelIo.observe(exchange(sample, parseBody(requestBytes), parseBody(responseBytes)));
  await modelIo.idle();
  modelIo.collect = emitOf;
  // As JSON text either way (row objects when the JSON writer declined).
  const asText = (t) => (Array.isArray(t) ? { json: serializeTable(t).json, rowCount: t.length } : t);
  constant = { inputs: asText(captured.inputs), outputs: asText(captured.outputs) };
  await batch(VARIANTS.constant);
}

const us = Object.fromEntries(names.map((k) => [k, []]));
for (let b = 0; b < batches; b++) {
  for (let j = 0; j < names.length; j++) {
    const k = names[(b + j) % names.length];
    us[k].push(await batch(VARIANTS[k]));
  }
}
await runtime.shutdown();

if (process.env.BENCH_MICRO_ONLY) {
  for (const k of names) console.log(`${k}: ${median(us[k]).toFixed(1)} us`);
  process.exit(0);
}
const m = Object.fromEntries(names.map((k) => [k, median(us[k])]));
const spread = (k) => `${Math.min(...us[k]).toFixed(1)}–${Math.max(...us[k]).toFixed(1)}`;
console.log(
  `\nper exchange in-process (no HTTP), CPU of the whole process, median of ${batches} batches of ${perBatch}:`,
);
console.log(
  `  request/response logging, payloadData's own JSON check: ${m.payloads.toFixed(1)} us (${spread('payloads')})`,
);
console.log(
  `  bodies parsed once, logging from that text:             ${m.parse.toFixed(1)} us (${spread('parse')})`,
);
console.log(
  `  + model_inputs/model_outputs rows:                      ${m.rows.toFixed(1)} us (${spread('rows')})`,
);
console.log(
  `  + the same rows ready-made (the two events alone):      ${m.constant.toFixed(1)} us (${spread('constant')})`,
);
console.log(
  `  rows add ${(m.rows - m.payloads).toFixed(1)} us to an exchange: extraction ${(m.rows - m.constant).toFixed(1)} us, the two events ${(m.constant - m.parse).toFixed(1)} us, shared parse ${(m.parse - m.payloads).toFixed(1)} us`,
);
const proxyUs = Number(process.env.BENCH_PROXY_US);
if (proxyUs > 0) {
  console.log(
    `  with the proxy's ${proxyUs.toFixed(0)} us per request without rows (part 1): req/s ratio at most ${(proxyUs / (proxyUs + m.rows - m.payloads)).toFixed(3)} with rows, ${(proxyUs / (proxyUs + m.constant - m.payloads)).toFixed(3)} were the extraction free`,
  );
}
