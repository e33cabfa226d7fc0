#!/usr/bin/env python3
"""Writes a small MLflow model with the sklearn flavor (no onnx flavor): a logistic regression on iris.

Run with Debian's python3-sklearn: /usr/bin/python3 models/iris-sklearn-mlflow/generate.py
The folder is laid out as mlflow.sklearn.save_model lays it out (MLmodel, model.pkl), written without mlflow,
which cannot be installed here. The pickle is plain `pickle`; MLflow's default serialization_format,
cloudpickle, writes the same format for an estimator like this one, and cloudpickle.load is pickle.load.
"""

import json
import os
import pickle
import platform

import sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

here = os.path.dirname(os.path.abspath(__file__))
iris = load_iris(as_frame=True)
columns = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
X = iris.data.set_axis(columns, axis=1)
y = iris.target.map(dict(enumerate(iris.target_names)))
model = LogisticRegression(max_iter=500, random_state=0).fit(X, y)

with open(os.path.join(here, "model.pkl"), "wb") as f:
    pickle.dump(model, f, protocol=4)

inputs = json.dumps([{"type": "double", "name": c, "required": True} for c in columns])
outputs = json.dumps([{"type": "string", "required": True}])
mlmodel = f"""artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: {platform.python_version()}
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: {sklearn.__version__}
mlflow_version: 2.16.0
model_size_bytes: {os.path.getsize(os.path.join(here, "model.pkl"))}
signature:
  inputs: '{inputs}'
  outputs: '{outputs}'
  params: null
"""
with open(os.path.join(here, "MLmodel"), "w") as f:
    f.write(mlmodel)
print("wrote", os.path.join(here, "MLmodel"), "and model.pkl; classes:", list(model.classes_))
