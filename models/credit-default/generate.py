#!/usr/bin/python3
"""Generate the small credit-default demo model used by `mdc serve` (no-code ONNX mode) and its tests.

Run from anywhere with Debian's Python (needs python3-onnx, python3-sklearn, python3-numpy):

    /usr/bin/python3 models/credit-default/generate.py

The data is synthetic (seeded, so every run writes the same files) and only imitates the column layout of the
UCI "default of credit card clients" data set. A StandardScaler + LogisticRegression pipeline is fitted with
scikit-learn, and the ONNX graph is written by hand with onnx.helper (skl2onnx is not needed):

    input float32 [N, 23] -> Sub(mean) -> Div(scale) -> MatMul(coef) -> Add(intercept) -> Sigmoid = p1
    probabilities float32 [N, 2] = Concat(1 - p1, p1);  label int64 [N] = ArgMax(probabilities, axis=1)

Files written (all small enough to commit):
    models/credit-default/model.onnx
    models/credit-default/sample-requests.json   example rows, ready request bodies, expected outputs
    models/credit-default/train.csv              first 2000 training rows with the DEFAULT label
    models/credit-default-mlflow/MLmodel         MLflow model directory with an `onnx` flavor
    models/credit-default-mlflow/model.onnx      copy of the model
"""

import csv
import hashlib
import json
import os
import platform
import subprocess
import uuid

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

SEED = 20240611
N_ROWS = 10_000
N_CSV_ROWS = 2_000
OPSET = 17
IR_VERSION = 8  # onnxruntime-node 1.30 loads IR <= 10; 8 is what opset 17 was released with

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
MLFLOW_DIR = os.path.join(os.path.dirname(HERE), "credit-default-mlflow")

BILL = [f"BILL_AMT{i}" for i in range(1, 7)]
PAY_AMT = [f"PAY_AMT{i}" for i in range(1, 7)]
PAY = ["PAY_0", "PAY_2", "PAY_3", "PAY_4", "PAY_5", "PAY_6"]
COLUMNS = ["LIMIT_BAL", "AGE", *BILL, *PAY_AMT, "SEX", "EDUCATION", "MARRIAGE", *PAY]
# MLflow column types: amounts are doubles, codes and counts are longs.
DOUBLE_COLUMNS = {"LIMIT_BAL", *BILL, *PAY_AMT}
LABEL = "DEFAULT"
assert len(COLUMNS) == 23


def make_data(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer-valued features (exact in float32) and a 0/1 default label drawn from a known logistic model."""
    sex = rng.choice([1, 2], size=n, p=[0.4, 0.6])
    education = rng.choice([1, 2, 3, 4], size=n, p=[0.35, 0.47, 0.16, 0.02])
    marriage = rng.choice([1, 2, 3], size=n, p=[0.45, 0.53, 0.02])
    age = np.clip(np.rint(rng.normal(35, 9, n)), 21, 75)
    limit = np.clip(np.rint(np.exp(rng.normal(np.log(140_000), 0.8, n)) / 10_000) * 10_000, 10_000, 800_000)

    risk = rng.normal(0, 1, n) - 0.25 * np.log(limit / 140_000) - 0.01 * (age - 35)
    pay = np.stack(
        [np.clip(np.floor(1.1 * risk + rng.normal(0, 0.7, n) - 0.3 - 0.1 * k), -2, 8) for k in range(6)],
        axis=1,
    )
    usage = np.clip(rng.beta(2, 3, n) + 0.15 * risk, 0, 1.2)
    bill = np.stack([np.rint(limit * usage * np.clip(1 + rng.normal(0, 0.08, n), 0.5, 1.5)) for _ in range(6)], 1)
    paid_share = np.clip(rng.beta(1, 6, (n, 6)) - 0.03 * risk[:, None], 0, 1)
    pay_amt = np.rint(bill * paid_share)

    logit = (
        -1.6
        + 0.85 * np.maximum(pay[:, 0], 0)
        + 0.30 * np.maximum(pay[:, 1], 0)
        + 0.15 * np.maximum(pay[:, 2], 0)
        + 0.9 * (usage - 0.4)
        - 0.30 * np.log(limit / 140_000)
        - 0.5 * (pay_amt[:, 0] / np.maximum(bill[:, 0], 1) - 0.15)
        + 0.10 * (sex == 1)
        - 0.01 * (age - 35)
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)

    x = np.column_stack([limit, age, bill, pay_amt, sex, education, marriage, pay]).astype(np.float64)
    assert x.shape == (n, 23)
    return x, y


def build_onnx(scaler: StandardScaler, clf: LogisticRegression) -> onnx.ModelProto:
    f32 = np.float32
    inits = [
        numpy_helper.from_array(scaler.mean_.astype(f32), "scaler_mean"),
        numpy_helper.from_array(scaler.scale_.astype(f32), "scaler_scale"),
        numpy_helper.from_array(clf.coef_.T.astype(f32), "coef"),  # [23, 1]
        numpy_helper.from_array(clf.intercept_.astype(f32), "intercept"),  # [1]
        numpy_helper.from_array(np.array([1.0], dtype=f32), "one"),
    ]
    nodes = [
        helper.make_node("Sub", ["input", "scaler_mean"], ["centered"], name="scaler_sub"),
        helper.make_node("Div", ["centered", "scaler_scale"], ["scaled"], name="scaler_div"),
        helper.make_node("MatMul", ["scaled", "coef"], ["linear"], name="lr_matmul"),
        helper.make_node("Add", ["linear", "intercept"], ["logit"], name="lr_add"),
        helper.make_node("Sigmoid", ["logit"], ["p1"], name="lr_sigmoid"),
        helper.make_node("Sub", ["one", "p1"], ["p0"], name="lr_complement"),
        helper.make_node("Concat", ["p0", "p1"], ["probabilities"], axis=1, name="proba_concat"),
        helper.make_node("ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0, name="label_argmax"),
    ]
    graph = helper.make_graph(
        nodes,
        "credit_default_logreg",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 23])],
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2]),
        ],
        initializer=inits,
        doc_string="StandardScaler + LogisticRegression on 23 credit-default features, columns: " + ",".join(COLUMNS),
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="model-data-collector/models/credit-default/generate.py",
        producer_version="1",
        ir_version=IR_VERSION,
    )
    helper.set_model_props(model, {"feature_columns": json.dumps(COLUMNS), "label_column": LABEL})
    onnx.checker.check_model(model, full_check=True)
    return model


def pick_samples(x: np.ndarray, proba: np.ndarray) -> list[int]:
    """A few rows of each predicted class, none near the 0.5 threshold (float32 vs float64 cannot flip them)."""
    safe = np.abs(proba[:, 1] - 0.5) > 0.02
    neg = [int(i) for i in np.flatnonzero(safe & (proba[:, 1] < 0.5))[:3]]
    pos = [int(i) for i in np.flatnonzero(safe & (proba[:, 1] > 0.5))[:2]]
    assert len(neg) == 3 and len(pos) == 2
    return sorted(neg + pos)


def py_value(col: str, v: float) -> float | int:
    return float(v) if col in DOUBLE_COLUMNS else int(v)


def write_json(path: str, obj: object) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    # The repository lints JSON with Biome; format the file the same way so a re-run leaves no diff.
    biome = os.path.join(REPO_ROOT, "node_modules", ".bin", "biome")
    if os.path.exists(biome):
        subprocess.run([biome, "format", "--write", path], cwd=REPO_ROOT, check=True, capture_output=True)
    else:
        print(f"note: {biome} not found; run `npx biome format --write {path}` before committing")


def write_samples(x: np.ndarray, pipe: Pipeline, rows: list[int]) -> None:
    sample = x[rows]
    proba = pipe.predict_proba(sample)
    label = pipe.predict(sample)
    records = [{c: py_value(c, v) for c, v in zip(COLUMNS, r)} for r in sample]
    data = [[py_value(c, v) for c, v in zip(COLUMNS, r)] for r in sample]
    write_json(
        os.path.join(HERE, "sample-requests.json"),
        {
            "description": "Example rows for the credit-default model with the outputs scikit-learn computed "
            "in float64 (the ONNX model runs in float32 and agrees to about 1e-6). Written by generate.py.",
            "columns": COLUMNS,
            "dataframe_split": {"columns": COLUMNS, "index": rows, "data": data},
            "dataframe_records": records,
            "expected": [
                {"label": int(lab), "probability_0": float(p[0]), "probability_1": float(p[1])}
                for lab, p in zip(label, proba)
            ],
        },
    )


def write_csv(x: np.ndarray, y: np.ndarray) -> None:
    with open(os.path.join(HERE, "train.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([*COLUMNS, LABEL])
        for r, lab in zip(x[:N_CSV_ROWS], y[:N_CSV_ROWS]):
            w.writerow([int(v) for v in r] + [int(lab)])


def write_mlmodel(model_bytes: bytes) -> None:
    os.makedirs(MLFLOW_DIR, exist_ok=True)
    with open(os.path.join(MLFLOW_DIR, "model.onnx"), "wb") as f:
        f.write(model_bytes)
    inputs = [{"type": "double" if c in DOUBLE_COLUMNS else "long", "name": c, "required": True} for c in COLUMNS]
    outputs = [
        {"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}, "name": "label"},
        {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}, "name": "probabilities"},
    ]
    # Deterministic: the uuid is derived from the model bytes, and there is no creation time.
    model_uuid = uuid.uuid5(uuid.NAMESPACE_URL, "mdc:credit-default:" + hashlib.sha256(model_bytes).hexdigest())
    text = f"""artifact_path: model
flavors:
  onnx:
    code: null
    data: model.onnx
    onnx_version: {onnx.__version__}
    providers:
    - CPUExecutionProvider
  python_function:
    data: model.onnx
    loader_module: mlflow.onnx
    python_version: {platform.python_version()}
model_uuid: {model_uuid.hex}
signature:
  inputs: '{json.dumps(inputs)}'
  outputs: '{json.dumps(outputs)}'
  params: null
"""
    with open(os.path.join(MLFLOW_DIR, "MLmodel"), "w", encoding="utf-8") as f:
        f.write(text)


def main() -> None:
    rng = np.random.default_rng(SEED)
    x, y = make_data(rng, N_ROWS)
    pipe = Pipeline([("scaler", StandardScaler()), ("clf", LogisticRegression(max_iter=1000))])
    pipe.fit(x, y)
    accuracy = float((pipe.predict(x) == y).mean())
    print(f"rows={N_ROWS} default_rate={y.mean():.4f} training_accuracy={accuracy:.4f}")

    model = build_onnx(pipe.named_steps["scaler"], pipe.named_steps["clf"])
    model_bytes = model.SerializeToString(deterministic=True)
    with open(os.path.join(HERE, "model.onnx"), "wb") as f:
        f.write(model_bytes)

    write_samples(x, pipe, pick_samples(x, pipe.predict_proba(x)))
    write_csv(x, y)
    write_mlmodel(model_bytes)
    print(f"wrote {HERE} and {MLFLOW_DIR} (model.onnx {len(model_bytes)} bytes)")


if __name__ == "__main__":
    main()
