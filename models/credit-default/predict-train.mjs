#!/usr/bin/env node
// Writes models/credit-default/train-predictions.csv: the outputs of model.onnx on each row of train.csv, in
// train.csv's order, with the column names `mdc serve` collects as model_outputs (label, probability_0,
// probability_1). It is the reference of the demo's prediction-drift signal (examples/credit-default/monitor.yml).
// Run from the repository root after `npm ci`: node models/credit-default/predict-train.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import ort from 'onnxruntime-node';

const here = new URL('./', import.meta.url);
const [header, ...lines] = readFileSync(new URL('train.csv', here), 'utf8').trimEnd().split('\n');
const label = header.split(',').indexOf('DEFAULT');
if (label < 0) throw new Error('train.csv has no DEFAULT column');
const rows = lines.map((l) =>
  l
    .split(',')
    .map(Number)
    .filter((_, i) => i !== label),
);
const input = new Float32Array(rows.flat());
const session = await ort.InferenceSession.create(new URL('model.onnx', here).pathname);
const out = await session.run({ input: new ort.Tensor('float32', input, [rows.length, rows[0].length]) });
const labels = out.label.data;
const proba = out.probabilities.data;
const csv = ['label,probability_0,probability_1'];
// each float32 written as the double it is, as the collected JSON has it
const f32 = (v) => String(v);
for (let i = 0; i < rows.length; i++) csv.push(`${labels[i]},${f32(proba[2 * i])},${f32(proba[2 * i + 1])}`);
writeFileSync(new URL('train-predictions.csv', here), `${csv.join('\n')}\n`);
await session.release();
console.log(`wrote ${rows.length} rows to models/credit-default/train-predictions.csv`);
