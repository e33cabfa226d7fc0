"""mdc's built-in scorer for MLflow models with a sklearn or python_function flavor (no scoring script).

mdc parses the scoring body (input_data, dataframe_split, dataframe_records, inputs, instances) itself, so every
no-code model takes the same formats and answers bad input with the same 400; run() gets the table as
{"columns": [...], "data": [[...], ...]} and answers {"predictions": [...], "outputs": [{...}, ...]}, where
`outputs` are the model_outputs rows: `prediction`, or `label` and `probability_<class>` for a classifier with
predict_proba.

The model loads with mlflow.pyfunc.load_model when mlflow is importable in the interpreter (any flavor), else
from the sklearn flavor's pickle directly (pickle or cloudpickle serialization).
"""

import json
import math
import os
import pickle

import pandas as pd

_model = None
_predict_proba = None


def _mlmodel():
    return json.loads(os.environ["MDC_MLMODEL_JSON"])


def _load_sklearn(path, flavor):
    file = os.path.join(path, flavor.get("pickled_model", "model.pkl"))
    fmt = flavor.get("serialization_format", "cloudpickle")
    if fmt == "cloudpickle":
        try:
            import cloudpickle as loader
        except ImportError:  # a cloudpickle file without closures reads with the standard pickle
            loader = pickle
    elif fmt == "pickle":
        loader = pickle
    else:
        raise ValueError(f"{file}: serialization_format {fmt!r} is not supported (pickle or cloudpickle)")
    with open(file, "rb") as f:
        return loader.load(f)


def init():
    global _model, _predict_proba
    path = os.environ["MDC_MODEL_PATH"]
    flavors = _mlmodel().get("flavors") or {}
    try:
        import mlflow.pyfunc
    except ImportError:
        mlflow = None
    else:
        mlflow = mlflow.pyfunc
    if "sklearn" in flavors:
        # The raw estimator gives predict_proba; mlflow's pyfunc wrapper would hide it.
        _model = _load_sklearn(path, flavors["sklearn"])
    elif mlflow is not None:
        _model = mlflow.load_model(path)
    else:
        raise ImportError(
            f"{path} has only a python_function flavor ({flavors['python_function'].get('loader_module')}), "
            "which needs mlflow: install it in the interpreter mdc runs (--python / MDC_PYTHON)"
        )
    proba = getattr(_model, "predict_proba", None)
    _predict_proba = proba if callable(proba) and hasattr(_model, "classes_") else None


def _plain(v):
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def run(raw):
    table = json.loads(raw)
    frame = pd.DataFrame(table["data"], columns=table["columns"])
    predictions = _model.predict(frame)
    if hasattr(predictions, "to_numpy"):
        predictions = predictions.to_numpy()
    values = [_plain(p) if not hasattr(p, "tolist") else p.tolist() for p in predictions]
    if _predict_proba is not None:
        probabilities = _predict_proba(frame)
        classes = [_plain(c) for c in _model.classes_]
        outputs = [
            {"label": label, **{f"probability_{c}": _plain(p) for c, p in zip(classes, row)}}
            for label, row in zip(values, probabilities)
        ]
    else:
        outputs = [{"prediction": v} for v in values]
    return {"predictions": values, "outputs": outputs}
