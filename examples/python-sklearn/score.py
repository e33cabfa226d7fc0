# A scoring script in the shape of Azure's data-collector examples, with a real scikit-learn model: the iris
# classifier of models/iris-sklearn-mlflow. It needs pandas, scikit-learn and azureml-ai-monitoring in the
# interpreter mdc runs (see docs/python.md).
import json
import os
import pickle

import pandas as pd
from azureml.ai.monitoring import Collector


def init():
  global inputs_collector, outputs_collector, model

  # instantiate collectors with appropriate names, make sure align with deployment spec
  inputs_collector = Collector(name='model_inputs')
  outputs_collector = Collector(name='model_outputs')

  # AZUREML_MODEL_DIR holds the model folder under its own name, as in Azure
  path = os.path.join(os.getenv("AZUREML_MODEL_DIR"), "iris-sklearn-mlflow", "model.pkl")
  with open(path, "rb") as f:
    model = pickle.load(f)


def run(data):
  # json data: {"data": {"sepal_length": [5.1], "sepal_width": [3.5], "petal_length": [1.4], "petal_width": [0.2]}}
  input_df = pd.DataFrame(json.loads(data)["data"])

  # collect inputs data, store correlation_context
  context = inputs_collector.collect(input_df)

  output_df = predict(input_df)

  # collect outputs data, pass in correlation_context so inputs and outputs data can be correlated later
  outputs_collector.collect(output_df, context)

  return output_df.to_dict(orient="records")


def predict(input_df):
  probabilities = model.predict_proba(input_df)
  output_df = pd.DataFrame(probabilities, columns=[f"probability_{c}" for c in model.classes_])
  output_df.insert(0, "species", model.predict(input_df))
  return output_df
