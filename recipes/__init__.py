"""hf_lowres recipes: thin scripts (parse -> build -> train -> evaluate -> save -> push) over the library.

Run one as `hf-lowres <recipe> [--config file.yaml] [--arg value ...]` or `python recipes/<recipe>.py ...`.
"""
