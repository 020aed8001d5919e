"""Evaluation metrics shipped as local `evaluate` modules, so that they load offline.

Each sub-folder ``<name>/<name>.py`` defines one `evaluate.Metric`. Load one with
``evaluate.load(hf_lowres.evaluation.metric_path("<name>"))``: ``evaluate.load("sacrebleu")`` would fetch
its script from the Hub instead.
"""
